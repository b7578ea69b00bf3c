import { highestRelease, planDistTags, TEMP_TAG_PREFIX, type TagAction, type TagPlanInput } from './dist-tags';

/**
 * The npm upload's own `--tag`, and the dist-tag writes the documented outcomes still need after
 * it, for both credential modes. Pure. The rules for where each tag belongs stay in planDistTags
 * (src/ecosystems/npm/dist-tags.ts); this adds what trusted publishing changes:
 *
 *   - OIDC authenticates `npm publish` only; `npm dist-tag add/rm` fail with ENEEDAUTH
 *     (npm/cli#8547). So every outcome the publish's own `--tag` can land is landed by it, and
 *     every further write is listed with the promise it keeps. With a token (mode `token`, also
 *     alongside OIDC) they are done; with OIDC alone they are not, and the plan says which
 *     promise does not hold (the dry run, the preflight and the publish print it).
 *   - A late run of an older commit publishes under a throwaway tag (npm always sets one).
 *     With a token it is removed right after (`ameide-tmp-<sha>`); with OIDC alone it cannot be,
 *     so it is one fixed name, LATE_RUN_TAG, that the next late run moves instead of adding one
 *     more tag per late run. No documented tag moves back in either mode.
 *
 * The registry's own rule is part of the plan: a package's FIRST publish also gets `latest`,
 * whatever `--tag` says (seen on Verdaccio and npmjs).
 */

/** The throwaway tag of a late run under OIDC alone; starts with TEMP_TAG_PREFIX, so a later run with a token removes it. */
export const LATE_RUN_TAG = `${TEMP_TAG_PREFIX}late-run`;

/** The promises of docs/publish-flow.md ("npm latest"), as the plan names them. */
export const PROMISE = {
  latestFollowsDev: 'latest follows dev until the first release',
  latestNeverDev: 'latest never names a dev version while a release exists',
  tagOnVersion: (tag: string) => `${tag} names the version this run published`,
  throwawayRemoved: 'the throwaway tag of a late run is removed',
} as const;

export interface TagWrite {
  action: TagAction;
  /** The promise this write keeps. */
  keeps: string;
}

export interface NpmTagPlanInput extends Omit<TagPlanInput, 'holderIsNewer'> {
  /** The version `distTag` names now is newer than ours (a late run of an older commit). */
  holderIsNewer: boolean;
  /** This version is on the registry already (a re-run): nothing is uploaded, only tags are planned. */
  published: boolean;
  /** The registry has the package at all (false: this is its first publish). */
  exists: boolean;
  /** A token is given: the writes after the upload can be done (mode `token`). OIDC alone: false. */
  canWriteTags: boolean;
  shortSha: string;
}

export interface NpmTagPlan {
  /** `npm publish --tag <this>`; null when nothing is uploaded (the version is there). */
  uploadTag: string | null;
  /** The dist-tags as the registry will have them after the upload, before any write. */
  afterUpload: Record<string, string>;
  /** The writes still needed after the upload, each with the promise it keeps. */
  writes: TagWrite[];
  /** canWriteTags: the writes are done. Else they are reported and not done. */
  doWrites: boolean;
  /** The dist-tags once the plan is carried out (with the writes when doWrites). */
  final: Record<string, string>;
  /** With OIDC alone: one line per promise that does not hold, with the way to make it hold. */
  unmet: string[];
  /** planDistTags' notes (a tag left where it is, latest restored...). */
  notes: string[];
}

function apply(tags: Record<string, string>, actions: TagAction[]): Record<string, string> {
  const out = { ...tags };
  for (const a of actions) if (a.op === 'add') out[a.tag] = a.version; else delete out[a.tag];
  return out;
}

function keeps(action: TagAction, input: NpmTagPlanInput, versions: string[]): string {
  if (action.op === 'rm') return PROMISE.throwawayRemoved;
  if (action.tag === 'latest' && action.tag !== input.distTag) {
    return highestRelease(versions) ? PROMISE.latestNeverDev : PROMISE.latestFollowsDev;
  }
  return PROMISE.tagOnVersion(action.tag);
}

/** The upload tag and every write after it, for one version. Pure. */
export function planNpmTags(input: NpmTagPlanInput): NpmTagPlan {
  const { version, distTag, distTags, holderIsNewer, published, exists, canWriteTags, shortSha } = input;
  let uploadTag: string | null = null;
  let afterUpload = { ...distTags };
  const versions = input.versions.includes(version) ? input.versions : [...input.versions, version];
  if (!published) {
    uploadTag = holderIsNewer ? (canWriteTags ? `${TEMP_TAG_PREFIX}${shortSha}` : LATE_RUN_TAG) : distTag;
    afterUpload[uploadTag] = version;
    if (!exists && !('latest' in distTags)) afterUpload = { ...afterUpload, latest: version };
  }
  const rules = planDistTags({ ...input, distTags: afterUpload, versions, holderIsNewer });
  const writes = rules.actions.map((action) => ({ action, keeps: keeps(action, input, versions) }));
  const final = canWriteTags ? apply(afterUpload, rules.actions) : afterUpload;
  const unmet = canWriteTags
    ? []
    : writes.map(({ action, keeps: promise }) => {
        const cmd = action.op === 'add' ? `npm dist-tag add ${input.name}@${action.version} ${action.tag}` : `npm dist-tag rm ${input.name} ${action.tag}`;
        const now = action.op === 'add' ? `${action.tag} stays ${afterUpload[action.tag] ? `on ${afterUpload[action.tag]}` : 'unset'}` : `${action.tag} stays on ${afterUpload[action.tag]}`;
        return `${promise}: does not hold with trusted publishing alone (${now}); it needs \`${cmd}\`, which OIDC does not authorize (npm/cli#8547): give NPM_TOKEN too and the run does it`;
      });
  // With OIDC alone the notes of writes not done would be untrue ("latest follows dev"): only the tag held back stays.
  const notes = canWriteTags ? rules.notes : rules.notes.filter((n) => n.startsWith(`dist-tag ${distTag} stays on `));
  return { uploadTag, afterUpload, writes, doWrites: canWriteTags, final, unmet, notes };
}

/** The tags that name `version` in a dist-tags map, sorted: what the record shows for it. */
export function tagsOn(tags: Record<string, string>, version: string): string[] {
  return Object.entries(tags)
    .filter(([, v]) => v === version)
    .map(([t]) => t)
    .sort();
}
