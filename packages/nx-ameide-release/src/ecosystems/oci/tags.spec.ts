import { decideTags, devAncestryQuestion, imageChannel, type ImageFacts, type OurImage, type TagPolicyInput } from './tags';

const SHA = '71e210beab37b68546d56dceccba18f09264ecc3';
const OLD = '1111111111111111111111111111111111111111';
const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

const release = (version: string, digest = D(1)): OurImage => ({ digest, channel: 'release', revision: SHA, version });
const dev: OurImage = { digest: D(2), channel: 'dev', revision: SHA, version: '0.1.0-dev.20251113153211' };
const facts = (f: Partial<ImageFacts> & { digest: string }): ImageFacts => ({ channel: 'dev', revision: SHA, version: null, ...f });

interface Row {
  row: string;
  input: Omit<TagPolicyInput, 'existing' | 'registryTags'> & Partial<Pick<TagPolicyInput, 'existing' | 'registryTags'>>;
  expected: Record<string, string>; // tag -> action or action:code
}

const rows: Row[] = [
  {
    row: 'first release of the highest version creates every tag',
    input: { ours: release('0.1.0'), tags: ['0.1.0', '0.1', 'latest', SHA] },
    expected: { '0.1.0': 'create', '0.1': 'create', latest: 'create', [SHA]: 'create' },
  },
  {
    row: 're-running the same release is a no-op on every tag',
    input: {
      ours: release('0.1.0'),
      tags: ['0.1.0', '0.1', 'latest', SHA],
      registryTags: ['0.1.0', '0.1', 'latest', SHA],
      existing: Object.fromEntries(['0.1.0', '0.1', 'latest', SHA].map((t) => [t, facts({ digest: D(1), channel: 'release', version: '0.1.0' })])),
    },
    expected: { '0.1.0': 'unchanged', '0.1': 'unchanged', latest: 'unchanged', [SHA]: 'unchanged' },
  },
  {
    row: 'a newer release moves latest and X.Y',
    input: {
      ours: release('0.2.0'),
      tags: ['0.2.0', '0.2', 'latest', SHA],
      registryTags: ['0.1.0', '0.1', 'latest'],
      existing: { latest: facts({ digest: D(9), channel: 'release', revision: OLD, version: '0.1.0' }) },
    },
    expected: { '0.2.0': 'create', '0.2': 'create', latest: 'move', [SHA]: 'create' },
  },
  {
    row: 'a backport (1.9.1 after 2.0.0) does not take latest but takes its own 1.9 line',
    input: {
      ours: release('1.9.1'),
      tags: ['1.9.1', '1.9', 'latest', SHA],
      registryTags: ['1.9.0', '1.9', '2.0.0', '2.0', 'latest'],
      existing: {
        '1.9': facts({ digest: D(8), channel: 'release', revision: OLD, version: '1.9.0' }),
        latest: facts({ digest: D(9), channel: 'release', revision: OLD, version: '2.0.0' }),
      },
    },
    expected: { '1.9.1': 'create', '1.9': 'move', latest: 'skip:not-highest-release', [SHA]: 'create' },
  },
  {
    row: 'an older patch of a line (1.9.0 after 1.9.2) takes neither 1.9 nor latest',
    input: { ours: release('1.9.0'), tags: ['1.9.0', '1.9', 'latest'], registryTags: ['1.9.2', '1.9'] },
    expected: { '1.9.0': 'create', '1.9': 'skip:not-highest-in-line', latest: 'skip:not-highest-release' },
  },
  {
    row: 'git knows a higher release the registry lacks: latest stays',
    input: { ours: release('1.0.0'), tags: ['latest'], isHighestReleaseInGit: false },
    expected: { latest: 'skip:not-highest-release' },
  },
  {
    row: 'a prerelease or dev tag in the registry never counts as the highest release',
    input: { ours: release('1.0.0'), tags: ['latest'], registryTags: ['2.0.0-rc.1', 'dev', SHA, 'v3.0.0'] },
    expected: { latest: 'create' },
  },
  {
    row: 'an existing X.Y.Z with another digest is refused (release tags are immutable)',
    input: {
      ours: release('0.1.0'),
      tags: ['0.1.0'],
      registryTags: ['0.1.0'],
      existing: { '0.1.0': facts({ digest: D(7), channel: 'release', revision: OLD, version: '0.1.0' }) },
    },
    expected: { '0.1.0': 'refuse:release-tag-immutable' },
  },
  {
    row: 'the release of a SHA published on dev moves <sha> to the release image',
    input: { ours: release('0.1.0'), tags: [SHA], existing: { [SHA]: facts({ digest: D(2), channel: 'dev' }) } },
    expected: { [SHA]: 'move' },
  },
  {
    row: 'the release of a SHA published as a prerelease moves <sha> to the release image',
    input: { ours: release('0.1.0'), tags: [SHA], existing: { [SHA]: facts({ digest: D(3), channel: 'prerelease', version: '0.1.0-rc.1' }) } },
    expected: { [SHA]: 'move' },
  },
  {
    row: 'a dev run never moves a <sha> that holds the release image',
    input: { ours: dev, tags: [SHA, 'dev'], existing: { [SHA]: facts({ digest: D(1), channel: 'release', version: '0.1.0' }) } },
    expected: { [SHA]: 'skip:sha-holds-more-authoritative', dev: 'create' },
  },
  {
    row: 'another digest under <sha> in the same channel is a non-reproducible build',
    input: { ours: dev, tags: [SHA], existing: { [SHA]: facts({ digest: D(5), channel: 'dev', version: dev.version }) } },
    expected: { [SHA]: 'refuse:not-reproducible' },
  },
  {
    row: 'a second prerelease of the same commit (rc.2 after rc.1) takes <sha>',
    input: {
      ours: { ...release('1.0.0-rc.2'), channel: 'prerelease' },
      tags: ['1.0.0-rc.2', SHA],
      existing: { [SHA]: facts({ digest: D(3), channel: 'prerelease', version: '1.0.0-rc.1' }) },
    },
    expected: { '1.0.0-rc.2': 'create', [SHA]: 'move' },
  },
  {
    row: 'an image not labelled by this plugin under <sha> is never overwritten',
    input: { ours: dev, tags: [SHA], existing: { [SHA]: { digest: D(6), channel: null, revision: null, version: null } } },
    expected: { [SHA]: 'refuse:foreign-image' },
  },
  {
    row: 'dev moves forward to a descendant',
    input: { ours: dev, tags: ['dev'], existing: { dev: facts({ digest: D(4), revision: OLD }) }, devHoldsDescendant: false },
    expected: { dev: 'move' },
  },
  {
    row: 'an older dev run does not move dev back',
    input: { ours: dev, tags: ['dev'], existing: { dev: facts({ digest: D(4), revision: OLD }) }, devHoldsDescendant: true },
    expected: { dev: 'skip:dev-would-move-back' },
  },
  {
    row: 'dev holding the same commit with another digest is a non-reproducible build',
    input: { ours: dev, tags: ['dev'], existing: { dev: facts({ digest: D(4) }) } },
    expected: { dev: 'refuse:not-reproducible' },
  },
  {
    row: 'a release never takes latest or X.Y when it is a prerelease',
    input: { ours: { ...release('2.0.0-rc.1'), channel: 'prerelease' }, tags: ['2.0.0-rc.1', 'latest', '2.0'] },
    expected: { '2.0.0-rc.1': 'create', latest: 'skip:not-highest-release', '2.0': 'skip:not-highest-in-line' },
  },
  {
    row: 'an invalid OCI tag is refused',
    input: { ours: dev, tags: ['-bad', 'a+b'] },
    expected: { '-bad': 'refuse:invalid-tag', 'a+b': 'refuse:invalid-tag' },
  },
];

describe('decideTags', () => {
  it.each(rows.map((r) => [r.row, r] as const))('%s', (_name, r) => {
    const decisions = decideTags({ existing: {}, registryTags: [], ...r.input });
    const got = Object.fromEntries(decisions.map((d) => [d.tag, 'code' in d ? `${d.action}:${d.code}` : d.action]));
    expect(got).toEqual(r.expected);
    for (const d of decisions) expect(d.reason).toBeTruthy();
  });

  it('names both revisions when refusing to move a release tag', () => {
    const [d] = decideTags({
      ours: release('0.1.0'),
      tags: ['0.1.0'],
      registryTags: ['0.1.0'],
      existing: { '0.1.0': facts({ digest: D(7), channel: 'release', revision: OLD, version: '0.1.0' }) },
    });
    expect(d.reason).toContain(OLD);
    expect(d.reason).toContain(SHA);
  });
});

describe('devAncestryQuestion', () => {
  it('asks about the commit dev holds only when the answer matters', () => {
    const base = { ours: dev, tags: [SHA, 'dev'], registryTags: [] };
    expect(devAncestryQuestion({ ...base, existing: { dev: facts({ digest: D(4), revision: OLD }) } })).toBe(OLD);
    expect(devAncestryQuestion({ ...base, existing: {} })).toBeNull();
    expect(devAncestryQuestion({ ...base, existing: { dev: facts({ digest: dev.digest, revision: OLD }) } })).toBeNull();
    expect(devAncestryQuestion({ ...base, ours: release('1.0.0'), existing: { dev: facts({ digest: D(4), revision: OLD }) } })).toBeNull();
  });
});

describe('imageChannel', () => {
  it.each([
    ['release tag', { CHANNEL: 'release', RELEASE_TAG: 'v1.2.3' }, 'release'],
    ['prerelease tag', { CHANNEL: 'release', RELEASE_TAG: 'v1.2.3-rc.1' }, 'prerelease'],
    ['main branch', { CHANNEL: 'dev', RELEASE_TAG: '' }, 'dev'],
    ['any other ref', { CHANNEL: 'build', RELEASE_TAG: '' }, null],
  ] as const)('%s', (_row, ctx, expected) => {
    expect(imageChannel(ctx)).toBe(expected);
  });
});
