import * as semver from 'semver';

/** A release tag `vX.Y.Z` or `vX.Y.Z-<prerelease>`, parsed. */
export interface VersionTag {
  tag: string; // v1.2.3-rc.1
  version: string; // 1.2.3-rc.1
  major: number;
  minor: number;
  patch: number;
  prerelease: string; // '' for a stable release, else rc.1
}

/**
 * Parse a git tag as a release tag. Only the strict SemVer form with a `v` prefix counts:
 * `v1.2` (incomplete), `release-3`, `v01.2.3` (leading zero) and `v1.2.3+build` (build
 * metadata: two tags could name one version) are not release tags and are ignored.
 */
export function parseVersionTag(tag: string): VersionTag | null {
  if (!tag.startsWith('v')) return null;
  const version = tag.slice(1);
  // semver.valid is strict by default; comparing with the input rejects anything it had to normalise.
  if (semver.valid(version) !== version || version.includes('+')) return null;
  const v = semver.parse(version)!;
  return { tag, version, major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.join('.') };
}

/** Release tags among `tags`, highest SemVer first (ties impossible: one tag per version). */
export function sortVersionTags(tags: readonly string[], opts: { stableOnly?: boolean } = {}): VersionTag[] {
  return tags
    .map(parseVersionTag)
    .filter((t): t is VersionTag => t !== null && (!opts.stableOnly || t.prerelease === ''))
    .sort((a, b) => semver.rcompare(a.version, b.version));
}

/** The highest stable `vX.Y.Z` among `tags`, or null. */
export function highestStableTag(tags: readonly string[]): VersionTag | null {
  return sortVersionTags(tags, { stableOnly: true })[0] ?? null;
}
