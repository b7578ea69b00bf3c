import { ReleaseError } from '../errors';
import { rememberRead } from '../memo';
import type { ArtifactResult, CheckInput, Finding, FlowResult, PlannedArtifact, PlannedDecision, PublishInput, PublishOutcome, PublishSteps } from './contract';
import type { VersionContext } from '../version/types';
import { blocks, decide, refusal, type Decision } from './decide';

/**
 * The one publish flow every ecosystem goes through (npm, PyPI, Go, OCI):
 *
 *   1. channel     `build` publishes nothing (checked here, nowhere else); then the pack's own
 *                  skip and the adapter's (`steps.skip`: Go on dev publishes nothing)
 *   2. manifest    packed from this SHA, at this context's version, every file the bytes pack
 *                  recorded: checked once per task by the pipeline (src/flow/task.ts), which
 *                  read it, before the flow starts; the flow gets the manifest it checked
 *   3. plan        the adapter's planned artifacts (data)
 *   4. lookup      what the registry holds for each, from which commit
 *   5. decide      src/flow/decide.ts, for each; one conflict anywhere refuses the whole project
 *                  before its first upload, naming both commits
 *   6. dry-run     prints the plan with each decision, and stops
 *   7. upload      what is missing; a race (the registry says "exists") is looked up and decided again
 *   8. finish      the adapter's pointers and signatures, also on a re-run
 */

/** Thrown by an adapter's upload when the registry answers that the artifact already exists. */
export class AlreadyThere extends Error {
  constructor(readonly artifact: PlannedArtifact, cause?: unknown) {
    super(`${artifact.id} already exists on ${artifact.registry}`, { cause });
    this.name = 'AlreadyThere';
  }
}

export type { FlowResult, PlannedDecision } from './contract';

export interface FlowOptions {
  dryRun: boolean;
}

const verb = (d: PlannedDecision['decision']) =>
  d.action === 'publish' ? 'publish' : d.action === 'done' ? 'already published by this commit: nothing sent' : d.action === 'unknown' ? `unknown (${d.reason})` : 'REFUSED';

/** One line per planned artifact, the same for the dry-run and the real run. Pure. */
export function planLines(plan: PlannedDecision[]): string[] {
  return plan.map(({ artifact: a, decision }) => {
    const tags = a.tags.length ? `  tags ${a.tags.join(', ')}` : '';
    const bytes = a.sha256 ? `  sha256 ${a.sha256.slice(0, 12)}…` : '';
    return `${a.ecosystem.padEnd(4)} ${a.id}  -> ${a.registry}${tags}${bytes}  [${verb(decision)}]`;
  });
}

/**
 * Step 1, the one channel rule: why this context publishes nothing, or null when it publishes.
 * The flow asks it first; an executor may ask it before reading anything (it is the same rule).
 */
export function channelSkip(context: VersionContext): string | null {
  if (context.CHANNEL !== 'build') return null;
  return `channel 'build' (ref ${context.REF || 'unknown'}): nothing is published; main publishes dev, vX.Y.Z tags release`;
}

export async function publishFlow<I extends PublishInput>(steps: PublishSteps<I>, input: I, opts: FlowOptions): Promise<FlowResult> {
  const { context, manifest, log } = input;
  // 1. channel
  const skip = channelSkip(context);
  if (skip) return { outcome: { status: 'skipped', reason: skip }, artifacts: [], plan: [] };
  if (manifest.skipped) return { outcome: { status: 'skipped', reason: manifest.skipped }, artifacts: [], plan: [] };
  const own = steps.skip?.(input);
  if (own) return { outcome: { status: 'skipped', reason: own }, artifacts: [], plan: [] };
  // 2. manifest: checked by the pipeline that read it
  // 3. plan, 4. lookup, 5. decide
  const planned = steps.plan(input);
  if (planned.length === 0) {
    return { outcome: { status: 'skipped', reason: `${manifest.name} ${manifest.version}: nothing to publish (the plan is empty)` }, artifacts: [], plan: [] };
  }
  const plan: PlannedDecision[] = [];
  for (const artifact of planned) {
    try {
      plan.push({ artifact, decision: decide(context.GIT_SHA, await steps.lookup(input, artifact)) });
    } catch (e) {
      if (!opts.dryRun) throw e;
      plan.push({ artifact, decision: { action: 'unknown', reason: `registry not readable: ${(e as Error).message.split('\n')[0]}` } });
    }
  }
  // 6. dry-run
  if (opts.dryRun) {
    log('dry-run: nothing is uploaded; the real run would do:');
    for (const line of planLines(plan)) log(`  ${line}`);
  }
  const blocked = plan.find((p): p is PlannedDecision & { decision: Extract<Decision, { action: 'refused' | 'conflict' }> } => blocks(p.decision as Decision));
  if (blocked) throw refusal(blocked.artifact.id, blocked.artifact.registry, context.GIT_SHA, blocked.decision);
  if (opts.dryRun) return { outcome: { status: 'skipped', reason: 'dry-run' }, artifacts: [], plan };

  // 7. upload
  const results: ArtifactResult[] = [];
  for (const { artifact, decision } of plan) {
    if (decision.action === 'done') {
      results.push({ ...artifact, outcome: 'already-published' });
      continue;
    }
    log(`uploading ${artifact.id} to ${artifact.registry}`);
    try {
      await steps.upload(input, artifact);
      results.push({ ...artifact, outcome: 'published' });
    } catch (e) {
      if (!(e instanceof AlreadyThere)) throw withState(e, results, plan);
      // Another run (or an earlier attempt whose answer was lost) got there first: decide by its commit.
      const again = decide(context.GIT_SHA, await steps.lookup(input, artifact));
      if (blocks(again)) throw refusal(artifact.id, artifact.registry, context.GIT_SHA, again);
      if (again.action !== 'done') throw e;
      log(`${artifact.id} appeared on ${artifact.registry} from this commit during the run (a concurrent run or a lost answer): kept`);
      results.push({ ...artifact, outcome: 'already-published' });
    }
  }
  // 8. finish
  for (const line of (await steps.finish?.(input, results)) ?? []) log(line);
  const sent = results.filter((r) => r.outcome === 'published');
  const kept = results.filter((r) => r.outcome === 'already-published');
  const outcome: PublishOutcome = sent.length
    ? { status: 'published', detail: `${manifest.name} ${manifest.version} from ${context.GIT_SHA}: published ${sent.map((r) => r.id).join(', ')}${kept.length ? `; already there: ${kept.map((r) => r.id).join(', ')}` : ''}` }
    : { status: 'already-published', detail: `${manifest.name} ${manifest.version} already published from ${context.GIT_SHA}: ${kept.map((r) => r.id).join(', ') || 'nothing planned'}; nothing uploaded` };
  return { outcome, artifacts: results, plan };
}

/** A failed upload says what is on the registry now and what is not: the same command completes the rest. */
function withState(e: unknown, results: ArtifactResult[], plan: PlannedDecision[]): unknown {
  if (!(e instanceof Error)) return e;
  const done = new Set(results.map((r) => r.id));
  const on = results.map((r) => r.id);
  const notYet = plan.map((p) => p.artifact.id).filter((id) => !done.has(id));
  const state = `on the registry: ${on.join(', ') || 'none of this run'}; not uploaded: ${notYet.join(', ')}; run the same command again on this commit to upload the rest (nothing is sent twice)`;
  if (e instanceof ReleaseError) return new ReleaseError(`${e.what} (${state})`, e.fix, e.where);
  e.message = `${e.message}\n(${state})`;
  return e;
}

/**
 * What one flow read from a registry, kept for the rest of that flow and no longer: the lookup's
 * answer serves the upload's own choices (npm's dist-tag holder) and, when nothing was uploaded
 * since, `finish` (a re-run); a sibling artifact's lookup reads the same page (PyPI's wheel and
 * sdist). Keyed by the flow's input object, so another task, run or preflight never sees it. An
 * adapter drops the entry as soon as it uploads: after an upload (and in the AlreadyThere race,
 * whose lookup reads again) the registry is read anew.
 */
export class FlowReads<T> {
  private readonly byInput = new WeakMap<object, Map<string, Promise<T>>>();

  /** The value read for `key` in this flow, reading it (once) when there is none. A failed read is not kept. */
  get(input: object, key: string, read: () => Promise<T>, fresh = false): Promise<T> {
    let mine = this.byInput.get(input);
    if (!mine) this.byInput.set(input, (mine = new Map()));
    return rememberRead(mine, key, read, fresh);
  }

  /** Read again now and keep the answer (a lookup always asks the registry). */
  fresh(input: object, key: string, read: () => Promise<T>): Promise<T> {
    return this.get(input, key, read, true);
  }

  /** Forget `key` (the adapter uploaded): the next reader asks the registry. */
  drop(input: object, key: string): void {
    this.byInput.get(input)?.delete(key);
  }
}

/**
 * The one "version not held by another SHA" rule of the preflight, for every adapter: the same
 * plan, lookup and decision as the publish, without uploading. One finding per blocking artifact.
 * `steps` may be the adapter's own or a read-only pair made for its checks (OCI looks up with the
 * checks' bounded client).
 */
export async function heldFindings<I extends PublishInput>(steps: Pick<PublishSteps<I>, 'plan' | 'lookup'>, input: I | CheckInput): Promise<Finding[]> {
  if (!input.manifest || input.manifest.skipped || channelSkip(input.context)) return [];
  const full = { ...input, manifest: input.manifest } as unknown as I;
  const out: Finding[] = [];
  for (const artifact of steps.plan(full)) {
    const d = decide(input.context.GIT_SHA, await steps.lookup(full, artifact));
    if (!blocks(d)) continue;
    const e = refusal(artifact.id, artifact.registry, input.context.GIT_SHA, d);
    out.push({ check: 'version', problem: e.what, fix: e.fix });
  }
  return out;
}
