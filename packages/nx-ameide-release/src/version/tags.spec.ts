import * as semver from 'semver';
import { compareVersionTagsDesc, highestStableTag, highestVersionTag, parseVersionTag, sortVersionTags } from './tags';

describe('release tags: parsed once, highest found in one pass', () => {
  it.each([
    ['v1.2.3', { version: '1.2.3', major: 1, minor: 2, patch: 3, prerelease: '' }],
    ['v2.0.0-rc.1', { version: '2.0.0-rc.1', major: 2, minor: 0, patch: 0, prerelease: 'rc.1' }],
  ])('%s is a release tag', (tag, expected) => {
    expect(parseVersionTag(tag)).toEqual({ tag, ...expected });
  });

  it.each(['1.2.3', 'v1.2', 'v01.2.3', 'v1.2.3+build', 'V1.2.3', 'release-3', 'v1.2.3.4', 'v'])('%s is not', (tag) => {
    expect(parseVersionTag(tag)).toBeNull();
  });

  it('the same name gives the same parsed tag (kept, not parsed again)', () => {
    expect(parseVersionTag('v3.4.5')).toBe(parseVersionTag('v3.4.5'));
  });

  const tags = ['v0.9.5', 'v0.10.0', 'docs-1', 'v1.0.0-rc.2', 'v1.0.0-rc.10', 'v0.10.0-beta.1', 'v1.2', 'v0.2.0'];

  it('highest first by SemVer precedence (numeric, prereleases below their release), ignoring non-release tags', () => {
    expect(sortVersionTags(tags).map((t) => t.tag)).toEqual(['v1.0.0-rc.10', 'v1.0.0-rc.2', 'v0.10.0', 'v0.10.0-beta.1', 'v0.9.5', 'v0.2.0']);
  });

  it('the one-pass highest agrees with the sort, for any tag and for stable ones', () => {
    expect(highestVersionTag(tags)?.tag).toBe(sortVersionTags(tags)[0].tag);
    expect(highestStableTag(tags)?.tag).toBe('v0.10.0');
    expect(highestVersionTag(tags, { stableOnly: true })?.tag).toBe(sortVersionTags(tags, { stableOnly: true })[0].tag);
    expect(highestVersionTag([])).toBeNull();
    expect(highestStableTag(['v1.0.0-rc.1', 'docs'])).toBeNull();
  });

  it('the comparison orders parsed tags without reparsing their strings', () => {
    const [a, b] = [parseVersionTag('v1.10.0')!, parseVersionTag('v1.9.0')!];
    expect(compareVersionTagsDesc(a, b)).toBeLessThan(0);
    expect(compareVersionTagsDesc(b, a)).toBeGreaterThan(0);
    expect(compareVersionTagsDesc(a, a)).toBe(0);
  });

  it('5,000 tags: every name parsed once however often the model asks', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `v${Math.floor(i / 100)}.${i % 100}.0`);
    expect(highestStableTag(many)?.tag).toBe('v49.99.0');
    const first = many.map(parseVersionTag);
    expect(many.map(parseVersionTag).every((t, i) => t === first[i])).toBe(true);
  });

  it('plain vX.Y.Z tags, parsed and compared without semver, agree with semver on every tag and every pair', () => {
    const names = [
      'v0.0.0', 'v0.0.1', 'v1.2.3', 'v1.10.0', 'v1.9.99', 'v10.0.0', 'v2.0.0-rc.1', 'v2.0.0', 'v2.0.0-alpha', 'v1.2.3-0',
      'v01.2.3', 'v1.02.3', 'v1.2.03', 'v1.2.3+b', 'v1.2.3-rc.1+b', 'v1.2', 'v1.2.3.4', 'v-1.2.3', 'v1.2.3 ', ' v1.2.3',
      'v999999999999999.0.0', 'v9999999999999999.0.0', 'v9007199254740992.0.0', 'v1.2.3-', 'v1.2.3-01', 'v1..3', 'vv1.2.3',
    ];
    // The reference: semver's strict parse, kept only when it does not normalise the string.
    const reference = (tag: string) => {
      const v = tag.startsWith('v') ? semver.parse(tag.slice(1)) : null;
      return v && v.version === tag.slice(1) ? { tag, version: v.version, major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.join('.') } : null;
    };
    for (const name of names) expect([name, parseVersionTag(name)]).toEqual([name, reference(name)]);
    const parsed = names.map(parseVersionTag).filter((t): t is NonNullable<typeof t> => t !== null);
    for (const a of parsed) for (const b of parsed) expect([a.tag, b.tag, compareVersionTagsDesc(a, b)]).toEqual([a.tag, b.tag, semver.rcompare(a.version, b.version)]);
  });
});
