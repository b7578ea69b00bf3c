import { planDistTags, publishTag, releaseHolderIsNewer, TEMP_TAG_PREFIX } from './dist-tags';

const name = '@fx/sdk';
const dev1 = '0.1.0-dev.20251113100000';
const dev2 = '0.1.0-dev.20251114100000';

describe('planDistTags', () => {
  it('first-ever dev publish: nothing to fix, but says clearly that latest points at the dev version', () => {
    const plan = planDistTags({ name, version: dev1, distTag: 'dev', distTags: { dev: dev1, latest: dev1 }, versions: [dev1], holderIsNewer: false });
    expect(plan.actions).toEqual([]);
    expect(plan.notes.join('\n')).toMatch(/no release of @fx\/sdk exists yet.*latest at dev version 0\.1\.0-dev\.20251113100000/);
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
