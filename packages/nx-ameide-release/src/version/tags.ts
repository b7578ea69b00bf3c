import type { SemVer } from 'semver';

/*
 * semver loads only for a tag with a prerelease or an unusual form: plain `vX.Y.Z` tags (nearly all
 * of a repository's tags) are parsed and compared here, 5,000 of them in a few milliseconds.
 * One function each, not semver's index (~50 modules of ranges and comparators).
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const parseSemver = (v: string): SemVer | null => (require('semver/functions/parse') as typeof import('semver/functions/parse'))(v);
const rcompare = (a: SemVer | string, b: SemVer | string): number => (require('semver/functions/rcompare') as typeof import('semver/functions/rcompare'))(a, b);
/* eslint-enable @typescript-eslint/no-var-requires */

/**
 * `vX.Y.Z` with numbers as strict SemVer writes them (no leading zero), at most 15 digits each (far
 * below Number.MAX_SAFE_INTEGER, which semver enforces): such a tag is a release tag, and semver's
 * own parse would give the same numbers. Anything else goes through semver.
 */
const PLAIN_RELEASE = /^v(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;

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
  let parsed = PARSED.get(tag);
  if (parsed === undefined) {
    parsed = parseOnce(tag);
    PARSED.set(tag, parsed);
  }
  return parsed;
}

/**
 * Every tag name is parsed once per process: git facts filter them, the model sorts them, the
 * ref logic classifies them (5,000 tags are 5,000 parses, not 15,000). VersionTag is read-only data.
 */
const PARSED = new Map<string, VersionTag | null>();
const SEMVER = new WeakMap<VersionTag, SemVer>();

function parseOnce(tag: string): VersionTag | null {
  if (!tag.startsWith('v')) return null;
  const plain = PLAIN_RELEASE.exec(tag);
  if (plain) return { tag, version: tag.slice(1), major: Number(plain[1]), minor: Number(plain[2]), patch: Number(plain[3]), prerelease: '' };
  const version = tag.slice(1);
  // semver.parse is strict by default; comparing with the input rejects anything it had to normalise
  // (and `+build`, which SemVer.version drops).
  const v = parseSemver(version);
  if (!v || v.version !== version) return null;
  const parsed: VersionTag = { tag, version, major: v.major, minor: v.minor, patch: v.patch, prerelease: v.prerelease.join('.') };
  SEMVER.set(parsed, v);
  return parsed;
}

/** Highest first; compares the parsed versions (no re-parse per comparison). */
export function compareVersionTagsDesc(a: VersionTag, b: VersionTag): number {
  // Stable against stable: the numbers decide (what semver does without prereleases).
  if (a.prerelease === '' && b.prerelease === '') return Math.sign(b.major - a.major || b.minor - a.minor || b.patch - a.patch);
  return rcompare(SEMVER.get(a) ?? a.version, SEMVER.get(b) ?? b.version);
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
    .sort(compareVersionTagsDesc);
}

/** The highest release tag among `tags` (stable ones only with stableOnly), or null: one pass, no sort. */
export function highestVersionTag(tags: readonly string[], opts: { stableOnly?: boolean } = {}): VersionTag | null {
  let best: VersionTag | null = null;
  for (const name of tags) {
    const t = parseVersionTag(name);
    if (t && (!opts.stableOnly || t.prerelease === '') && (best === null || compareVersionTagsDesc(t, best) < 0)) best = t;
  }
  return best;
}

/** The highest stable `vX.Y.Z` among `tags`, or null. */
export function highestStableTag(tags: readonly string[]): VersionTag | null {
  return highestVersionTag(tags, { stableOnly: true });
}
