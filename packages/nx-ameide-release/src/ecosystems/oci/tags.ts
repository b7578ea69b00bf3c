import * as semver from 'semver';
import type { VersionContext } from '../../version/types';
import type { Held } from '../../core/decide';

/**
 * The tag policy, pure: release.ts gathers the facts (the image under each tag, the tag list, dev
 * ancestry); nothing here does I/O. Two kinds of tags:
 *
 * Immutable tags are the image's artifacts under the one publish flow (src/core/publish-flow.ts):
 *   X.Y.Z, X.Y.Z-rc.N  `heldUnder` says what the tag holds and from which commit; src/flow/decide.ts
 *   <sha>              decides (same digest: done; same commit, other digest: refused; another
 *                      commit: conflict naming both). OCI's own rule on top: <sha> names the most
 *                      authoritative image of its commit (release > prerelease > dev, then the
 *                      higher version), so a less authoritative image of this commit under it is
 *                      superseded (absent for this run: the tag moves) and a more authoritative one
 *                      is kept (nothing to send).
 *
 * Pointers move by design and are the flow's `finish` step (`decidePointers`):
 *   latest             only for the highest stable release in the registry (and in git)
 *   X.Y                only for the highest stable release of its X.Y line in the registry
 *                      (a backport 1.9.1 after 2.0.0 takes `1.9`, never `latest`)
 *   dev                only forward: never to an ancestor of the commit it points at
 */

export type ImageChannel = 'release' | 'prerelease' | 'dev';

/** What this run pushes. */
export interface OurImage {
  digest: string;
  channel: ImageChannel;
  revision: string; // GIT_SHA
  version: string; // X.Y.Z[-pre] on release channels, the package version on dev
}

/** What a tag holds now, read from the manifest's annotations (or config labels). */
export interface ImageFacts {
  digest: string;
  channel: ImageChannel | null; // null: not made by this plugin
  revision: string | null;
  version: string | null;
}

export type TagKind = 'release' | 'minor' | 'latest' | 'sha' | 'dev' | 'other';

export type SkipCode = 'not-highest-release' | 'not-highest-in-line' | 'dev-would-move-back';
export type RefuseCode = 'invalid-tag' | 'not-reproducible' | 'foreign-image';

export type TagDecision =
  | { tag: string; kind: TagKind; action: 'create'; reason: string }
  | { tag: string; kind: TagKind; action: 'move'; reason: string; from: string }
  | { tag: string; kind: TagKind; action: 'unchanged'; reason: string }
  | { tag: string; kind: TagKind; action: 'skip'; code: SkipCode; reason: string }
  | { tag: string; kind: TagKind; action: 'refuse'; code: RefuseCode; reason: string };

export interface TagPolicyInput {
  ours: OurImage;
  /** GHCR_TAGS of the context, in order. */
  tags: string[];
  /** The image each of `tags` holds now; null (or absent) when the tag does not exist. */
  existing: Record<string, ImageFacts | null | undefined>;
  /** Every tag of the repository (for the highest-release checks). */
  registryTags: string[];
  /** Git's answer (context.IS_HIGHEST_RELEASE): false keeps `latest` even if the registry lacks the higher release. */
  isHighestReleaseInGit?: boolean;
  /** isAncestor(ours.revision, <revision `dev` holds>) when `dev` holds another commit. */
  devHoldsDescendant?: boolean;
}

const OCI_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const STABLE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const MINOR = /^(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const SHA = /^[0-9a-f]{40}$/;

export const isValidOciTag = (t: string) => OCI_TAG.test(t);

const RANK: Record<ImageChannel, number> = { dev: 0, prerelease: 1, release: 2 };

/** The channel this context publishes images on; null for `build` (never publishes). */
export function imageChannel(context: Pick<VersionContext, 'CHANNEL' | 'RELEASE_TAG'>): ImageChannel | null {
  if (context.CHANNEL === 'dev') return 'dev';
  if (context.CHANNEL !== 'release') return null;
  const v = context.RELEASE_TAG.replace(/^v/, '');
  return semver.prerelease(v) ? 'prerelease' : 'release';
}

export function classifyTag(tag: string, ours: Pick<OurImage, 'revision'>): TagKind {
  if (tag === 'latest') return 'latest';
  if (tag === 'dev') return 'dev';
  if (tag === ours.revision || SHA.test(tag)) return 'sha';
  if (MINOR.test(tag)) return 'minor';
  if (semver.valid(tag) === tag) return 'release';
  return 'other';
}

/** Highest stable X.Y.Z among tags, optionally within one X.Y line. */
export function highestStable(tags: string[], line?: { major: number; minor: number }): string | null {
  const stable = tags.filter((t) => STABLE.test(t) && (!line || (semver.major(t) === line.major && semver.minor(t) === line.minor)));
  return stable.sort(semver.rcompare)[0] ?? null;
}

const short = (s: string | null) => (s ? s.slice(0, 12) : 'unknown');
const describe = (f: ImageFacts) => `${f.digest} (${f.channel ?? 'unlabelled'} ${f.version ?? '?'} from ${f.revision ?? 'an unknown revision'})`;

function toDigest(tag: string, kind: TagKind, ours: OurImage, cur: ImageFacts | null | undefined, why: string): TagDecision {
  if (!cur) return { tag, kind, action: 'create', reason: why };
  if (cur.digest === ours.digest) return { tag, kind, action: 'unchanged', reason: 'already holds this digest' };
  return { tag, kind, action: 'move', reason: why, from: cur.digest };
}

function decideOne(tag: string, input: TagPolicyInput): TagDecision {
  const { ours } = input;
  const cur = input.existing[tag] ?? null;
  const kind = classifyTag(tag, ours);
  if (!isValidOciTag(tag)) {
    return { tag, kind, action: 'refuse', code: 'invalid-tag', reason: `'${tag}' is not a valid OCI tag ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})` };
  }
  if (cur && cur.digest === ours.digest) return { tag, kind, action: 'unchanged', reason: 'already holds this digest' };

  switch (kind) {
    case 'latest': {
      if (ours.channel !== 'release') return { tag, kind, action: 'skip', code: 'not-highest-release', reason: `${ours.channel} images never take latest` };
      if (input.isHighestReleaseInGit === false)
        return { tag, kind, action: 'skip', code: 'not-highest-release', reason: `git holds a higher release than ${ours.version}` };
      const top = highestStable(input.registryTags);
      if (top && semver.gt(top, ours.version))
        return { tag, kind, action: 'skip', code: 'not-highest-release', reason: `the registry holds ${top}, higher than ${ours.version}` };
      return toDigest(tag, kind, ours, cur, `${ours.version} is the highest release`);
    }

    case 'minor': {
      if (ours.channel !== 'release') return { tag, kind, action: 'skip', code: 'not-highest-in-line', reason: `${ours.channel} images never take ${tag}` };
      const top = highestStable(input.registryTags, { major: semver.major(ours.version), minor: semver.minor(ours.version) });
      if (top && semver.gt(top, ours.version))
        return { tag, kind, action: 'skip', code: 'not-highest-in-line', reason: `the registry holds ${top}, higher than ${ours.version} in ${tag}` };
      return toDigest(tag, kind, ours, cur, `${ours.version} is the highest release of ${tag}`);
    }

    case 'dev': {
      if (ours.channel !== 'dev') return toDigest(tag, kind, ours, cur, 'custom use of the dev tag');
      if (!cur) return { tag, kind, action: 'create', reason: 'first dev image' };
      if (cur.channel !== 'dev' || !cur.revision)
        return { tag, kind, action: 'refuse', code: 'foreign-image', reason: `dev holds ${describe(cur)}, not a dev image of this plugin` };
      if (cur.revision === ours.revision)
        return {
          tag,
          kind,
          action: 'refuse',
          code: 'not-reproducible',
          reason: `dev holds ${describe(cur)} but this run built ${ours.digest} from the same commit: the build is not reproducible`,
        };
      if (input.devHoldsDescendant)
        return { tag, kind, action: 'skip', code: 'dev-would-move-back', reason: `dev holds ${short(cur.revision)}, a descendant of ${short(ours.revision)}` };
      return { tag, kind, action: 'move', from: cur.digest, reason: `dev moves forward from ${short(cur.revision)}` };
    }

    default:
      return toDigest(tag, kind, ours, cur, 'custom tag');
  }
}

/** Is the tag one of the image's immutable artifacts (X.Y.Z, X.Y.Z-rc.N, <sha>), not a pointer? */
export const isImmutableTag = (tag: string, ours: Pick<OurImage, 'revision'>): boolean => {
  const kind = classifyTag(tag, ours);
  return kind === 'release' || kind === 'sha';
};

/** The first tag of `tags` that is not a valid OCI tag, or null. */
export function invalidTag(tags: string[]): string | null {
  return tags.find((t) => !isValidOciTag(t)) ?? null;
}

/**
 * What an immutable tag holds, for the one decision (src/flow/decide.ts). Pure. `sameBytes` is
 * the digest: image builds are reproducible, so this commit's image has exactly one digest per
 * channel and version. Under <sha>, OCI's own authority order applies first (see the top).
 */
export function heldUnder(tag: string, cur: ImageFacts | null | undefined, ours: OurImage): Held {
  if (!cur) return { state: 'absent' };
  const sameBytes = cur.digest === ours.digest;
  if (!sameBytes && classifyTag(tag, ours) === 'sha' && cur.channel && cur.revision === ours.revision) {
    const who = authority(ours, cur);
    if (who === 'ours') return { state: 'absent' };
    if (who === 'theirs') return { state: 'present', gitSha: cur.revision };
  }
  return { state: 'present', gitSha: cur.revision, sameBytes };
}

/**
 * Between two images of one commit, which one <sha> names: the higher channel, then the higher
 * version; `same` when neither wins (same channel and version: then the digests must be equal).
 */
export function authority(ours: OurImage, cur: ImageFacts): 'ours' | 'theirs' | 'same' {
  if (!cur.channel) return 'same';
  if (RANK[cur.channel] !== RANK[ours.channel]) return RANK[ours.channel] > RANK[cur.channel] ? 'ours' : 'theirs';
  if (cur.version && cur.version !== ours.version && semver.valid(cur.version) && semver.valid(ours.version)) {
    return semver.gt(ours.version, cur.version) ? 'ours' : 'theirs';
  }
  return 'same';
}

/** One decision per pointer tag (latest, X.Y, dev, custom), in the order of `tags` (duplicates and immutable tags dropped). */
export function decidePointers(input: TagPolicyInput): TagDecision[] {
  return [...new Set(input.tags)].filter((t) => !isImmutableTag(t, input.ours)).map((t) => decideOne(t, input));
}

/** The revision `dev` must be compared with, when the policy needs the ancestry answer. */
export function devAncestryQuestion(input: Omit<TagPolicyInput, 'devHoldsDescendant'>): string | null {
  if (input.ours.channel !== 'dev' || !input.tags.includes('dev')) return null;
  const cur = input.existing['dev'];
  if (!cur || cur.digest === input.ours.digest || cur.channel !== 'dev' || !cur.revision || cur.revision === input.ours.revision) return null;
  return cur.revision;
}
