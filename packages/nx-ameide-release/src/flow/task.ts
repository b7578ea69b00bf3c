import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterRole, EcosystemAdapter, Log, PackManifest, PublishInput } from '../core/contract';
import { channelSkip, publishFlow } from '../core/publish-flow';
import type { Destinations } from '../destinations';
import type { Env } from '../destinations/registries';
import { taskDestinations } from '../destinations/run';
import { adapterFor, imageAdapter } from '../ecosystems';
import { distDir, packManifestPath } from '../names';
import { recordRelease } from '../release-manifest';
import type { VersionContext } from '../version/types';
import { artifactFindings, assertManifestFindings } from './manifest';
import { recordPackedHere } from './pack-integrity';
import { assertPreflight } from './preflight';

/**
 * The one per-task pipeline: what every publish, ghcr and smoke task does, for any adapter.
 *
 *   1. channel       `build` publishes nothing: said once, before anything is read
 *   2. manifest      dist/<project>/pack-manifest.json read ONCE, checked once (this SHA, this
 *                    version, every file's sha256: src/flow/manifest.ts), then handed down
 *   3. destinations  resolved ONCE for the adapter's kind (src/destinations/run.ts), handed down
 *   4. re-check      the preflight of this project right before the upload, on what 2 and 3 read
 *   5. flow          core's publishFlow over the adapter's steps (src/core/publish-flow.ts)
 *   6. result        dist/<project>/<target>-result.json and the release manifest
 *
 * Which adapter runs is the task's role: a `package` target runs the project's own ecosystem
 * adapter, an `image` target (ghcr) the image adapter. The pipeline names no ecosystem.
 * Nothing here is global: a batch can run it many times in one process.
 */

/** What an executor hands the pipeline: the task's own options, nothing read yet. */
export interface TaskInput {
  workspaceRoot: string;
  project: string;
  projectRoot: string;
  /** The project's ecosystem (options.ecosystem): its pack manifest's adapter. */
  ecosystem: string;
  /** The target's `destinations` option (nx.json merged with the project's own). */
  destinationsConfig?: unknown;
  /** The target's own options, handed to the adapter (ghcr's `sign`, smoke's `smokePackageManager`). */
  options: Readonly<Record<string, unknown>>;
  dryRun: boolean;
  env: Env;
  log: Log;
  /** The version context, computed once per task (or loaded from AMEIDE_CONTEXT_FILE). */
  context: () => Promise<VersionContext>;
}

/** What steps 1-3 read, handed down to everything after them. */
export interface TaskRead {
  adapter: EcosystemAdapter;
  context: VersionContext;
  manifest: PackManifest;
  destinations: Destinations;
  base: PublishInput;
}

const adapterOf = (t: TaskInput, role: AdapterRole) => (role === 'package' ? adapterFor(t.ecosystem) : imageAdapter());

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Steps 1-3: the reason this task does nothing (a channel or a pack skip), or what it read. */
export async function readTask(t: TaskInput, role: AdapterRole, opts: { files?: boolean } = {}): Promise<TaskRead | { skip: string }> {
  const context = await t.context();
  const skip = channelSkip(context);
  if (skip) return { skip };
  const adapter = adapterOf(t, role);
  const { manifest, findings } = artifactFindings(t.workspaceRoot, t.project, t.ecosystem, context, opts);
  assertManifestFindings(t.project, findings);
  if (!manifest) throw new Error('unreachable: no manifest without a finding');
  if (manifest.skipped) return { skip: `skipped: ${manifest.skipped}` };
  const destinations = taskDestinations({
    workspaceRoot: t.workspaceRoot, projectRoot: t.projectRoot, project: t.project, ecosystem: t.ecosystem, config: t.destinationsConfig,
    name: manifest.name, kinds: adapter.destination ? [adapter.destination] : [], env: t.env, log: t.log,
  });
  const base: PublishInput = {
    workspaceRoot: t.workspaceRoot, project: t.project, projectRoot: t.projectRoot, manifest, context, destinations, env: t.env, log: t.log, options: t.options,
  };
  return { adapter, context, manifest, destinations, base };
}

/** A publish or ghcr task: steps 1-6 (`target` names the result file). */
export async function publishTask(t: TaskInput, role: AdapterRole, target: string): Promise<void> {
  const adapter = adapterOf(t, role);
  const scope = adapter.scope ?? (<T>(body: () => Promise<T>) => body());
  await scope(async () => {
    const read = await readTask(t, role);
    if ('skip' in read) return t.log(read.skip);
    const { context: vc, manifest, destinations } = read;
    // 4. The run-wide preflight passed (publish depends on it); this project is checked once more right
    // before its upload, on what this task read. Its registry reads are not repeated when this run's
    // preflight record is fresh: the flow's lookup reads the registry again anyway, right before the upload.
    if (!t.dryRun) {
      await assertPreflight({
        workspaceRoot: t.workspaceRoot, project: t.project, projectRoot: t.projectRoot, ecosystem: t.ecosystem, destinationsConfig: t.destinationsConfig,
        context: t.context, env: t.env, log: t.log, packages: role === 'package', images: role === 'image', sign: t.options.sign as string | undefined,
        options: t.options, recheck: true, read: { manifest, destinations },
      });
    }
    const input = adapter.input?.(read.base, { dryRun: t.dryRun }) ?? read.base;
    const file = join(t.workspaceRoot, distDir(t.project), `${target}-result.json`);
    const head = { project: t.project, name: manifest.name, ecosystem: manifest.ecosystem, version: manifest.version, channel: vc.CHANNEL, gitSha: vc.GIT_SHA, ...adapter.describe?.(input) };
    let flow;
    try {
      // 5. channel, plan, lookup, decide, (dry-run: print the plan), upload, finish.
      flow = await publishFlow(adapter.steps, input, { dryRun: t.dryRun });
    } catch (err) {
      // A package's failed upload is recorded (its error says per artifact what is on the registry and what is not).
      if (!t.dryRun && adapter.role === 'package') {
        writeJson(file, { ...head, outcome: { status: 'failed', error: (err as Error).message } });
        recordRelease(t.workspaceRoot, vc.GIT_SHA, vc.CHANNEL, t.log);
      }
      throw err;
    }
    // 6. result
    if (adapter.result) {
      const record = await adapter.result(input, flow);
      if (!record || t.dryRun) return;
      writeJson(file, record);
    } else {
      if (t.dryRun) return;
      const { outcome, artifacts } = flow;
      t.log(`${outcome.status}: ${outcome.status === 'skipped' ? outcome.reason : outcome.detail}`);
      const tags = [...new Set(artifacts.flatMap((a) => a.tags))];
      writeJson(file, { ...head, ...(artifacts.length ? { tags } : {}), outcome, artifacts });
    }
    recordRelease(t.workspaceRoot, vc.GIT_SHA, vc.CHANNEL, t.log);
  });
}

/** A smoke task: steps 1-3 (the packed files need not be here: it installs from the registry), then the adapter's smoke. */
export async function smokeTask(t: TaskInput): Promise<void> {
  const vc = await t.context();
  if (channelSkip(vc)) return t.log(`channel 'build': nothing was published, so there is nothing to install.`);
  const read = await readTask(t, 'package', { files: false });
  if ('skip' in read) return t.log(read.skip);
  const { adapter, manifest } = read;
  if (t.dryRun) return t.log(`dry-run: would install ${manifest.name}@${manifest.version} from its registry outside the workspace`);
  if (!adapter.smoke) return t.log(`skipped: the ${adapter.ecosystem} adapter has no smoke`);
  const result = await adapter.smoke(read.base);
  if (result?.skipped) return t.log(`skipped: ${result.skipped}`);
  t.log(`ok: ${manifest.name}@${manifest.version} installs and reports ${vc.SHORT_SHA}`);
}

/** A pack task: the adapter packs into a fresh dist/<project>/, and the manifest is recorded as packed here. */
export async function packTask(t: TaskInput, builtByNx: boolean): Promise<void> {
  const vc = await t.context();
  const adapter = adapterFor(t.ecosystem);
  if (!adapter.pack) throw new Error(`ecosystem '${t.ecosystem}' packs nothing`);
  const outDir = join(t.workspaceRoot, distDir(t.project));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const manifest = await adapter.pack({ workspaceRoot: t.workspaceRoot, projectRoot: t.projectRoot, project: t.project, context: vc, outDir, log: t.log, builtByNx });
  const file = join(t.workspaceRoot, packManifestPath(t.project));
  writeJson(file, manifest);
  // Outside the cached outputs: the preflight rebuilds only what a cache restored (src/flow/pack-integrity.ts).
  recordPackedHere(t.workspaceRoot, t.project, file);
  if (manifest.skipped) t.log(`skipped: ${manifest.skipped}`);
  for (const f of manifest.files) t.log(`${f.file}  sha256:${f.sha256}`);
  t.log(`${manifest.name}@${manifest.version} (${vc.CHANNEL}, ${vc.SHORT_SHA})`);
}
