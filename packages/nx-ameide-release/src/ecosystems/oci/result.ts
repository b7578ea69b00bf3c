import type { ArtifactResult } from '../../core/contract';
import { type FlowResult } from '../../core/publish-flow';
import { imageChannel } from './tags';
import { tagOf, type OciPublishInput, type OciReleaseResult } from './input';

/** The image's result (ghcr-result.json) from the flow's plan and per-artifact results, and what finish did with the pointers and the signature. */
export async function ociResult(oci: OciPublishInput, flow: FlowResult): Promise<OciReleaseResult> {
  const channel = imageChannel(oci.context);
  const ready = await oci.state.prepared?.catch(() => undefined);
  const digest = ready?.ours.digest ?? '';
  const pointerDecisions = ready?.pointers ?? [];
  const base = {
    image: oci.image, digest, ref: digest ? `${oci.image}@${digest}` : '', channel, plan: flow.plan, artifacts: flow.artifacts, pointers: pointerDecisions,
    blobsUploaded: oci.client.stats.blobsUploaded, blobsSkipped: oci.client.stats.blobsSkipped, attestations: oci.state.attestations, contents: ready?.contents,
  };
  const none = { tagsPushed: [], tagsUnchanged: [], tagsSkipped: [] };
  if (flow.outcome.status === 'skipped') {
    if (oci.dryRun && flow.outcome.reason === 'dry-run') {
      for (const d of pointerDecisions) oci.log(`  oci  ${oci.image}:${d.tag}  pointer, after the uploads  [${d.action}${'code' in d ? ` (${d.code})` : ''}: ${d.reason}]`);
      oci.log(`ghcr: [dry-run] then signs ${digest || 'the digest'}: ${ready?.signMode === 'unset' ? 'not configured (a real run fails)' : ready?.signMode ?? 'unknown'}`);
      return { ...base, ...none, status: 'dry-run', signature: 'dry-run' };
    }
    oci.log(`ghcr: ${oci.image}: skipped (${flow.outcome.reason})`);
    return { ...base, ...none, status: 'skipped', reason: flow.outcome.reason, signature: 'not-needed' };
  }
  const order = (tags: Iterable<string>) => {
    const set = new Set(tags);
    return [...new Set(oci.context.GHCR_TAGS)].filter((t) => set.has(t));
  };
  const holdsOurs = (r: ArtifactResult) => r.outcome === 'published' || oci.state.held.get(tagOf(r))?.digest === digest;
  const tagsPushed = order([...flow.artifacts.filter((r) => r.outcome === 'published').map(tagOf), ...oci.state.pointersMoved]);
  const tagsUnchanged = order([
    ...flow.artifacts.filter((r) => r.outcome === 'already-published' && holdsOurs(r)).map(tagOf),
    ...pointerDecisions.filter((d) => d.action === 'unchanged').map((d) => d.tag),
  ]);
  const kept = flow.artifacts.filter((r) => !holdsOurs(r)).map((r) => {
    const held = oci.state.held.get(tagOf(r))!;
    return { tag: tagOf(r), reason: `sha-holds-more-authoritative: ${tagOf(r)} holds the ${held.channel} image ${held.digest} (${held.version ?? '?'}) of this commit` };
  });
  const tagsSkipped = [...kept, ...pointerDecisions.flatMap((d) => (d.action === 'skip' ? [{ tag: d.tag, reason: `${d.code}: ${d.reason}` }] : []))];
  const status = tagsPushed.length ? 'pushed' : tagsUnchanged.length ? 'unchanged' : 'skipped';
  return {
    ...base, status, reason: status === 'skipped' ? 'every tag holds another image of this commit or was skipped by the tag policy' : undefined,
    tagsPushed, tagsUnchanged, tagsSkipped, signature: oci.state.signature,
  };
}
