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
import { planDistTags, publishTag, releaseHolderIsNewer, type TagAction } from './dist-tags';
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

/** A session with the token, or npm's own refusal naming the variables that give one. */
function sessionFor(input: PublishInput): { registry: NpmRegistry; session: NpmSession } {
  const registry = npmRegistry(input.env, input.destinations);
  if (!registry.token) throw new ReleaseError(`no npm token for ${registry.url}`, 'set NPM_TOKEN or NPM_TOKEN_FILE (or NODE_AUTH_TOKEN)');
  return { registry, session: new NpmSession(registry, scopeOf(input.manifest.name)) };
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
      return heldIn(packument, artifact.version);
    },

    async upload(input, artifact) {
      const { context, log } = input;
      const distTag = context.NPM_DIST_TAG;
      if (!distTag) throw new ReleaseError(`NPM_DIST_TAG is empty on channel ${context.CHANNEL}`, 'check the version context');
      const { registry, session } = sessionFor(input);
      try {
        const packument = await reads.get(input, artifact.name, packumentOf(input, artifact.name));
        reads.drop(input, artifact.name); // the upload changes it: whoever reads next asks the registry
        const tag = publishTag(distTag, await holderIsNewer(input, packument, distTag, artifact.version, isAncestorOf()), context.SHORT_SHA);
        await session.npmWithRetry(publishArgs(join(input.workspaceRoot, artifact.file!), tag, registry.access), `npm publish ${artifact.id}`, {
          onRetry: (e, n, ms) => log(`npm publish ${artifact.id}: transient failure (attempt ${n}), retrying in ${ms} ms: ${(e as Error).message.split('\n')[0]}`),
          ...deps.retry,
        });
        log(`${artifact.id} published to ${registry.url} (gitHead ${context.GIT_SHA}, tag ${tag})`);
      } catch (e) {
        if (e instanceof NpmCommandError && e.kind === 'exists') throw new AlreadyThere(artifact, e);
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
      const { registry, session } = sessionFor(input);
      try {
        for (const r of results) {
          const packument = await reads.get(input, r.name, packumentOf(input, r.name));
          const plan = planDistTags({
            name: r.name,
            version: r.version,
            distTag: context.NPM_DIST_TAG,
            distTags: packument?.['dist-tags'] ?? {},
            versions: Object.keys(packument?.versions ?? {}),
            holderIsNewer: await holderIsNewer(input, packument, context.NPM_DIST_TAG, r.version, isAncestorOf()),
          });
          await applyTagActions(session, r.name, plan.actions, deps);
          lines.push(...plan.notes);
          const set = plan.actions.flatMap((a) => (a.op === 'add' ? [`${a.tag}->${a.version}`] : []));
          if (set.length) lines.push(`${r.id}: set dist-tag ${set.join(', ')}`);
          // The record names the tags that point at this version now (a late run leaves dev where it is).
          const after = { ...(packument?.['dist-tags'] ?? {}) };
          for (const a of plan.actions) if (a.op === 'add') after[a.tag] = a.version; else delete after[a.tag];
          r.tags = Object.entries(after).filter(([, v]) => v === r.version).map(([t]) => t).sort();
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
  out.push(...(await heldFindings(npmSteps({ ...deps, retry: probeRetry(input.timeoutMs) }), input)));
  return out;
}
