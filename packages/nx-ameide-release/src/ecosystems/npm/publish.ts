import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as semver from 'semver';
import { ReleaseError } from '../../errors';
import { npmRegistry, type NpmRegistry } from '../../registries';
import { type RetryOptions } from '../../retry';
import type { CheckInput, Finding, LookupResult, PublishInput, PublishOutcome } from '../types';
import { credentialSource } from '../../credentials';
import { findingOf } from '../../findings';
import { probe } from '../../net';
import { planDistTags, publishTag, releaseHolderIsNewer, type TagAction } from './dist-tags';
import { guardSourceManifest, registryVersion } from './manifest';
import { sha256File } from './pack';
import {
  distTagAddArgs,
  distTagRmArgs,
  getPackument,
  NpmCommandError,
  NpmSession,
  publishArgs,
  type Packument,
} from './registry-client';

export type IsAncestor = (cwd: string, ancestorSha: string, descendantSha: string) => Promise<boolean>;

export interface NpmDeps {
  /** Ancestry between two commits (src/git isAncestor); injectable for tests. */
  isAncestor?: IsAncestor;
  retry?: RetryOptions;
}

/** src/git is written in parallel; loaded lazily so this adapter works (with a SemVer fallback) without it. */
function loadIsAncestor(): IsAncestor | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../../git') as { isAncestor?: IsAncestor };
    return typeof mod.isAncestor === 'function' ? mod.isAncestor : undefined;
  } catch {
    return undefined;
  }
}

const scopeOf = (name: string) => (name.startsWith('@') ? name.split('/')[0] : undefined);

/** The one tarball of a manifest, checked against the sha256 pack recorded. */
export function tarballOf(input: PublishInput): string {
  const { manifest, workspaceRoot } = input;
  const tgz = manifest.files.find((f) => f.kind === 'tgz');
  if (!tgz) throw new ReleaseError(`pack manifest of ${manifest.project} lists no .tgz`, `re-run \`nx run ${manifest.project}:pack\``);
  const abs = join(workspaceRoot, tgz.file);
  if (!existsSync(abs)) throw new ReleaseError(`${tgz.file} is missing`, `re-run \`nx run ${manifest.project}:pack\``);
  const actual = sha256File(abs);
  if (actual !== tgz.sha256) {
    throw new ReleaseError(
      `${tgz.file} has sha256 ${actual}, but pack recorded ${tgz.sha256} (the file changed after pack)`,
      `re-run \`nx run ${manifest.project}:pack --skip-nx-cache\``,
    );
  }
  return abs;
}

export function lookupIn(packument: Packument | null, version: string): LookupResult {
  const v = packument?.versions[version];
  return v ? { state: 'present', gitSha: v.gitHead ?? null } : { state: 'absent' };
}

/** Same version from another commit (or from nowhere known): refuse, naming both SHAs. */
function refuseOtherSha(name: string, version: string, theirs: string | null, ours: string, url: string): ReleaseError {
  return new ReleaseError(
    `${name}@${version} is already on ${url}, published from ${theirs ?? 'an unknown commit (no gitHead recorded)'}, but this run packs it from ${ours}; nothing was uploaded`,
    'a version is never overwritten: release from the commit that published it, or make a new commit (dev versions carry the commit time) / a new vX.Y.Z tag',
  );
}

export async function lookupNpm(input: PublishInput, deps: NpmDeps = {}): Promise<LookupResult> {
  const registry = npmRegistry(input.env, input.destinations);
  const packument = await getPackument(registry, input.manifest.name, deps.retry);
  return lookupIn(packument, registryVersion(input.manifest.version));
}

/**
 * npm's own preflight checks, all of them, without writing: the source package.json guards,
 * the registry reachable in bounded time, the token valid (GET -/whoami answers with a
 * username: npmjs says 401 to a bad token, Verdaccio 200 with no username), and the version
 * not held by another SHA.
 */
export async function checksNpm(input: CheckInput, deps: NpmDeps = {}): Promise<Finding[]> {
  const out: Finding[] = [];
  const where = join(input.projectRoot, 'package.json');
  try {
    guardSourceManifest(JSON.parse(readFileSync(join(input.workspaceRoot, where), 'utf8')), input.context, where);
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  const registry = npmRegistry(input.env, input.destinations);
  const source = credentialSource(input.env, 'NPM_TOKEN', 'NODE_AUTH_TOKEN');
  if (!registry.token) {
    out.push({ check: 'credentials', problem: `no npm token for ${registry.url}`, fix: 'set NPM_TOKEN or NPM_TOKEN_FILE (or NODE_AUTH_TOKEN): a token allowed to publish (npm token create)' });
    return out;
  }
  let who;
  try {
    who = await probe(`${registry.url}-/whoami`, { headers: { accept: 'application/json', authorization: `Bearer ${registry.token}` } }, input.timeoutMs);
  } catch (e) {
    out.push({ check: 'destination', problem: `npm registry: ${(e as Error).message}`, fix: `start the registry, or point destinations.npm.registry (or AMEIDE_NPM_REGISTRY; docs/destinations.md) at a reachable one (check: curl -sS ${registry.url}-/ping)` });
    return out;
  }
  let username: string | undefined;
  try {
    username = (JSON.parse(who.body) as { username?: string }).username;
  } catch {
    /* not JSON: judged by the status below */
  }
  if (who.status === 401 || who.status === 403 || (who.status === 200 && !username)) {
    out.push({
      check: 'credentials',
      problem: `npm registry ${registry.url} refused the token in ${source} (GET -/whoami: HTTP ${who.status}${who.status === 200 ? ', no user' : ''})`,
      fix: `check it with \`npm whoami --registry ${registry.url}\` using that token; replace ${source} with a valid token (npm token create)`,
    });
    return out;
  }
  if (who.status !== 200) {
    out.push({ check: 'destination', problem: `npm registry ${registry.url} answered HTTP ${who.status} to GET -/whoami`, fix: `check destinations.npm.registry (or AMEIDE_NPM_REGISTRY) and the registry's health (curl -sS ${registry.url}-/ping)` });
    return out;
  }
  if (!input.manifest || input.manifest.skipped) return out;
  const found = await lookupNpm({ ...input, manifest: input.manifest }, { ...deps, retry: { attempts: 1 } });
  if (found.state === 'present' && found.gitSha !== input.context.GIT_SHA) {
    const e = refuseOtherSha(input.manifest.name, registryVersion(input.manifest.version), found.gitSha, input.context.GIT_SHA, registry.url);
    out.push({ check: 'version', problem: e.what, fix: e.fix });
  }
  return out;
}

/** Is the version `tag` names now newer than ours? For dev: git ancestry (SemVer when git cannot tell). */
async function holderIsNewer(
  input: PublishInput,
  packument: Packument | null,
  tag: string,
  version: string,
  isAncestor: IsAncestor | undefined,
): Promise<boolean> {
  const holder = packument?.['dist-tags'][tag];
  if (!holder || holder === version) return false;
  if (input.context.CHANNEL !== 'dev') return releaseHolderIsNewer(holder, version);
  const theirs = packument?.versions[holder]?.gitHead;
  const ours = input.context.GIT_SHA;
  if (theirs && isAncestor) {
    try {
      if (await isAncestor(input.workspaceRoot, ours, theirs)) return true;
      if (await isAncestor(input.workspaceRoot, theirs, ours)) return false;
    } catch {
      // a shallow clone may not hold their commit: fall back to the versions (they carry the commit time)
    }
  }
  return semver.valid(holder) ? semver.gt(holder, version) : false;
}

async function applyTagActions(session: NpmSession, name: string, actions: TagAction[], deps: NpmDeps): Promise<void> {
  for (const a of actions) {
    const args = a.op === 'add' ? distTagAddArgs(name, a.version, a.tag) : distTagRmArgs(name, a.tag);
    await session.npmWithRetry(args, `npm dist-tag ${a.op} ${a.tag}`, deps.retry);
  }
}

export async function publishNpm(input: PublishInput, deps: NpmDeps = {}): Promise<PublishOutcome> {
  const { manifest, context, log } = input;
  if (context.CHANNEL === 'build') return { status: 'skipped', reason: `channel 'build' never publishes (ref ${context.REF || 'unknown'})` };
  const registry: NpmRegistry = npmRegistry(input.env, input.destinations);
  if (!registry.token) throw new ReleaseError(`no npm token for ${registry.url}`, 'set NPM_TOKEN or NPM_TOKEN_FILE (or NODE_AUTH_TOKEN)');
  const tgz = tarballOf(input);
  const version = registryVersion(manifest.version);
  const distTag = context.NPM_DIST_TAG;
  if (!distTag) throw new ReleaseError(`NPM_DIST_TAG is empty on channel ${context.CHANNEL}`, 'check the version context');
  const ours = context.GIT_SHA;
  const isAncestor = deps.isAncestor ?? loadIsAncestor();
  const id = `${manifest.name}@${version}`;

  const session = new NpmSession(registry, scopeOf(manifest.name));
  try {
    let packument = await getPackument(registry, manifest.name, deps.retry);
    let found = lookupIn(packument, version);
    if (found.state === 'present' && found.gitSha !== ours) throw refuseOtherSha(manifest.name, version, found.gitSha, ours, registry.url);

    let status: 'published' | 'already-published' = 'already-published';
    let tagUsed = '';
    let raced = false;
    if (found.state === 'absent') {
      tagUsed = publishTag(distTag, await holderIsNewer(input, packument, distTag, version, isAncestor), context.SHORT_SHA);
      try {
        await session.npmWithRetry(publishArgs(tgz, tagUsed, registry.access), `npm publish ${id}`, {
          onRetry: (e, n, ms) => log(`npm publish ${id}: transient failure (attempt ${n}), retrying in ${ms} ms: ${(e as Error).message.split('\n')[0]}`),
          ...deps.retry,
        });
        status = 'published';
      } catch (e) {
        if (e instanceof NpmCommandError && /\bE40[13]\b|40[13] (Unauthorized|Forbidden)/i.test(e.text)) {
          const source = credentialSource(input.env, 'NPM_TOKEN', 'NODE_AUTH_TOKEN');
          throw new ReleaseError(
            `${registry.url} refused to publish ${id} with the token in ${source} (${/\bE403\b|403 Forbidden/i.test(e.text) ? 'HTTP 403: not allowed to publish this package' : 'HTTP 401: the token is not valid'}); nothing was uploaded`,
            `check it with \`npm whoami --registry ${registry.url}\` using that token, and that its user may publish ${manifest.name}; then run the same command again`,
          );
        }
        if (!(e instanceof NpmCommandError && e.kind === 'exists')) throw e;
        // Another run published it between lookup and upload: decide by its SHA.
        packument = await getPackument(registry, manifest.name, deps.retry);
        found = lookupIn(packument, version);
        if (found.state === 'present' && found.gitSha !== ours) throw refuseOtherSha(manifest.name, version, found.gitSha, ours, registry.url);
        if (found.state === 'absent') throw e;
        raced = true;
      }
    }

    // Dist-tags from a fresh packument, also on a re-run (completes a run that died after the upload).
    packument = await getPackument(registry, manifest.name, deps.retry);
    const plan = planDistTags({
      name: manifest.name,
      version,
      distTag,
      distTags: packument?.['dist-tags'] ?? {},
      versions: Object.keys(packument?.versions ?? {}),
      holderIsNewer: await holderIsNewer(input, packument, distTag, version, isAncestor),
    });
    await applyTagActions(session, manifest.name, plan.actions, deps);
    for (const n of plan.notes) log(n);
    const tags = plan.actions.filter((a) => a.op === 'add').map((a) => `${(a as { tag: string }).tag}->${(a as { version: string }).version}`);
    const detail =
      status === 'published'
        ? `${id} published to ${registry.url} (from ${ours}, tag ${tagUsed}${tags.length ? `; set ${tags.join(', ')}` : ''})`
        : raced
          ? `${id} is on ${registry.url} from ${ours} (uploaded by an earlier attempt whose answer was lost, or by a concurrent run)${tags.length ? `; set ${tags.join(', ')}` : ''}`
          : `${id} already on ${registry.url} from ${ours}; nothing uploaded${tags.length ? ` (set ${tags.join(', ')})` : ''}`;
    return { status, detail };
  } finally {
    session.dispose();
  }
}

/** What publish would do, one line per tarball. Pure: no network, no files read. */
export function planNpm(input: PublishInput): string[] {
  const { manifest, context } = input;
  const url = npmRegistry(input.env, input.destinations).url;
  if (context.CHANNEL === 'build') return [`npm  ${manifest.name}@${manifest.version}  skipped: channel 'build' never publishes`];
  const version = registryVersion(manifest.version);
  return manifest.files
    .filter((f) => f.kind === 'tgz')
    .map(
      (f) =>
        `npm  ${manifest.name}@${version}  -> ${url}  dist-tag ${context.NPM_DIST_TAG}  (${f.file} sha256 ${f.sha256.slice(0, 12)}…, gitHead ${context.SHORT_SHA})`,
    )
    .concat(context.CHANNEL === 'dev' ? [`npm  ${manifest.name}: latest stays on the highest release (until the first release it follows dev); dev moves only forward`] : []);
}
