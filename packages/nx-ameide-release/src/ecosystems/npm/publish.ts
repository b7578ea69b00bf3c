import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as semver from 'semver';
import { ReleaseError } from '../../errors';
import { npmRegistry, type NpmRegistry } from '../../destinations/registries';
import { type RetryOptions } from '../../retry';
import type { ArtifactResult, CheckInput, Finding, PlannedArtifact, PublishInput, PublishSteps } from '../../core/contract';
import type { Held } from '../../core/decide';
import { AlreadyThere, FlowReads, heldFindings } from '../../core/publish-flow';
import { credentialSource } from '../../credentials';
import { findingOf } from '../../core/findings';
import { probe, probeRetry } from '../../net';
import { releaseHolderIsNewer, type TagAction } from './dist-tags';
import { planNpmTags, tagsOn } from './dist-tag-plan';
import { modeFindings, oidcChildEnv, resolveMode } from '../../core/credential-modes';
import { registerSecret, run } from '../../exec';
import { guardSourceManifest, registryVersion } from './manifest';
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

/** What the packument holds for one version: absent, or present with the commit npm recorded (gitHead). Pure. */
export function heldIn(packument: Packument | null, version: string): Held {
  const v = packument?.versions[version];
  return v ? { state: 'present', gitSha: v.gitHead ?? null } : { state: 'absent' };
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

/**
 * A session with the token, or for trusted publishing (src/credential-modes.ts) one without a
 * token that hands npm the CI's OIDC variables; with neither, the refusal naming how to get one.
 * `canWriteTags`: a token is there, so the dist-tag writes after the upload can be done.
 */
function sessionFor(input: PublishInput): { registry: NpmRegistry; session: NpmSession; canWriteTags: boolean; oidc: boolean } {
  const registry = npmRegistry(input.env, input.destinations);
  const { mode } = resolveMode('npm', input.env);
  if (mode === 'none' || (mode === 'token' && !registry.token)) {
    throw new ReleaseError(`no npm token for ${registry.url}, and no trusted publishing (no ACTIONS_ID_TOKEN_REQUEST_URL)`, 'set NPM_TOKEN or NPM_TOKEN_FILE (or NODE_AUTH_TOKEN), or publish from GitHub Actions with `id-token: write` (docs/ci.md)');
  }
  const oidc = mode === 'oidc' ? oidcChildEnv(input.env) : {};
  registerSecret(oidc.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
  return { registry, session: new NpmSession(registry, scopeOf(input.manifest.name), oidc), canWriteTags: mode === 'token', oidc: mode === 'oidc' };
}

/** The dist-tag plan for one version from a packument (src/ecosystems/npm/dist-tag-plan.ts). */
function tagPlan(input: PublishInput, packument: Packument | null, version: string, holderIsNewer: boolean, published: boolean) {
  return planNpmTags({
    name: input.manifest.name,
    version,
    distTag: input.context.NPM_DIST_TAG,
    distTags: packument?.['dist-tags'] ?? {},
    versions: Object.keys(packument?.versions ?? {}),
    holderIsNewer,
    published,
    exists: packument !== null,
    canWriteTags: resolveMode('npm', input.env).mode === 'token',
    shortSha: input.context.SHORT_SHA,
  });
}

/**
 * npm under the one publish flow (src/core/publish-flow.ts): one artifact, the tarball; the registry
 * answers from the packument (version -> gitHead); upload is `npm publish` with the dist-tag (or
 * a throwaway tag when a newer version holds it); finish moves the dist-tags by planDistTags,
 * also on a re-run. The channel, the manifest, every sha256 and the decision are the flow's.
 */
export function npmSteps(deps: NpmDeps = {}): PublishSteps {
  const isAncestorOf = () => deps.isAncestor ?? loadIsAncestor();
  // The packument the lookup read serves the upload's tag choice and a re-run's finish (nothing
  // uploaded since); after an upload, finish reads it again (dist-tags as the registry has them now).
  const reads = new FlowReads<Packument | null>();
  const packumentOf = (input: PublishInput, name: string) => () => getPackument(npmRegistry(input.env, input.destinations), name, deps.retry);
  return {
    plan(input) {
      const { manifest, context } = input;
      const url = npmRegistry(input.env, input.destinations).url;
      const version = registryVersion(manifest.version);
      return manifest.files
        .filter((f) => f.kind === 'tgz')
        .map((f): PlannedArtifact => ({
          id: `${manifest.name}@${version}`,
          ecosystem: 'npm',
          name: manifest.name,
          version,
          registry: url,
          kind: 'tgz',
          file: f.file,
          sha256: f.sha256,
          tags: context.NPM_DIST_TAG ? [context.NPM_DIST_TAG] : [],
        }));
    },

    async lookup(input, artifact) {
      // Always asked anew: this is the decision right before the upload (a concurrent publish must be seen).
      const packument = await reads.fresh(input, artifact.name, packumentOf(input, artifact.name));
      const held = heldIn(packument, artifact.version);
      // Every run looks up before it uploads (preflight, dry run, publish): with OIDC alone, each says here which
      // dist-tag promise its upload cannot keep (docs/publish-flow.md, "npm dist-tags and trusted publishing").
      if (input.context.NPM_DIST_TAG && resolveMode('npm', input.env).mode === 'oidc') {
        const newer = await holderIsNewer(input, packument, input.context.NPM_DIST_TAG, artifact.version, isAncestorOf());
        for (const u of tagPlan(input, packument, artifact.version, newer, held.state === 'present').unmet) input.log(`trusted publishing: ${artifact.id}: ${u}`);
      }
      return held;
    },

    async upload(input, artifact) {
      const { context, log } = input;
      const distTag = context.NPM_DIST_TAG;
      if (!distTag) throw new ReleaseError(`NPM_DIST_TAG is empty on channel ${context.CHANNEL}`, 'check the version context');
      const { registry, session, oidc } = sessionFor(input);
      try {
        const packument = await reads.get(input, artifact.name, packumentOf(input, artifact.name));
        reads.drop(input, artifact.name); // the upload changes it: whoever reads next asks the registry
        const tag = tagPlan(input, packument, artifact.version, await holderIsNewer(input, packument, distTag, artifact.version, isAncestorOf()), false).uploadTag!;
        await session.npmWithRetry(publishArgs(join(input.workspaceRoot, artifact.file!), tag, registry.access), `npm publish ${artifact.id}`, {
          onRetry: (e, n, ms) => log(`npm publish ${artifact.id}: transient failure (attempt ${n}), retrying in ${ms} ms: ${(e as Error).message.split('\n')[0]}`),
          ...deps.retry,
        });
        log(`${artifact.id} published to ${registry.url} (gitHead ${context.GIT_SHA}, tag ${tag})`);
      } catch (e) {
        if (e instanceof NpmCommandError && e.kind === 'exists') throw new AlreadyThere(artifact, e);
        if (oidc && e instanceof NpmCommandError && /\bENEEDAUTH\b|\bE40[134]\b|40[13] (Unauthorized|Forbidden)/i.test(e.text)) {
          throw new ReleaseError(
            `${registry.url} refused to publish ${artifact.id} by trusted publishing (OIDC): ${/ENEEDAUTH/.test(e.text) ? 'npm got no token from the exchange (ENEEDAUTH)' : 'HTTP 401/403/404'}; nothing was uploaded`,
            `check the trusted publisher of ${artifact.name} on the registry names this repository and the workflow file ${input.env.GITHUB_WORKFLOW_REF?.split('@')[0].split('/').pop() ?? 'cd-packages.yml'} (and the environment, if it names one; docs/ci.md, "Trusted publishing"), or set NPM_TOKEN; then run the same command again`,
          );
        }
        if (e instanceof NpmCommandError && /\bE40[13]\b|40[13] (Unauthorized|Forbidden)/i.test(e.text)) {
          const source = credentialSource(input.env, 'NPM_TOKEN', 'NODE_AUTH_TOKEN');
          throw new ReleaseError(
            `${registry.url} refused to publish ${artifact.id} with the token in ${source} (${/\bE403\b|403 Forbidden/i.test(e.text) ? 'HTTP 403: not allowed to publish this package' : 'HTTP 401: the token is not valid'}); nothing was uploaded`,
            `check it with \`npm whoami --registry ${registry.url}\` using that token, and that its user may publish ${artifact.name}; then run the same command again`,
          );
        }
        throw e;
      } finally {
        session.dispose();
      }
    },

    /**
     * Dist-tags from the packument as it is now, also on a re-run (completes a run that died after
     * the upload): read again after an upload; on a re-run that uploaded nothing, the lookup's read.
     */
    async finish(input: PublishInput, results: ArtifactResult[]) {
      const { context } = input;
      const lines: string[] = [];
      const { session } = sessionFor(input);
      try {
        for (const r of results) {
          const packument = await reads.get(input, r.name, packumentOf(input, r.name));
          // Published now (by this run or an earlier one): only the writes after the upload are left.
          const plan = tagPlan(input, packument, r.version, await holderIsNewer(input, packument, context.NPM_DIST_TAG, r.version, isAncestorOf()), true);
          const actions = plan.doWrites ? plan.writes.map((w) => w.action) : [];
          await applyTagActions(session, r.name, actions, deps);
          lines.push(...plan.notes, ...plan.unmet.map((u) => `trusted publishing: ${r.id}: ${u}`));
          const set = actions.flatMap((a) => (a.op === 'add' ? [`${a.tag}->${a.version}`] : []));
          if (set.length) lines.push(`${r.id}: set dist-tag ${set.join(', ')}`);
          // The record names the tags that point at this version now (a late run leaves dev where it is).
          r.tags = tagsOn(plan.final, r.version);
        }
      } finally {
        session.dispose();
      }
      return lines;
    },
  };
}

/**
 * npm's own preflight checks, all of them, without writing: the source package.json guards,
 * the registry reachable in bounded time, the token valid (GET -/whoami answers with a
 * username: npmjs says 401 to a bad token, Verdaccio 200 with no username), and the version
 * not held by another SHA (the flow's decision, src/flow/decide.ts).
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
  const mode = resolveMode('npm', input.env);
  if (mode.mode === 'oidc') return [...out, ...(await checksNpmOidc(input, registry, deps))];
  if (!registry.token) {
    const none = modeFindings('npm', mode, input.env, { registry: registry.url });
    out.push(...(none.length ? none : [{ check: 'credentials' as const, problem: `no npm token for ${registry.url}: ${source} is empty`, fix: `put the token in ${source}, or set NPM_TOKEN or NPM_TOKEN_FILE (or NODE_AUTH_TOKEN)` }]));
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
  out.push(...(await heldFindings(npmSteps({ ...deps, retry: probeRetry(input.timeoutMs) }), input)));
  return out;
}

/**
 * Trusted publishing (OIDC), checked without writing: the registry reachable (the packument read,
 * which also tells whether the package exists: a first publish needs a token), the npm CLI new
 * enough to do the exchange, the workflow file the registry will see (src/credential-modes.ts),
 * and the version not held by another SHA. The exchange itself is only seen by the upload: npm
 * asks the registry for a publish token there and then.
 */
async function checksNpmOidc(input: CheckInput, registry: NpmRegistry, deps: NpmDeps): Promise<Finding[]> {
  const name = input.manifest?.name;
  let exists: boolean | null = null;
  if (name) {
    try {
      exists = (await getPackument(registry, name, probeRetry(input.timeoutMs))) !== null;
    } catch (e) {
      return [{ check: 'destination', problem: `npm registry: ${(e as Error).message}`, fix: `start the registry, or point destinations.npm.registry (or AMEIDE_NPM_REGISTRY; docs/destinations.md) at a reachable one (check: curl -sS ${registry.url}-/ping)` }];
    }
  }
  let npmVersion: string | null = null;
  try {
    const res = await run({ command: 'npm', args: ['--version'], cwd: input.workspaceRoot });
    if (res.exitCode === 0) npmVersion = res.stdout.trim();
  } catch {
    /* not on PATH: reported as unknown */
  }
  const found = modeFindings('npm', resolveMode('npm', input.env), input.env, { npmVersion, packageExists: exists, registry: registry.url, name });
  if (found.length) return found;
  input.log(`npm ${name ?? ''}: trusted publishing (OIDC) with npm ${npmVersion}; the registry's token exchange is only seen by the upload`);
  return heldFindings(npmSteps({ ...deps, retry: probeRetry(input.timeoutMs) }), input);
}
