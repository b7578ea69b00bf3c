import * as semver from 'semver';

/**
 * Dist-tag policy, pure. The one rule for `latest` (docs/publish-flow.md, "npm latest"):
 *
 *   - a release always takes `latest`, unless a higher release holds it (a backport never does);
 *   - while a release exists, `latest` never names a dev (prerelease) version;
 *   - until a package's first release, `latest` follows `dev`: the registry sets `latest` on a
 *     package's first publish whatever the tag, so without this rule `npm i <pkg>` would install
 *     the FIRST dev build forever. With it, `latest` is never an older snapshot than `dev`.
 *
 * Every other tag only moves forward.
 */

/** Tags the release creates for one publish and removes right after (a late run must not move `dev`). */
export const TEMP_TAG_PREFIX = 'ameide-tmp-';

export type TagAction = { op: 'add'; tag: string; version: string } | { op: 'rm'; tag: string };

export interface TagPlanInput {
  name: string;
  version: string; // registry form (no +build)
  distTag: string; // the tag this release wants on its version (dev, latest, next)
  distTags: Record<string, string>; // as the registry shows them now
  versions: string[]; // every version the registry holds
  /** The version `distTag` names now is newer than ours (a late run of an older commit). */
  holderIsNewer: boolean;
}

export interface TagPlan {
  actions: TagAction[];
  notes: string[];
}

/** The tag to publish with: the real one, or a throwaway one when the real one must stay where it is. */
export function publishTag(distTag: string, holderIsNewer: boolean, shortSha: string): string {
  return holderIsNewer ? `${TEMP_TAG_PREFIX}${shortSha}` : distTag;
}

export function highestRelease(versions: string[]): string | undefined {
  return versions.filter((v) => semver.valid(v) && !semver.prerelease(v)).sort(semver.rcompare)[0];
}

/** What to change after a publish (or on the re-run of one) so the dist-tags are right. */
export function planDistTags(input: TagPlanInput): TagPlan {
  const { name, version, distTag, distTags, versions, holderIsNewer } = input;
  const actions: TagAction[] = [];
  const notes: string[] = [];
  const after = { ...distTags };

  if (distTags[distTag] !== version) {
    if (holderIsNewer) {
      notes.push(`dist-tag ${distTag} stays on ${distTags[distTag]} (newer than ${version}: this is a late run of an older commit)`);
    } else {
      actions.push({ op: 'add', tag: distTag, version });
      after[distTag] = version;
    }
  }
  for (const [tag, v] of Object.entries(distTags)) {
    if (tag.startsWith(TEMP_TAG_PREFIX) && v === version) {
      actions.push({ op: 'rm', tag });
      delete after[tag];
    }
  }
  const latest = after.latest;
  const release = highestRelease(versions);
  if (release) {
    if (latest && semver.valid(latest) && semver.prerelease(latest)) {
      actions.push({ op: 'add', tag: 'latest', version: release });
      notes.push(`dist-tag latest restored to ${release} (the registry had it on dev version ${latest})`);
    }
  } else if (after.dev && latest !== after.dev) {
    actions.push({ op: 'add', tag: 'latest', version: after.dev });
    notes.push(`no release of ${name} exists yet, so dist-tag latest follows dev (${after.dev}${latest ? `, was ${latest}` : ''}); the first vX.Y.Z release takes latest over`);
  }
  return { actions, notes };
}

/** Release tags (latest, next) only move to a higher version; a backport never takes them back. */
export function releaseHolderIsNewer(holder: string | undefined, version: string): boolean {
  if (!holder || !semver.valid(holder) || holder === version) return false;
  if (semver.prerelease(holder) && !semver.prerelease(version)) return false;
  return semver.gt(holder, version);
}
