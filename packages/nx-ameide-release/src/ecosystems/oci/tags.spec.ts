import { decide, refusal } from '../../core/decide';
import { decidePointers, devAncestryQuestion, heldUnder, imageChannel, type ImageFacts, type OurImage, type TagPolicyInput } from './tags';

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

/** Pointer tags (latest, X.Y, dev, custom) under the pointer policy; immutable tags in the input are not its business. */
const rows: Row[] = [
  {
    row: 'first release of the highest version creates every pointer (X.Y.Z and <sha> are artifacts, not pointers)',
    input: { ours: release('0.1.0'), tags: ['0.1.0', '0.1', 'latest', SHA] },
    expected: { '0.1': 'create', latest: 'create' },
  },
  {
    row: 're-running the same release is a no-op on every pointer',
    input: {
      ours: release('0.1.0'),
      tags: ['0.1.0', '0.1', 'latest', SHA],
      registryTags: ['0.1.0', '0.1', 'latest', SHA],
      existing: Object.fromEntries(['0.1.0', '0.1', 'latest', SHA].map((t) => [t, facts({ digest: D(1), channel: 'release', version: '0.1.0' })])),
    },
    expected: { '0.1': 'unchanged', latest: 'unchanged' },
  },
  {
    row: 'a newer release moves latest and X.Y',
    input: {
      ours: release('0.2.0'),
      tags: ['0.2.0', '0.2', 'latest', SHA],
      registryTags: ['0.1.0', '0.1', 'latest'],
      existing: { latest: facts({ digest: D(9), channel: 'release', revision: OLD, version: '0.1.0' }) },
    },
    expected: { '0.2': 'create', latest: 'move' },
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
    expected: { '1.9': 'move', latest: 'skip:not-highest-release' },
  },
  {
    row: 'an older patch of a line (1.9.0 after 1.9.2) takes neither 1.9 nor latest',
    input: { ours: release('1.9.0'), tags: ['1.9.0', '1.9', 'latest'], registryTags: ['1.9.2', '1.9'] },
    expected: { '1.9': 'skip:not-highest-in-line', latest: 'skip:not-highest-release' },
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
    row: 'dev moves forward to a descendant',
    input: { ours: dev, tags: [SHA, 'dev'], existing: { dev: facts({ digest: D(4), revision: OLD }) }, devHoldsDescendant: false },
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
    row: 'dev holding an image not made by this plugin is never moved',
    input: { ours: dev, tags: ['dev'], existing: { dev: { digest: D(6), channel: null, revision: null, version: null } } },
    expected: { dev: 'refuse:foreign-image' },
  },
  {
    row: 'a prerelease never takes latest or X.Y',
    input: { ours: { ...release('2.0.0-rc.1'), channel: 'prerelease' }, tags: ['2.0.0-rc.1', 'latest', '2.0'] },
    expected: { latest: 'skip:not-highest-release', '2.0': 'skip:not-highest-in-line' },
  },
  {
    row: 'an invalid OCI tag is refused',
    input: { ours: dev, tags: ['-bad', 'a+b'] },
    expected: { '-bad': 'refuse:invalid-tag', 'a+b': 'refuse:invalid-tag' },
  },
];

describe('decidePointers', () => {
  it.each(rows.map((r) => [r.row, r] as const))('%s', (_name, r) => {
    const decisions = decidePointers({ existing: {}, registryTags: [], ...r.input });
    const got = Object.fromEntries(decisions.map((d) => [d.tag, 'code' in d ? `${d.action}:${d.code}` : d.action]));
    expect(got).toEqual(r.expected);
    for (const d of decisions) expect(d.reason).toBeTruthy();
  });
});

/**
 * Immutable tags (X.Y.Z, <sha>) are artifacts: heldUnder says what the tag holds, the one shared
 * decision (src/flow/decide.ts) decides. Only OCI's own authority order under <sha> is tested
 * for itself here; the decision's own table is flow/decide.spec.ts.
 */
const held: [string, string, OurImage, ImageFacts | null, string][] = [
  ['an absent X.Y.Z is published', '0.1.0', release('0.1.0'), null, 'publish'],
  ['X.Y.Z holding our digest is done (a re-run sends nothing)', '0.1.0', release('0.1.0'), facts({ digest: D(1), channel: 'release', version: '0.1.0' }), 'done'],
  ['X.Y.Z from another commit is a conflict', '0.1.0', release('0.1.0'), facts({ digest: D(7), channel: 'release', revision: OLD, version: '0.1.0' }), 'conflict'],
  ['X.Y.Z from this commit with another digest is refused (not reproducible)', '0.1.0', release('0.1.0'), facts({ digest: D(7), channel: 'release', version: '0.1.0' }), 'refused'],
  ['the release of a SHA published on dev supersedes the dev image under <sha>', SHA, release('0.1.0'), facts({ digest: D(2), channel: 'dev' }), 'publish'],
  ['the release supersedes a prerelease image under <sha>', SHA, release('0.1.0'), facts({ digest: D(3), channel: 'prerelease', version: '0.1.0-rc.1' }), 'publish'],
  ['a second prerelease of one commit (rc.2 after rc.1) supersedes it', SHA, { ...release('1.0.0-rc.2'), channel: 'prerelease' }, facts({ digest: D(3), channel: 'prerelease', version: '1.0.0-rc.1' }), 'publish'],
  ['a dev run keeps the release image under <sha> (nothing to send)', SHA, dev, facts({ digest: D(1), channel: 'release', version: '0.1.0' }), 'done'],
  ['an older prerelease keeps the newer one under <sha>', SHA, { ...release('1.0.0-rc.1'), channel: 'prerelease' }, facts({ digest: D(3), channel: 'prerelease', version: '1.0.0-rc.2' }), 'done'],
  ['another digest under <sha> in the same channel and version is refused (not reproducible)', SHA, dev, facts({ digest: D(5), channel: 'dev', version: dev.version }), 'refused'],
  ['an unlabelled image under <sha> is never overwritten (conflict: no commit known)', SHA, dev, { digest: D(6), channel: null, revision: null, version: null }, 'conflict'],
  ['<sha> holding our digest is done', SHA, dev, facts({ digest: dev.digest, version: dev.version }), 'done'],
];

describe('heldUnder + decide', () => {
  it.each(held)('%s', (_row, tag, ours, cur, action) => {
    expect(decide(ours.revision, heldUnder(tag, cur, ours)).action).toBe(action);
  });

  it('the refusal of an X.Y.Z held by another commit names both commits', () => {
    const d = decide(SHA, heldUnder('0.1.0', facts({ digest: D(7), channel: 'release', revision: OLD, version: '0.1.0' }), release('0.1.0')));
    if (d.action !== 'conflict') throw new Error(`expected a conflict, got ${d.action}`);
    const e = refusal('ghcr.io/o/sdk:0.1.0', 'ghcr.io', SHA, d);
    expect(e.message).toContain(OLD);
    expect(e.message).toContain(SHA);
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
