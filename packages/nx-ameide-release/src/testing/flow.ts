import type { EcosystemAdapter, PublishInput, PublishOutcome } from '../core/contract';
import { publishFlow } from '../core/publish-flow';
import { assertManifestFindings, manifestFindings } from '../flow/manifest';

/**
 * One adapter's publish as a task does it, without Nx: the manifest checked once (the pipeline's
 * step 2, src/flow/task.ts), then core's publishFlow over the adapter's steps. For the tests of an
 * adapter's steps against a real registry.
 */
export async function publishVia(adapter: Pick<EcosystemAdapter, 'steps'>, input: PublishInput): Promise<PublishOutcome> {
  assertManifestFindings(input.manifest.project, manifestFindings(input.workspaceRoot, input.manifest, input.manifest.ecosystem, input.context));
  return (await publishFlow(adapter.steps, input, { dryRun: false })).outcome;
}

/**
 * What the registry holds of a whole package, read through the adapter's own lookup, one artifact
 * at a time: held by another commit when any artifact is, else by this one when any is, else absent.
 */
export async function lookupVia(adapter: Pick<EcosystemAdapter, 'steps'>, input: PublishInput): Promise<{ state: 'absent' } | { state: 'present'; gitSha: string | null }> {
  let held: { state: 'absent' } | { state: 'present'; gitSha: string | null } = { state: 'absent' };
  for (const artifact of adapter.steps.plan(input)) {
    const h = await adapter.steps.lookup(input, artifact);
    if (h.state === 'absent') continue;
    if (h.gitSha !== input.context.GIT_SHA) return { state: 'present', gitSha: h.gitSha };
    held = { state: 'present', gitSha: h.gitSha };
  }
  return held;
}
