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

/** The form a release tag must have, for error messages. */
export const RELEASE_TAG_FORM = 'vX.Y.Z or vX.Y.Z-rc.N';

/**
 * Digits-and-dots with an optional v/V in front and anything after a `-` or `+`: what a person
 * means as a version (`1.2.3`, `v1.2`, `V1.2.3`, `v1.2.3.4`, `v01.2.3`, `v1.2.3+build`). At
 * least two numbers, so a moving major tag such as `v1` is not taken for a release.
 */
const LOOKS_LIKE_VERSION = /^[vV]?\d+(\.\d+)+([-+].*)?$/;

/**
 * What a git tag is to the channel logic: a release tag, a tag that looks like a release but
 * is not one (refused: a typo must not quietly run another channel), or any other tag.
 */
export type TagKind = { kind: 'release'; tag: VersionTag } | { kind: 'lookalike' } | { kind: 'other' };

export function classifyTag(name: string): TagKind {
  const tag = parseVersionTag(name);
  if (tag) return { kind: 'release', tag };
  return LOOKS_LIKE_VERSION.test(name) ? { kind: 'lookalike' } : { kind: 'other' };
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
