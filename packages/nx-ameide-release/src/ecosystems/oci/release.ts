import { ReleaseError } from '../../errors';
import { findTool } from '../../tools';
import { ociRegistry } from '../../destinations/registries';
import type { ArtifactResult, PlannedArtifact, PublishSteps } from '../../core/contract';
import { probeAttemptMs, probeRetry } from '../../net';
import { AlreadyThere, publishFlow } from '../../core/publish-flow';
import { ociImageName } from './layout';
import { RegistryClient, RegistryHttpError } from './registry';
import { attestImage, attestPackages, imageSbom, type AttestationResult } from './attest';
import { describeSigning, sign as cosignSign, signedAs, type SignMode } from './sign';
import { keyOpens } from './key-check';
import { heldUnder, imageChannel, invalidTag, isImmutableTag, type ImageChannel, type TagDecision } from './tags';
import { resolveSignMode, sourceOf, tagOf, where, type OciPublishInput, type OciReleaseInput, type OciReleaseResult, type Ready, type Signature } from './input';
import { decidePointersNow, pointerRefusal, readFacts } from './facts';
import { keyFileOf, missingKey, wontOpen } from './guards';
import { ourImage, ourVersion } from './ours';
import { ociResult } from './result';

/**
 * `ghcr`: the project's packed artifacts as one reproducible OCI image, published through the one
 * publish flow (src/core/publish-flow.ts: channel, pack manifest, lookup, decide, refuse before any
 * upload, dry-run, upload, finish) with `ociSteps`, OCI's own half:
 *
 *   plan     the immutable tags as artifacts of kind `image`: `:<sha>` always, `:X.Y.Z` on a release
 *   lookup   tag -> manifest digest -> org.opencontainers.image.revision, as `Held` (heldUnder,
 *            tags.ts), sameBytes = the digest is ours (image builds are reproducible)
 *   upload   `push` (the blobs the registry lacks) then `tag` (the manifest under the tag)
 *   finish   `pointers` (latest, X.Y, dev: decidePointers, moved only where the policy allows),
 *            `sign` the digest with cosign, `attest` it (and the packed files)
 *
 * Before its first lookup the run gets `ready` once (prepare): signing configured and cosign
 * found, the image built in memory from dist/ (same SHA => same digest), the SBOM, the registry
 * answering, the pointers decided. A refusal there stops the run before any upload.
 */

/** The run's guards, image, SBOM, registry and pointers, once, before the first lookup (see the top). */
async function prepare(input: OciPublishInput): Promise<Ready> {
  const { context, log, reg, dryRun } = input;
  const first = input.manifests[0] ?? input.manifest;
  const channel = imageChannel(context) as ImageChannel; // the flow publishes nothing on `build`
  let signMode: SignMode | 'unset';
  try {
    signMode = resolveSignMode(input.sign, reg, input.env);
  } catch (e) {
    if (!dryRun) throw e;
    signMode = 'unset';
    log(`ghcr: [dry-run] signing: not configured (a real run fails here, before any push: set COSIGN_KEY or pass --sign=off)`);
  }
  if (signMode !== 'off') log(`ghcr: signing: ${describeSigning(signMode, input.toolEnv)}`);
  const keyProblem = missingKey(signMode, reg);
  if (keyProblem) throw new ReleaseError(keyProblem.problem, keyProblem.fix, where(input));
  // Signing comes right after the push: a missing cosign must stop the run before it, not leave an unsigned image.
  let cosign = '';
  if (signMode === 'key' || signMode === 'keyless') {
    try {
      cosign = findTool('cosign', input.toolEnv, input.workspaceRoot);
    } catch (e) {
      if (!dryRun) throw e;
      log(`ghcr: [dry-run] ${(e as Error).message.replace(/\n\s*fix:/, '; fix:')} (a real run stops here, before any push)`);
    }
  }
  // The password must open the key before the push (once per key per run: key-check.ts), and its public half is kept.
  let publicKey: string | undefined;
  const keyFile = keyFileOf(signMode, reg);
  if (!dryRun && cosign && keyFile) {
    const answer = await keyOpens({ key: keyFile, password: reg.cosignPassword, cosign, env: input.toolEnv, workspaceRoot: input.workspaceRoot });
    if (!answer.opens) {
      const { problem, fix } = wontOpen(keyFile, input.env, answer.said);
      throw new ReleaseError(problem, fix, where(input));
    }
    publicKey = answer.publicKey;
  }
  const { build, contents, ours } = ourImage(input, input.manifests, first, channel, where(input));
  log(`ghcr: ${input.image}@${ours.digest}`);
  log(`ghcr: ${contents.files.length} file(s) under /ameide/${input.project}/, layer ${build.layer.digest} (${build.layer.size} bytes)`);
  const sbom = !dryRun && (signMode === 'key' || signMode === 'keyless') && input.projectRoot
    ? await imageSbom({ workspaceRoot: input.workspaceRoot, projectRoot: input.projectRoot, project: input.project, manifest: first, context, env: input.toolEnv, log })
    : undefined;
  if (!dryRun) await ping(input);
  let pointers: TagDecision[] = [];
  try {
    pointers = await decidePointersNow(input.client, input.repo, input, ours, where(input));
  } catch (e) {
    if (!dryRun) throw e;
    log(`ghcr: [dry-run] pointers unknown: ${(e as Error).message.split('\n')[0]}`);
  }
  const refused = pointers.filter((d) => d.action === 'refuse');
  if (refused.length && !dryRun) throw pointerRefusal(refused, input.image, where(input));
  return { build, contents, ours, signMode, cosign, sbom, publicKey, pointers };
}

/** The registry answers and takes the credentials (a clear error before anything is sent). */
async function ping(input: OciPublishInput): Promise<void> {
  const { reg } = input;
  try {
    await input.client.ping();
  } catch (e) {
    const auth = e instanceof RegistryHttpError && (e.status === 401 || e.status === 403);
    throw new ReleaseError(
      `registry ${reg.registry} ${auth ? 'refused the credentials' : 'is not reachable'}: ${(e as Error).message}`,
      auth ? 'set OCI_USERNAME/OCI_PASSWORD (or GITHUB_TOKEN with packages: write)' : 'check destinations.oci.registry (docs/destinations.md; AMEIDE_OCI_REGISTRY overrides it), and AMEIDE_OCI_INSECURE for a plain-http sandbox',
      where(input),
    );
  }
}

/** plan: the immutable tags of GHCR_TAGS, one `image` artifact each. Pure; an invalid tag is refused here. */
function plan(input: OciPublishInput): PlannedArtifact[] {
  const { context } = input;
  const bad = invalidTag(context.GHCR_TAGS);
  if (bad !== null) {
    throw new ReleaseError(
      `'${bad}' (in GHCR_TAGS of the version context) is not a valid OCI tag`,
      'OCI tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}: fix the version or the GHCR tag template that made it',
      where(input),
    );
  }
  const first = input.manifests[0] ?? input.manifest;
  const version = ourVersion(context, imageChannel(context) as ImageChannel, first);
  return [...new Set(context.GHCR_TAGS)]
    .filter((t) => isImmutableTag(t, { revision: context.GIT_SHA }))
    .map((tag) => ({ id: `${input.image}:${tag}`, ecosystem: 'oci', name: input.image, version, registry: input.reg.registry, kind: 'image', tags: [tag] }));
}

/** lookup: the image under the tag, its digest and revision label, as the one decision reads it. */
async function lookup(input: OciPublishInput, artifact: PlannedArtifact) {
  const { ours } = await input.ready();
  const tag = tagOf(artifact);
  const facts = await readFacts(input.client, input.repo, tag);
  input.state.held.set(tag, facts);
  return heldUnder(tag, facts, ours);
}

/** push: the layer and config blobs the registry lacks (each HEAD first), once per run. */
async function push(input: OciPublishInput): Promise<void> {
  if (input.state.blobsPushed) return;
  const { build } = await input.ready();
  await input.client.uploadBlob(input.repo, build.layer.digest, build.layer.bytes);
  await input.client.uploadBlob(input.repo, build.config.digest, build.config.bytes);
  input.state.blobsPushed = true;
}

/** tag: the manifest under one tag; the registry must answer with our digest. */
async function tag(input: OciPublishInput, name: string): Promise<void> {
  const { build, ours } = await input.ready();
  const got = await input.client.putManifest(input.repo, name, build.manifest.bytes, build.manifest.mediaType);
  if (got !== ours.digest) throw new Error(`registry stored ${input.repo}:${name} as ${got}, expected ${ours.digest}`);
  input.log(`ghcr: pushed ${input.image}:${name}`);
}

/**
 * upload: one immutable tag; a less authoritative image of this commit under <sha> is superseded
 * (it stays reachable by digest). The registry has no conditional PUT: right before it, the tag is
 * read again, and when it changed since the lookup (a concurrent run) the flow is told
 * (`AlreadyThere`): it looks up and decides again instead of overwriting.
 */
async function upload(input: OciPublishInput, artifact: PlannedArtifact): Promise<void> {
  const held = input.state.held.get(tagOf(artifact));
  const now = await readFacts(input.client, input.repo, tagOf(artifact), { fresh: true });
  if ((now?.digest ?? null) !== (held?.digest ?? null)) throw new AlreadyThere(artifact);
  if (held) input.log(`ghcr: ${tagOf(artifact)} moves from the ${held.channel} image ${held.digest} (still reachable by digest) to this ${(await input.ready()).ours.channel} image`);
  await push(input);
  await tag(input, tagOf(artifact));
}

/** pointers: move latest / X.Y / dev where the policy decided so (decided in prepare, before any upload). */
async function pointers(input: OciPublishInput): Promise<string[]> {
  const { pointers: decisions } = await input.ready();
  const lines: string[] = [];
  for (const d of decisions) {
    lines.push(`ghcr: ${d.tag}: ${d.action}${'code' in d ? ` (${d.code})` : ''}: ${d.reason}`);
    if (d.action !== 'create' && d.action !== 'move') continue;
    await push(input);
    await tag(input, d.tag);
    input.state.pointersMoved.push(d.tag);
  }
  return lines;
}

/** Does any tag now name our digest (so the signature and attestations have something to hang on)? */
async function reachable(input: OciPublishInput, results: ArtifactResult[]): Promise<boolean> {
  const { ours, pointers: decisions } = await input.ready();
  return (
    results.some((r) => r.outcome === 'published' || input.state.held.get(tagOf(r))?.digest === ours.digest) ||
    decisions.some((d) => d.action === 'create' || d.action === 'move' || d.action === 'unchanged')
  );
}

/** sign: the digest with cosign (sign.ts), unless it is signed already, signing is off, or no tag names it. */
async function sign(input: OciPublishInput, results: ArtifactResult[]): Promise<Signature> {
  const { ours, signMode, cosign } = await input.ready();
  const { reg } = input;
  if (signMode === 'off') return 'off';
  if (signMode === 'unset' || !(await reachable(input, results))) return 'not-needed';
  if (await signedAs(input.client, input.repo, ours.digest)) return 'already-signed'; // by cosign v3 (a bundle referrer) or v2 (.sig)
  await cosignSign(
    { ref: `${input.image}@${ours.digest}`, insecure: reg.insecure },
    signMode,
    { registry: reg.registry, username: reg.username, password: reg.password },
    { key: reg.cosignKey, password: reg.cosignPassword },
    { cosign, env: input.toolEnv },
  );
  return 'signed';
}

/** attest: SLSA provenance and the SBOM on the digest, then the packed files (attest.ts); only when signing. */
async function attest(input: OciPublishInput, results: ArtifactResult[]): Promise<AttestationResult[]> {
  const { ours, signMode, cosign, sbom, publicKey } = await input.ready();
  if (signMode !== 'key' && signMode !== 'keyless') return [];
  const { reg, context, project } = input;
  const source = sourceOf(input);
  const key = { key: reg.cosignKey, password: reg.cosignPassword };
  const out: AttestationResult[] = [];
  if (await reachable(input, results)) {
    out.push(...(await attestImage({
      sbom, client: input.client, repo: input.repo, ref: `${input.image}@${ours.digest}`, insecure: reg.insecure, mode: signMode,
      auth: { registry: reg.registry, username: reg.username, password: reg.password }, key,
      cosign, env: input.toolEnv, workspaceRoot: input.workspaceRoot, log: input.log,
      provenance: { image: input.image, digest: ours.digest, project, context, source, artifacts: input.manifests.flatMap((m) => m.files), env: input.env },
    })));
  }
  // The packed files are on their registries already: publish runs before ghcr.
  out.push(...(await attestPackages({
    workspaceRoot: input.workspaceRoot, project, context, source, manifests: input.manifests, mode: signMode, sbom, publicKey,
    key, cosign, env: input.toolEnv, provenanceEnv: input.env, log: input.log,
  })));
  return out;
}

/** finish: pointers, sign, attest; also on a re-run (it completes an interrupted one). */
async function finish(input: OciPublishInput, results: ArtifactResult[]): Promise<string[]> {
  const lines = await pointers(input);
  input.state.signature = await sign(input, results);
  lines.push(`ghcr: signature of ${(await input.ready()).ours.digest}: ${input.state.signature}`);
  input.state.attestations = await attest(input, results);
  return lines;
}

/** OCI's half of the one publish flow. */
export const ociSteps: PublishSteps<OciPublishInput> = { plan, lookup, upload, finish };

/** The flow's input for one project's image (nothing is read or sent yet). */
export function ociPublishInput(input: OciReleaseInput, opts: { timeoutMs?: number } = {}): OciPublishInput {
  if (input.manifests.length !== 1) {
    throw new ReleaseError(`the image of ${input.project} is made from one pack manifest, got ${input.manifests.length}`, `pass dist/${input.project}/pack-manifest.json`, where(input));
  }
  const manifest = input.manifests[0];
  const manifests = input.manifests.filter((m) => !m.skipped && m.files.length > 0);
  const reg = ociRegistry(input.env, input.destinations);
  const repo = `${reg.namespace}/${input.imageName ?? ociImageName(manifest.name)}`;
  const client = new RegistryClient({
    registry: reg.registry, insecure: reg.insecure, username: reg.username, password: reg.password,
    ...(opts.timeoutMs ? { timeoutMs: probeAttemptMs(opts.timeoutMs), retry: probeRetry(opts.timeoutMs) } : {}),
  });
  const self: OciPublishInput = {
    workspaceRoot: input.workspaceRoot, manifest, context: input.context, destinations: input.destinations, env: input.env, log: input.log,
    project: input.project, manifests, projectRoot: input.projectRoot, dryRun: input.dryRun, isAncestor: input.isAncestor,
    sign: input.sign, source: input.source, reg, repo, image: `${reg.registry}/${repo}`, client,
    toolEnv: { ...process.env, ...input.env } as NodeJS.ProcessEnv,
    ready: () => (self.state.prepared ??= prepare(self)),
    state: { held: new Map(), blobsPushed: false, pointersMoved: [], signature: input.dryRun ? 'dry-run' : 'not-needed', attestations: [] },
  };
  return self;
}

/** One project's image through the one publish flow; the result is what ghcr-result.json records. */
export async function ociRelease(input: OciReleaseInput): Promise<OciReleaseResult> {
  const oci = ociPublishInput(input);
  return ociResult(oci, await publishFlow(ociSteps, oci, { dryRun: input.dryRun }));
}
