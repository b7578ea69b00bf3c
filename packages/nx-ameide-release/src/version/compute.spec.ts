import { ReleaseError } from '../errors';
import { classifyRef, computeContext, contextWarnings, goPseudoVersion, isCanonicalSemver, isValidOciTag, pep440Prerelease, suggestReleaseTag } from './compute';
import { localRef, normalizeRef } from './ref';
import type { GitFacts } from './facts';
import { parseVersionTag, sortVersionTags } from './tags';
import type { VersionContext, VersionOptions } from './types';

// The seed's reference commit: tag v0.1.0, commit time frozen by the facts (no clock anywhere).
const SHA = '71e210beab37b68546d56dceccba18f09264ecc3';
const seedFacts = (over: Partial<GitFacts> = {}): GitFacts => ({
  headSha: SHA,
  commitTime: '2025-11-13T15:32:11Z',
  reachableTags: ['v0.1.0'],
  allTags: ['v0.1.0'],
  tagsAtHead: ['v0.1.0'],
  dirty: false,
  dirtyPaths: [],
  shallow: false,
  branch: 'main',
  ...over,
});
const DATE_TEMPLATES: VersionOptions = { npmDevVersion: '{base}-dev.{date}+g{shortSha}', pypiDevVersion: '{base}.dev{date}' };

interface Row {
  name: string;
  facts: GitFacts;
  ref: string;
  options?: VersionOptions;
  expected: Partial<VersionContext>;
}

const rows: Row[] = [
  {
    name: 'seed reference table, dev channel with {date} templates',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: DATE_TEMPLATES,
    expected: {
      BASE_VERSION: '0.1.0',
      GIT_SHA: SHA,
      SHORT_SHA: '71e210b',
      DATE: '20251113',
      DATETIME: '20251113153211',
      CHANNEL: 'dev',
      IS_RELEASE: false,
      NPM_VERSION: '0.1.0-dev.20251113+g71e210b',
      NPM_DIST_TAG: 'dev',
      PYPI_VERSION: '0.1.0.dev20251113',
      GO_VERSION: '',
      GHCR_TAGS: ['71e210beab37b68546d56dceccba18f09264ecc3', 'dev'],
    },
  },
  {
    name: 'seed reference table, release channel (tag v0.1.0 at HEAD)',
    facts: seedFacts(),
    ref: 'refs/tags/v0.1.0',
    options: DATE_TEMPLATES,
    expected: {
      BASE_VERSION: '0.1.0',
      CHANNEL: 'release',
      IS_RELEASE: true,
      NPM_VERSION: '0.1.0',
      NPM_DIST_TAG: 'latest',
      PYPI_VERSION: '0.1.0',
      GO_VERSION: 'v0.1.0',
      GHCR_TAGS: ['0.1.0', '0.1', 'latest', '71e210beab37b68546d56dceccba18f09264ecc3'],
      RELEASE_TAG: 'v0.1.0',
      IS_HIGHEST_RELEASE: true,
      GO_PSEUDO_VERSION: '',
    },
  },
  {
    name: 'defaults use {datetime}, so two commits on one day get two versions',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    expected: {
      NPM_VERSION: '0.1.0-dev.20251113153211+g71e210b',
      PYPI_VERSION: '0.1.0.dev20251113153211',
      NPM_DIST_TAG: 'dev',
      GO_PSEUDO_VERSION: 'v0.1.1-0.20251113153211-71e210beab37',
      COMMIT_TIME: '2025-11-13T15:32:11Z',
      REF: 'refs/heads/main',
    },
  },
  {
    name: 'no tag at all: seed 0.1.0, Go pseudo-version on v0.0.0',
    facts: seedFacts({ reachableTags: [], allTags: [], tagsAtHead: [] }),
    ref: 'refs/heads/main',
    expected: {
      BASE_VERSION: '0.1.0',
      NPM_VERSION: '0.1.0-dev.20251113153211+g71e210b',
      GO_PSEUDO_VERSION: 'v0.0.0-20251113153211-71e210beab37',
    },
  },
  {
    name: 'devBase next-patch puts dev builds above the last release',
    facts: seedFacts({ reachableTags: ['v1.4.2'], allTags: ['v1.4.2'], tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { devBase: 'next-patch', npmDevVersion: '{major}.{minor}.{patch}-dev.{datetime}' },
    expected: { BASE_VERSION: '1.4.2', NPM_VERSION: '1.4.3-dev.20251113153211', PYPI_VERSION: '1.4.3.dev20251113153211' },
  },
  {
    name: 'devBase next-patch without any tag stays on the seed (the first release is the seed)',
    facts: seedFacts({ reachableTags: [], allTags: [], tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { devBase: 'next-patch' },
    expected: { NPM_VERSION: '0.1.0-dev.20251113153211+g71e210b' },
  },
  {
    name: 'highest reachable SemVer wins, prereleases and non-SemVer ignored for the base',
    facts: seedFacts({
      reachableTags: ['v0.9.0', 'v0.10.0', 'v0.10.1-rc.1', 'v1.2', 'release-3', 'v01.2.3'],
      allTags: ['v0.9.0', 'v0.10.0', 'v0.10.1-rc.1'],
      tagsAtHead: [],
    }),
    ref: 'refs/heads/main',
    expected: { BASE_VERSION: '0.10.0', GO_PSEUDO_VERSION: 'v0.10.1-rc.1.0.20251113153211-71e210beab37' },
  },
  {
    name: 'a feature branch is the build channel: versions for testing, nothing to publish',
    facts: seedFacts({ tagsAtHead: [], branch: 'feature/x' }),
    ref: 'refs/heads/feature/x',
    expected: { CHANNEL: 'build', IS_RELEASE: false, NPM_DIST_TAG: '', GO_VERSION: '', GHCR_TAGS: [], NPM_VERSION: '0.1.0-dev.20251113153211+g71e210b' },
  },
  {
    name: 'a pull request ref is the build channel',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/pull/7/merge',
    expected: { CHANNEL: 'build', GHCR_TAGS: [] },
  },
  {
    name: 'a non-SemVer tag ref is the build channel, not a release',
    facts: seedFacts({ tagsAtHead: ['release-3'] }),
    ref: 'refs/tags/release-3',
    expected: { CHANNEL: 'build', RELEASE_TAG: '' },
  },
  {
    name: 'any other tag (docs-2024) is the build channel: builds, publishes nothing',
    facts: seedFacts({ tagsAtHead: ['docs-2024'] }),
    ref: 'refs/tags/docs-2024',
    expected: { CHANNEL: 'build', IS_RELEASE: false, RELEASE_TAG: '', NPM_DIST_TAG: '', GHCR_TAGS: [], REF: 'refs/tags/docs-2024' },
  },
  {
    name: 'a moving major tag (v1) is not mistaken for a release: build channel',
    facts: seedFacts({ tagsAtHead: ['v1'] }),
    ref: 'refs/tags/v1',
    expected: { CHANNEL: 'build', RELEASE_TAG: '' },
  },
  {
    name: 'mainBranch option moves the dev channel to another branch',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/trunk',
    options: { mainBranch: 'trunk' },
    expected: { CHANNEL: 'dev', NPM_DIST_TAG: 'dev' },
  },
  {
    name: 'main is the build channel when mainBranch is another branch',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { mainBranch: 'trunk' },
    expected: { CHANNEL: 'build' },
  },
  {
    name: 'rc prerelease: dist-tag next, PEP 440 rc1, no latest and no X.Y',
    facts: seedFacts({ reachableTags: ['v1.2.2', 'v1.2.3-rc.1'], allTags: ['v1.2.2', 'v1.2.3-rc.1'], tagsAtHead: ['v1.2.3-rc.1'] }),
    ref: 'refs/tags/v1.2.3-rc.1',
    expected: {
      CHANNEL: 'release',
      IS_RELEASE: true,
      BASE_VERSION: '1.2.2',
      NPM_VERSION: '1.2.3-rc.1',
      NPM_DIST_TAG: 'next',
      PYPI_VERSION: '1.2.3rc1',
      GO_VERSION: 'v1.2.3-rc.1',
      GHCR_TAGS: ['1.2.3-rc.1', SHA],
      IS_HIGHEST_RELEASE: false,
    },
  },
  {
    name: 'alpha and beta prereleases map to PEP 440 a and b',
    facts: seedFacts({ reachableTags: ['v2.0.0-beta.3'], allTags: ['v2.0.0-beta.3'], tagsAtHead: ['v2.0.0-beta.3'] }),
    ref: 'refs/tags/v2.0.0-beta.3',
    expected: { PYPI_VERSION: '2.0.0b3', NPM_DIST_TAG: 'next' },
  },
  {
    name: 'backport with allowBackport: published, but latest and X.Y stay on the higher release',
    facts: seedFacts({ reachableTags: ['v1.9.0', 'v1.9.1'], allTags: ['v1.9.0', 'v1.9.1', 'v2.0.0'], tagsAtHead: ['v1.9.1'] }),
    ref: 'refs/tags/v1.9.1',
    options: { allowBackport: true },
    expected: {
      CHANNEL: 'release',
      NPM_VERSION: '1.9.1',
      NPM_DIST_TAG: 'latest-1.9',
      GO_VERSION: 'v1.9.1',
      GHCR_TAGS: ['1.9.1', SHA],
      IS_HIGHEST_RELEASE: false,
    },
  },
  {
    name: 'a higher prerelease does not stop a release from being the highest',
    facts: seedFacts({ reachableTags: ['v1.2.3'], allTags: ['v1.2.3', 'v1.3.0-rc.1'], tagsAtHead: ['v1.2.3'] }),
    ref: 'refs/tags/v1.2.3',
    expected: { NPM_DIST_TAG: 'latest', GHCR_TAGS: ['1.2.3', '1.2', 'latest', SHA], IS_HIGHEST_RELEASE: true },
  },
  {
    name: 'a dirty tree does not stop the dev channel',
    facts: seedFacts({ tagsAtHead: [], dirty: true, dirtyPaths: ['a.txt'] }),
    ref: 'refs/heads/main',
    expected: { CHANNEL: 'dev' },
  },
];

describe('computeContext: named scenarios', () => {
  it.each(rows)('$name', ({ facts, ref, options, expected }) => {
    const ctx = computeContext(facts, ref, options);
    expect(ctx).toMatchObject(expected);
  });

  it('fills every key of the context, and is the same on every call (no clock)', () => {
    const a = computeContext(seedFacts({ tagsAtHead: [] }), 'refs/heads/main');
    expect(Object.keys(a).sort()).toEqual(
      [
        'BASE_VERSION', 'GIT_SHA', 'SHORT_SHA', 'DATE', 'DATETIME', 'CHANNEL', 'IS_RELEASE', 'NPM_VERSION', 'NPM_DIST_TAG',
        'PYPI_VERSION', 'GO_VERSION', 'GO_PSEUDO_VERSION', 'GHCR_TAGS', 'COMMIT_TIME', 'REF', 'RELEASE_TAG', 'IS_HIGHEST_RELEASE',
      ].sort(),
    );
    expect(computeContext(seedFacts({ tagsAtHead: [] }), 'refs/heads/main')).toEqual(a);
  });
});

interface Refusal {
  name: string;
  facts: GitFacts;
  ref: string;
  options?: VersionOptions;
  message: RegExp;
}

const refusals: Refusal[] = [
  {
    name: 'tag that looks like a release but is not one: no v prefix (1.2.3)',
    facts: seedFacts({ tagsAtHead: ['1.2.3'] }),
    ref: 'refs/tags/1.2.3',
    message: /tag 1\.2\.3 looks like a release but is not one: a release tag has the form vX\.Y\.Z or vX\.Y\.Z-rc\.N[\s\S]*fix: tag the commit as v1\.2\.3 \(git tag v1\.2\.3/,
  },
  {
    name: 'tag that looks like a release but is not one: incomplete version (v1.2)',
    facts: seedFacts({ tagsAtHead: ['v1.2'] }),
    ref: 'refs/tags/v1.2',
    message: /tag v1\.2 looks like a release but is not one: a release tag has the form vX\.Y\.Z or vX\.Y\.Z-rc\.N[\s\S]*fix: tag the commit as v1\.2\.0 \(git tag v1\.2\.0/,
  },
  {
    name: 'tag that looks like a release but is not one: capital V (V1.2.3)',
    facts: seedFacts({ tagsAtHead: ['V1.2.3'] }),
    ref: 'refs/tags/V1.2.3',
    message: /tag V1\.2\.3 looks like a release but is not one: a release tag has the form vX\.Y\.Z or vX\.Y\.Z-rc\.N[\s\S]*fix: tag the commit as v1\.2\.3 \(git tag v1\.2\.3/,
  },
  {
    name: 'tag that looks like a release but is not one: four numbers (v1.2.3.4)',
    facts: seedFacts({ tagsAtHead: ['v1.2.3.4'] }),
    ref: 'refs/tags/v1.2.3.4',
    message: /tag v1\.2\.3\.4 looks like a release but is not one: a release tag has the form vX\.Y\.Z or vX\.Y\.Z-rc\.N[\s\S]*fix: tag the commit as vX\.Y\.Z/,
  },
  {
    name: 'tag that looks like a release but is not one: leading zero (v01.2.3)',
    facts: seedFacts({ tagsAtHead: ['v01.2.3'] }),
    ref: 'refs/tags/v01.2.3',
    message: /tag v01\.2\.3 looks like a release but is not one: a release tag has the form vX\.Y\.Z or vX\.Y\.Z-rc\.N[\s\S]*fix: tag the commit as v1\.2\.3 \(git tag v1\.2\.3/,
  },
  {
    name: 'tag that looks like a release but is not one: build metadata (two tags could name one version) (v1.2.3+build.5)',
    facts: seedFacts({ tagsAtHead: ['v1.2.3+build.5'] }),
    ref: 'refs/tags/v1.2.3+build.5',
    message: /tag v1\.2\.3\+build\.5 looks like a release but is not one: a release tag has the form vX\.Y\.Z or vX\.Y\.Z-rc\.N[\s\S]*fix: tag the commit as v1\.2\.3 \(git tag v1\.2\.3/,
  },
  {
    name: 'tag that looks like a release but is not one: prerelease without the v (1.2.3-rc.1)',
    facts: seedFacts({ tagsAtHead: ['1.2.3-rc.1'] }),
    ref: 'refs/tags/1.2.3-rc.1',
    message: /tag 1\.2\.3-rc\.1 looks like a release but is not one: a release tag has the form vX\.Y\.Z or vX\.Y\.Z-rc\.N[\s\S]*fix: tag the commit as v1\.2\.3-rc\.1 \(git tag v1\.2\.3-rc\.1/,
  },
  {
    name: 'release tag that does not point at HEAD',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/tags/v0.1.0',
    message: /tag v0\.1\.0 does not point at HEAD \(71e210b\)[\s\S]*fix: check out the tagged commit/,
  },
  {
    name: 'release tag missing from the clone',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/tags/v0.2.0',
    message: /v0\.2\.0 is not in this clone[\s\S]*git fetch --tags/,
  },
  {
    name: 'release from a dirty tree',
    facts: seedFacts({ dirty: true, dirtyPaths: ['src/a.ts', 'README.md'] }),
    ref: 'refs/tags/v0.1.0',
    message: /working tree is dirty \(src\/a\.ts, README\.md\)/,
  },
  {
    name: 'release from a shallow clone (other tags unknown)',
    facts: seedFacts({ shallow: true }),
    ref: 'refs/tags/v0.1.0',
    message: /shallow clone[\s\S]*git fetch --tags --unshallow/,
  },
  {
    name: 'rollback: a higher release exists and no allowBackport',
    facts: seedFacts({ reachableTags: ['v1.9.1'], allTags: ['v1.9.1', 'v2.0.0'], tagsAtHead: ['v1.9.1'] }),
    ref: 'refs/tags/v1.9.1',
    message: /v2\.0\.0 is higher than v1\.9\.1[\s\S]*--allow-backport/,
  },
  {
    name: 'prerelease below an existing release',
    facts: seedFacts({ reachableTags: ['v1.2.3-rc.2'], allTags: ['v1.2.3', 'v1.2.3-rc.2'], tagsAtHead: ['v1.2.3-rc.2'] }),
    ref: 'refs/tags/v1.2.3-rc.2',
    message: /v1\.2\.3 is higher than v1\.2\.3-rc\.2/,
  },
  {
    name: 'prerelease label with no PEP 440 meaning',
    facts: seedFacts({ reachableTags: ['v1.2.3-preview.1'], allTags: ['v1.2.3-preview.1'], tagsAtHead: ['v1.2.3-preview.1'] }),
    ref: 'refs/tags/v1.2.3-preview.1',
    message: /v1\.2\.3-preview\.1 has no PEP 440 equivalent/,
  },
  {
    name: 'PyPI template with a +local part',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { pypiDevVersion: '{base}.dev{datetime}+g{shortSha}' },
    message: /pypiDevVersion template "\{base\}\.dev\{datetime\}\+g\{shortSha\}"[\s\S]*\+local/,
  },
  {
    name: 'PyPI template that is not PEP 440',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { pypiDevVersion: '{base}-snapshot-{shortSha}' },
    message: /pypiDevVersion template "\{base\}-snapshot-\{shortSha\}" gives "0\.1\.0-snapshot-71e210b", which is not a valid PEP 440/,
  },
  {
    name: 'PyPI template that PyPI would rename',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { pypiDevVersion: '{base}-dev{datetime}' },
    message: /normalises to "0\.1\.0\.dev20251113153211"/,
  },
  {
    name: 'npm template that is not SemVer',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { npmDevVersion: '{base}.dev{datetime}' },
    message: /npmDevVersion template "\{base\}\.dev\{datetime\}" gives "0\.1\.0\.dev20251113153211", which is not a valid SemVer/,
  },
  {
    name: 'unknown placeholder',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { npmDevVersion: '{base}-dev.{time}' },
    message: /npmDevVersion template "\{base\}-dev\.\{time\}" uses unknown placeholder \{time\}/,
  },
  {
    name: 'unknown devBase',
    facts: seedFacts({ tagsAtHead: [] }),
    ref: 'refs/heads/main',
    options: { devBase: 'next-minor' as never },
    message: /devBase must be one of latest-tag, next-patch/,
  },
];

describe('computeContext: refusals name the reason and the fix', () => {
  it.each(refusals)('$name', ({ facts, ref, options, message }) => {
    let err: unknown;
    try {
      computeContext(facts, ref, options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReleaseError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain('fix:');
  });
});

describe('classifyRef: the warning is data, printed by the edges', () => {
  it.each([
    { name: 'release tag: release channel, no warning', ref: 'refs/tags/v1.2.3', channel: 'release', warning: undefined },
    { name: 'main: dev channel, no warning', ref: 'refs/heads/main', channel: 'dev', warning: undefined },
    { name: 'feature branch: build channel, no warning (the usual PR build)', ref: 'refs/heads/feature/x', channel: 'build', warning: undefined },
    {
      name: 'other tag: build channel with a warning naming the release form',
      ref: 'refs/tags/docs-2024',
      channel: 'build',
      warning: 'tag docs-2024 is not a release tag (those have the form vX.Y.Z or vX.Y.Z-rc.N): running the build channel, nothing is published',
    },
  ])('$name', ({ ref, channel, warning }) => {
    const c = classifyRef(ref, 'main');
    expect(c.channel).toBe(channel);
    expect(c.warning).toBe(warning);
    expect(contextWarnings({ REF: ref, CHANNEL: c.channel })).toEqual(warning ? [warning] : []);
  });

  it.each([
    ['1.2.3', 'v1.2.3'],
    ['v1.2', 'v1.2.0'],
    ['V1.2.3-rc.1', 'v1.2.3-rc.1'],
    ['v01.02.3', 'v1.2.3'],
    ['v1.2.3.4', null],
    ['docs-2024', null],
  ])('suggestReleaseTag(%s) -> %s', (tag, expected) => {
    expect(suggestReleaseTag(tag)).toBe(expected);
  });
});

describe('the local ref and the --ref short form', () => {
  it.each([
    { name: 'release tag at HEAD wins over the branch', tagsAtHead: ['v1.2.3', 'docs'], branch: 'main', ref: 'refs/tags/v1.2.3' },
    { name: 'a look-alike tag at HEAD is taken (and then refused), not the branch', tagsAtHead: ['v1.2'], branch: 'main', ref: 'refs/tags/v1.2' },
    { name: 'another tag at HEAD on a branch: the branch decides', tagsAtHead: ['docs-2024'], branch: 'main', ref: 'refs/heads/main' },
    { name: 'another tag at a detached HEAD: that tag (build channel, warned)', tagsAtHead: ['docs-2024'], branch: null, ref: 'refs/tags/docs-2024' },
  ])('$name', ({ tagsAtHead, branch, ref }) => {
    expect(localRef(seedFacts({ tagsAtHead, branch }))).toBe(ref);
  });

  it.each([
    ['v1.2.3', 'refs/tags/v1.2.3'],
    ['1.2.3', 'refs/tags/1.2.3'],
    ['v1.2', 'refs/tags/v1.2'],
    ['main', 'refs/heads/main'],
    ['refs/heads/v1.2', 'refs/heads/v1.2'],
  ])('normalizeRef(%s) -> %s', (short, full) => {
    expect(normalizeRef(short)).toBe(full);
  });

  it('a look-alike at HEAD is refused with the expected form', () => {
    const facts = seedFacts({ tagsAtHead: ['1.2.3'] });
    expect(() => computeContext(facts, localRef(facts))).toThrow(/tag 1\.2\.3 looks like a release[\s\S]*vX\.Y\.Z or vX\.Y\.Z-rc\.N/);
  });
});

describe('helpers', () => {
  it.each([
    ['v1.2.3', '1.2.3'],
    ['v1.2.3-rc.1', '1.2.3-rc.1'],
    ['v1.2', null],
    ['release-3', null],
    ['v01.2.3', null],
    ['1.2.3', null],
    ['v1.2.3+build.5', null],
  ])('parseVersionTag(%s) -> %s', (tag, version) => {
    expect(parseVersionTag(tag)?.version ?? null).toBe(version);
  });

  it('sorts by SemVer, not by text or recency', () => {
    expect(sortVersionTags(['v0.9.0', 'v0.10.0', 'v0.10.0-rc.1', 'v0.2.0']).map((t) => t.tag)).toEqual([
      'v0.10.0',
      'v0.10.0-rc.1',
      'v0.9.0',
      'v0.2.0',
    ]);
  });

  it.each([
    ['v1.0.0-alpha.1', '1.0.0a1'],
    ['v1.0.0-a.2', '1.0.0a2'],
    ['v1.0.0-beta.2', '1.0.0b2'],
    ['v1.0.0-rc.10', '1.0.0rc10'],
    ['v1.0.0-rc1', '1.0.0rc1'],
    ['v1.0.0-rc', '1.0.0rc0'],
  ])('PEP 440 of %s is %s', (tag, expected) => {
    expect(pep440Prerelease(parseVersionTag(tag)!)).toBe(expected);
  });

  it.each([
    ['latest', true],
    ['0.1.0', true],
    [SHA, true],
    ['_x', true],
    ['0.1.0-dev.20251113+g71e210b', false],
    ['.hidden', false],
    ['-x', false],
    ['a'.repeat(128), true],
    ['a'.repeat(129), false],
  ])('OCI tag %s valid: %s', (tag, ok) => {
    expect(isValidOciTag(tag)).toBe(ok);
  });

  it('Go pseudo-version follows the latest reachable tag', () => {
    expect(goPseudoVersion([], '20251113153211', SHA)).toBe('v0.0.0-20251113153211-71e210beab37');
    expect(goPseudoVersion(['v1.2.3'], '20251113153211', SHA)).toBe('v1.2.4-0.20251113153211-71e210beab37');
    expect(goPseudoVersion(['v1.2.3', 'v1.3.0-rc.1'], '20251113153211', SHA)).toBe('v1.3.0-rc.1.0.20251113153211-71e210beab37');
  });
});

describe('isCanonicalSemver: the grammar fast path agrees with semver', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const semver = require('semver') as typeof import('semver');
  const reference = (version: string) => {
    const v = semver.parse(version);
    return (v ? `${v.version}${v.build.length ? `+${v.build.join('.')}` : ''}` : null) === version;
  };
  const versions = [
    '0.1.0', '1.2.3', '0.1.0-dev.20261125103000+g0491117', '0.1.0-dev.20261125103000', '1.2.3-rc.1', '1.2.3-0', '1.2.3-alpha-beta.x-1',
    '1.2.3+build.001', '1.2.3-01', '1.2.3-rc.01', '01.2.3', '1.2', '1.2.3.4', 'v1.2.3', '1.2.3-', '1.2.3+', '1.2.3-rc..1', '1.2.3 ',
    '1.2.3-dev.99999999999999999999', '999999999999999.0.0', '9999999999999999.0.0', '1.2.3-dev_1', '1.2.3+g0491117.dirty',
    `1.2.3-${'a'.repeat(190)}`, `1.2.3-${'a'.repeat(260)}`, '1.2.3-ééé', '',
  ];
  it.each(versions)('%s', (version) => {
    expect(isCanonicalSemver(version)).toBe(reference(version));
  });
});
