import { planDistTags, publishTag, releaseHolderIsNewer, TEMP_TAG_PREFIX } from './dist-tags';

const name = '@fx/sdk';
const dev1 = '0.1.0-dev.20251113100000';
const dev2 = '0.1.0-dev.20251114100000';

describe('planDistTags', () => {
  it.each<[string, Record<string, string>, string[], boolean, { tag: string; version: string }[]]>([
    ['first-ever dev publish: the registry already put latest on it, nothing to change', { dev: dev1, latest: dev1 }, [dev1], false, []],
    ['second dev publish, no release yet: latest follows dev (never the first snapshot)', { dev: dev2, latest: dev1 }, [dev1, dev2], false, [{ tag: 'latest', version: dev2 }]],
    ['dev moves and latest follows it in the same plan', { dev: dev1, latest: dev1 }, [dev1, dev2], false, [{ tag: 'dev', version: dev2 }, { tag: 'latest', version: dev2 }]],
    ['a late run of an older commit, no release yet: latest follows the newer dev, not ours', { dev: dev2, latest: dev1 }, [dev1, dev2], true, [{ tag: 'latest', version: dev2 }]],
  ])('until the first release, latest follows dev: %s', (_n, distTags, versions, holderIsNewer, adds) => {
    const plan = planDistTags({ name, version: versions.includes(dev2) && !holderIsNewer ? dev2 : dev1, distTag: 'dev', distTags, versions, holderIsNewer });
    expect(plan.actions).toEqual(adds.map((a) => ({ op: 'add', ...a })));
    const after = { ...distTags, ...Object.fromEntries(adds.map((a) => [a.tag, a.version])) };
    expect(after.latest).toBe(after.dev);
    if (adds.some((a) => a.tag === 'latest')) expect(plan.notes.join('\n')).toMatch(/no release of @fx\/sdk exists yet, so dist-tag latest follows dev/);
  });

  it('dev publish after a release: latest goes back to the highest release', () => {
    const plan = planDistTags({
      name,
      version: dev2,
      distTag: 'dev',
      distTags: { dev: dev2, latest: dev2 },
      versions: ['0.0.9', '0.1.0', dev1, dev2, '0.2.0-rc.1'],
      holderIsNewer: false,
    });
    expect(plan.actions).toEqual([{ op: 'add', tag: 'latest', version: '0.1.0' }]);
  });

  it('dev moves forward to our version', () => {
    const plan = planDistTags({ name, version: dev2, distTag: 'dev', distTags: { dev: dev1, latest: '0.1.0' }, versions: ['0.1.0', dev1, dev2], holderIsNewer: false });
    expect(plan.actions).toEqual([{ op: 'add', tag: 'dev', version: dev2 }]);
  });

  it('a late run of an older commit leaves dev where it is and removes its throwaway tag', () => {
    const plan = planDistTags({
      name,
      version: dev1,
      distTag: 'dev',
      distTags: { dev: dev2, latest: '0.1.0', [`${TEMP_TAG_PREFIX}abc1234`]: dev1 },
      versions: ['0.1.0', dev1, dev2],
      holderIsNewer: true,
    });
    expect(plan.actions).toEqual([{ op: 'rm', tag: `${TEMP_TAG_PREFIX}abc1234` }]);
    expect(plan.notes.join('\n')).toMatch(/dev stays on 0\.1\.0-dev\.20251114100000/);
  });

  it('a release re-run whose tag is already right changes nothing', () => {
    const plan = planDistTags({ name, version: '0.1.0', distTag: 'latest', distTags: { latest: '0.1.0', dev: dev2 }, versions: ['0.1.0', dev2], holderIsNewer: false });
    expect(plan).toEqual({ actions: [], notes: [] });
  });
});

describe('publishTag', () => {
  it('publishes with the real tag when it may move, with a throwaway one when it may not', () => {
    expect(publishTag('dev', false, 'abc1234')).toBe('dev');
    expect(publishTag('dev', true, 'abc1234')).toBe(`${TEMP_TAG_PREFIX}abc1234`);
  });
});

describe('releaseHolderIsNewer (release tags only move up)', () => {
  it.each([
    ['no holder', undefined, '0.1.0', false],
    ['holder is ours', '0.1.0', '0.1.0', false],
    ['holder is lower', '0.1.0', '0.2.0', false],
    ['a backport after a higher release', '2.0.0', '1.9.1', true],
    ['holder is a dev version and ours a release', '0.3.0-dev.1', '0.2.0', false],
  ])('%s', (_n, holder, version, expected) => expect(releaseHolderIsNewer(holder, version)).toBe(expected));
});

describe('the adapter finds src/git isAncestor lazily', () => {
  it('loads a function with the (cwd, ancestor, descendant) signature', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { isAncestor } = require('../../git');
    expect(typeof isAncestor).toBe('function');
    expect(isAncestor.length).toBe(3);
  });
});
