import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseError } from '../errors';
import { findingOf } from '../core/findings';
import { adapterFor, imageAdapter } from '../ecosystems';
import type { CheckInput, Ecosystem, EcosystemAdapter, Finding, Log, PackManifest } from '../core/contract';
import { ensureReleaseTagPushed } from '../git';
import type { Env } from '../destinations/registries';
import { refusalsFor, shown, type DestinationKind, type Destinations } from '../destinations';
import { projectDestinations } from '../destinations/run';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../net';
import { writeFileAtomic } from '../store';
import { packVerifyMode, verifyPack, VERIFY_PACK_VARIABLE } from './pack-integrity';
import { channelSkip } from '../core/publish-flow';
import type { VersionContext } from '../version/types';

/**
 * The preflight: everything a project can check before anything is uploaded, WITHOUT WRITING.
 * One flow for every ecosystem; an adapter adds only its own checks (EcosystemAdapter.checks).
 * The `preflight` target runs it for each release project, and every `publish` depends on the
 * preflight of every release project, so one problem anywhere stops every upload. `publish`
 * and `ghcr` run the same flow for their own project right before they upload.
 *
 * The steps, in order, each one collecting every problem it finds (not just the first):
 *   1. guard        the version context (tag at HEAD, clean tree, no rollback without
 *                   --allowBackport) and, on a release, the tag pushed where the remote is
 *   2. artifact     the pack manifest is there, for this SHA and version, every file with the
 *                   sha256 it was packed with; what a cache restored is packed again and compared
 *                   (src/flow/pack-integrity.ts: a poisoned cache entry stops the run here)
 *   3. destination  where each kind goes (nx.json, the project, AMEIDE_* on top, derived), or
 *                   refused naming the option to set
 *   4. adapters     each adapter's checks: the project's own when the run publishes its package,
 *                   the image adapter's when it pushes its image (ghcr): source guards, destination
 *                   reachable in bounded time, credentials valid (an authenticated read), version
 *                   not held by another SHA
 */

export { findingOf };

/** One row of the preflight table. */
export interface Problem extends Finding {
  project: string;
  ecosystem: Ecosystem;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' / ').trim();

/** The table every preflight prints, one row per problem (markdown: readable in a log, pasteable in an issue). Pure. */
export function problemTable(problems: Problem[]): string[] {
  const rows = problems.map((p) => `| ${[p.project, p.ecosystem, p.check, p.problem, p.fix].map(cell).join(' | ')} |`);
  return ['| project | ecosystem | check | problem | fix |', '|---|---|---|---|---|', ...rows];
}

/** The one decision: publish only when no check found anything. Pure. */
export function preflightVerdict(problems: Problem[]): { ready: true } | { ready: false; error: ReleaseError } {
  if (problems.length === 0) return { ready: true };
  const projects = [...new Set(problems.map((p) => p.project))].join(', ');
  return {
    ready: false,
    error: new ReleaseError(
      `preflight found ${problems.length} problem(s) in ${projects} (table above); nothing is uploaded by any project of this run`,
      'fix each row as its fix column says, then run the same command again on this commit',
    ),
  };
}

import { artifactFindings } from './manifest';
export { expectedVersion, artifactFindings, manifestFindings } from './manifest';

export interface PreflightInput {
  workspaceRoot: string;
  project: string;
  projectRoot: string;
  ecosystem: Ecosystem;
  /** The target's `destinations` option (nx.json merged with the project's own); the environment goes on top here. */
  destinationsConfig?: unknown;
  /** The version context; its refusals (tag not at HEAD, dirty tree, rollback) are guard problems. */
  context: () => Promise<VersionContext>;
  env: Env;
  log: Log;
  /** Check the package's registry (the run publishes it). */
  packages: boolean;
  /** Check the image registry too (the run pushes the image: ghcr). */
  images: boolean;
  sign?: string;
  /** The target's own options, handed to the adapters' checks (ghcr's `sign`). */
  options?: Readonly<Record<string, unknown>>;
  timeoutMs?: number;
  /**
   * Pack the project again and compare (src/flow/pack-integrity.ts); set by the preflight target,
   * which every publish waits for. builtByNx: the project has an Nx build target (pack does not
   * rebuild in place, nor does the check). Absent: publish's and ghcr's own re-check, right after.
   */
  verifyPack?: { builtByNx: boolean };
  /**
   * The run-wide preflight (the `preflight` target): on a pass, write what was checked to
   * dist/<project>/preflight.json (preflightRecord), so the re-check right before the upload
   * need not read the registries again.
   */
  record?: boolean;
  /**
   * publish's and ghcr's own re-check right before the upload: when this run's preflight of the
   * project passed moments ago (a fresh record for the same SHA, ref, version and destinations),
   * steps 1-3 run again (they read no registry) and steps 4-5 are not repeated. The flow's own
   * lookup and decision still read the registry right before the upload (a concurrent publish
   * is seen there), and the upload names refused credentials itself.
   */
  recheck?: boolean;
  /**
   * What the task pipeline (src/flow/task.ts) read and checked already: the pack manifest (this
   * SHA, this version, every sha256) and the destinations. Steps 2 and 3 use them instead of
   * reading again.
   */
  read?: { manifest: PackManifest; destinations: Destinations };
}

/** What a passed preflight checked, written to dist/<project>/preflight.json. Never a secret: destinations as shown. */
export interface PreflightRecord {
  project: string;
  ecosystem: Ecosystem;
  gitSha: string;
  ref: string;
  version: string;
  packages: boolean;
  images: boolean;
  sign: string;
  destinations: Record<string, Record<string, string>>;
  checkedAt: string;
}

/** How long a passed preflight stands in for the re-check of its publish (a run's publish follows its preflight within minutes). */
export const PREFLIGHT_FRESH_MS = 10 * 60_000;

export const preflightRecordPath = (workspaceRoot: string, project: string) => join(workspaceRoot, 'dist', project, 'preflight.json');

function shownDestinations(destinations: Destinations, kinds: DestinationKind[]): PreflightRecord['destinations'] {
  const out: PreflightRecord['destinations'] = {};
  for (const k of kinds) {
    const d = destinations[k] as Record<string, string | undefined> | undefined;
    if (d) out[k] = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined).map(([f, v]) => [f, shown(String(v))]));
  }
  return out;
}

/**
 * Why a record does not stand in for the registry checks now, or null when it does. Pure: the
 * same project, ecosystem, SHA, ref and version, every kind asked for checked with the same
 * destinations (and signing mode), at most PREFLIGHT_FRESH_MS ago.
 */
export function recordMismatch(record: PreflightRecord | null, want: Omit<PreflightRecord, 'checkedAt'>, now: number): string | null {
  if (!record) return 'no preflight record of this run';
  for (const k of ['project', 'ecosystem', 'gitSha', 'ref', 'version'] as const) if (record[k] !== want[k]) return `the record is for ${k} ${record[k]}, not ${want[k]}`;
  if (want.packages && !record.packages) return 'the record did not check the package registry';
  if (want.images && (!record.images || record.sign !== want.sign)) return 'the record did not check the image registry (with this signing mode)';
  for (const [k, d] of Object.entries(want.destinations)) if (JSON.stringify(record.destinations[k]) !== JSON.stringify(d)) return `the ${k} destination changed since`;
  const age = now - Date.parse(record.checkedAt);
  if (!(age >= 0 && age <= PREFLIGHT_FRESH_MS)) return `the record is ${Number.isFinite(age) ? `${Math.round(age / 1000)} s` : 'of unknown'} old (at most ${PREFLIGHT_FRESH_MS / 1000} s count)`;
  return null;
}

function readRecord(file: string): PreflightRecord | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PreflightRecord;
  } catch {
    return null; // missing or cut short: the checks run
  }
}

function writeRecord(file: string, record: PreflightRecord): void {
  // without the record the re-check reads the registries again: slower, never wrong
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * Steps 1-5 for one project: every problem found, [] when it is ready. Writes nothing but, with
 * `record`, its own record (removed first, written again only on a pass).
 */
export async function preflightProject(input: PreflightInput): Promise<Problem[]> {
  const file = preflightRecordPath(input.workspaceRoot, input.project);
  if (input.record) rmSync(file, { force: true });
  const { found, checked } = await checkProject(input);
  if (input.record && found.length === 0 && checked) writeRecord(file, { ...checked, checkedAt: new Date().toISOString() });
  return found;
}

async function checkProject(input: PreflightInput): Promise<{ found: Problem[]; checked?: Omit<PreflightRecord, 'checkedAt'> }> {
  const { workspaceRoot, project, ecosystem, env, log } = input;
  const timeoutMs = input.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const found: Problem[] = [];
  const add = (eco: Problem['ecosystem'], fs: Finding[]) => found.push(...fs.map((f) => ({ ...f, project, ecosystem: eco })));

  // 1. guard
  let context: VersionContext;
  try {
    context = await input.context();
  } catch (e) {
    add(ecosystem, [findingOf('guard', e)]);
    return { found };
  }
  if (channelSkip(context)) return { found }; // nothing is published from the build channel
  if (context.CHANNEL === 'release') {
    try {
      if ((await ensureReleaseTagPushed(workspaceRoot, context.RELEASE_TAG)) === 'no-remote') {
        log(`release tag ${context.RELEASE_TAG} is local: this clone has no 'origin' remote to check it against`);
      }
    } catch (e) {
      add(ecosystem, [findingOf('guard', e)]);
    }
  }

  // 2. artifact (the pipeline's task read and checked it once already: handed down)
  const { manifest, findings } = input.read ? { manifest: input.read.manifest, findings: [] } : artifactFindings(workspaceRoot, project, ecosystem, context);
  add(ecosystem, findings);
  if (manifest && findings.length === 0 && input.verifyPack) {
    const mode = packVerifyMode(env);
    if (typeof mode === 'object') {
      add(ecosystem, [{ check: 'artifact', problem: `${VERIFY_PACK_VARIABLE} is '${mode.invalid}'`, fix: `set ${VERIFY_PACK_VARIABLE} to auto (default), always or off` }]);
    } else {
      const rebuilt = await verifyPack({ workspaceRoot, projectRoot: input.projectRoot, project, ecosystem, context, manifest, mode, log, builtByNx: input.verifyPack.builtByNx });
      add(ecosystem, rebuilt);
    }
  }

  // 3. destination
  const adapters: EcosystemAdapter[] = [...(input.packages ? [adapterFor(ecosystem)] : []), ...(input.images ? [imageAdapter()] : [])];
  const kinds = adapters.flatMap((a): DestinationKind[] => (a.destination ? [a.destination] : []));
  const byKind = (kind: DestinationKind | null) => adapters.find((a) => a.destination === kind)?.ecosystem ?? ecosystem;
  let destinations: Destinations = {};
  const refused = new Set<DestinationKind | null>();
  if (input.read) destinations = input.read.destinations; // resolved once by the task, its refusals thrown there
  else {
    try {
      const res = projectDestinations({
        workspaceRoot, projectRoot: input.projectRoot, project, ecosystem, config: input.destinationsConfig, env, name: manifest?.name,
      });
      destinations = res.destinations;
      for (const r of refusalsFor(res, kinds)) {
        refused.add(r.kind);
        add(byKind(r.kind), [{ check: 'destination', problem: r.what, fix: r.fix }]);
      }
    } catch (e) {
      add(ecosystem, [findingOf('destination', e)]);
      return { found };
    }
  }
  if (refused.has(null)) return { found }; // the configuration itself is malformed: nothing can be probed
  const checked = manifest
    ? { project, ecosystem, gitSha: context.GIT_SHA, ref: context.REF, version: manifest.version, packages: input.packages, images: input.images, sign: input.sign ?? 'key', destinations: shownDestinations(destinations, kinds) }
    : undefined;
  if (input.recheck && checked && found.length === 0) {
    const file = preflightRecordPath(workspaceRoot, project);
    const why = recordMismatch(readRecord(file), checked, Date.now());
    if (!why) {
      log(`registry checks: passed by this run's preflight (dist/${project}/preflight.json) for ${context.SHORT_SHA}; not repeated (the upload's own lookup reads the registry again)`);
      return { found };
    }
    log(`registry checks run again: ${why}`);
  }

  // 4. adapters
  const checkInput: CheckInput = { workspaceRoot, projectRoot: input.projectRoot, project, manifest, context, destinations, env, log, timeoutMs, options: { ...input.options, sign: input.sign } };
  for (const adapter of adapters) {
    if (adapter.destination && refused.has(adapter.destination)) continue;
    try {
      add(adapter.ecosystem, await adapter.checks(checkInput));
    } catch (e) {
      add(adapter.ecosystem, [findingOf('destination', e)]);
    }
  }
  return { found, checked };
}

/** Run the preflight of one project, print its table, and throw when anything was found. */
export async function assertPreflight(input: PreflightInput): Promise<void> {
  const problems = await preflightProject(input);
  const verdict = preflightVerdict(problems);
  if (verdict.ready) return;
  for (const line of problemTable(problems)) input.log(line);
  throw verdict.error;
}

/**
 * What the run does with a project, from the task graph Nx hands every executor: the
 * preflight checks the package registry when the run publishes, the image registry when it
 * pushes images. A preflight run on its own (no publish, ghcr or smoke in the graph) checks
 * both. A project the run does not publish at all (its preflight is in the graph only because
 * every publish waits for every release project's preflight: `--projects`, `nx affected`)
 * checks nothing: none of its artifacts is uploaded by this run, so no registry of its can
 * make the run half-ship.
 */
export function runTargetsOf(taskGraph: { tasks: Record<string, { target: { project: string; target: string } }> } | undefined, project: string): { packages: boolean; images: boolean } {
  const uploads = (t: string) => t === 'publish' || t === 'ghcr' || t === 'smoke';
  const tasks = Object.values(taskGraph?.tasks ?? {});
  const mine = new Set(tasks.filter((t) => t.target.project === project).map((t) => t.target.target));
  const packages = mine.has('publish') || mine.has('ghcr') || mine.has('smoke');
  const images = mine.has('ghcr') || mine.has('smoke');
  if (packages || images) return { packages, images };
  const runUploads = tasks.some((t) => uploads(t.target.target));
  return runUploads ? { packages: false, images: false } : { packages: true, images: true };
}
