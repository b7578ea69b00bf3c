import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ReleaseError } from '../../errors';
import { findTool } from '../../tools';
import { ociRegistry, type Env, type OciRegistry } from '../../registries';
import type { Destinations } from '../../destinations';
import { readRepositoryUrl } from '../../destination-facts';
import type { VersionContext } from '../../version/types';
import type { ArtifactResult, Finding, Log, PackManifest, PlannedArtifact, PublishInput, PublishSteps } from '../types';
import { credentialSource } from '../../credentials';
import { findingOf } from '../../findings';
import { networkCode, probeAttemptMs, probeRetry } from '../../net';
import { blocks, decide, refusal } from '../../flow/decide';
import { AlreadyThere, publishFlow, type FlowResult, type PlannedDecision } from '../../flow/publish';
import { buildImage, LABEL_CHANNEL, LABEL_PROJECT, OCI_CREATED, OCI_REVISION, OCI_SOURCE, OCI_TITLE, OCI_VERSION, type ImageBuild } from './image';
import { imageFiles, ociImageName, type Contents } from './layout';
import { RegistryClient, RegistryHttpError } from './registry';
import { attestImage, attestPackages, imageSbom, type AttestationResult } from './attest';
import { describeSigning, sign as cosignSign, signedAs, type SignMode } from './sign';
import { keyOpens } from './key-check';
import {
  decidePointers, devAncestryQuestion, heldUnder, imageChannel, invalidTag, isImmutableTag,
  type ImageChannel, type ImageFacts, type OurImage, type TagDecision,
} from './tags';

/**
 * `ghcr`: the project's packed artifacts as one reproducible OCI image, published through the one
 * publish flow (src/flow/publish.ts: channel, pack manifest, lookup, decide, refuse before any
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

export interface OciReleaseInput {
  project: string; // Nx project name
  manifests: PackManifest[]; // read from dist/<project>/pack-manifest.json: exactly one
  workspaceRoot: string;
  context: VersionContext;
  /** Resolved by resolveDestinations: `oci` is the registry and namespace. */
  destinations: Destinations;
  env: Env;
  isAncestor: (ancestorSha: string, descendantSha: string) => Promise<boolean>;
  dryRun: boolean;
  log: Log;
  /** default: key when COSIGN_KEY is set, keyless in GitHub Actions, else an error. */
  sign?: SignMode;
  /** org.opencontainers.image.source; default AMEIDE_OCI_SOURCE, else the root package.json `repository`. */
  source?: string;
  /** Image name under the namespace; default ociImageName(package name). */
  imageName?: string;
  /** The project's root (workspace-relative): its SBOM is made from there; without it, no SBOM. */
  projectRoot?: string;
}

export type Signature = 'signed' | 'already-signed' | 'off' | 'not-needed' | 'dry-run';

export interface OciReleaseResult {
  status: 'pushed' | 'unchanged' | 'dry-run' | 'skipped';
  reason?: string;
  image: string; // registry/namespace/name
  digest: string;
  ref: string; // image@digest
  channel: ImageChannel | null;
  /** The flow's plan: each immutable tag with its decision (also on a dry-run). */
  plan: PlannedDecision[];
  /** The flow's per-artifact results (immutable tags): published or already-published. */
  artifacts: ArtifactResult[];
  /** The pointer tags (latest, X.Y, dev) and what finish did with each. */
  pointers: TagDecision[];
  tagsPushed: string[];
  tagsUnchanged: string[];
  tagsSkipped: { tag: string; reason: string }[];
  blobsUploaded: number;
  blobsSkipped: number;
  signature: Signature;
  /** The evidence attached to the digest (none when signing is off or nothing was tagged). */
  attestations: AttestationResult[];
  contents?: Contents;
}

/** What `ready` prepares once per run, before the first lookup. */
interface Ready {
  build: ImageBuild;
  contents: Contents;
  ours: OurImage;
  signMode: SignMode | 'unset';
  cosign: string;
  sbom?: { file: string; document: unknown };
  /** Key signing with a key file: its public half (a stored package bundle signed with it is kept). */
  publicKey?: string;
  pointers: TagDecision[];
}

/** The flow's input for OCI: the shared PublishInput plus what OCI's steps need. */
export interface OciPublishInput extends PublishInput {
  project: string;
  /** The packed manifests whose files go into the image (skipped ones and empty ones left out). */
  manifests: PackManifest[];
  projectRoot?: string;
  dryRun: boolean;
  isAncestor: OciReleaseInput['isAncestor'];
  sign?: SignMode;
  source?: string;
  reg: OciRegistry;
  repo: string; // namespace/name
  image: string; // registry/namespace/name
  client: RegistryClient;
  toolEnv: NodeJS.ProcessEnv;
  /** Memoized prepare (see the top); every step awaits it. */
  ready(): Promise<Ready>;
  /** What the steps saw and did, for the result. */
  state: {
    /** Set by the first `ready()`. */
    prepared?: Promise<Ready>;
    held: Map<string, ImageFacts | null>;
    blobsPushed: boolean;
    pointersMoved: string[];
    signature: Signature;
    attestations: AttestationResult[];
  };
}

/** Signing mode from the option and the environment; throws when nothing is configured. */
export function resolveSignMode(option: SignMode | undefined, reg: Pick<OciRegistry, 'cosignKey'>, env: Env): SignMode {
  if (option) return option;
  if (reg.cosignKey) return 'key';
  if (env.GITHUB_ACTIONS === 'true') return 'keyless';
  throw new ReleaseError(
    'no cosign signing is configured for the ghcr target',
    'set COSIGN_KEY (and COSIGN_PASSWORD) for key signing, run in GitHub Actions with `permissions: id-token: write` for keyless, or pass --sign=off',
    'ghcr',
  );
}

/** The repository URL for org.opencontainers.image.source, from the root package.json. */
export function sourceFromPackageJson(workspaceRoot: string): string | undefined {
  return readRepositoryUrl(workspaceRoot)?.replace(/^git\+/, '').replace(/\.git$/, '').replace(/^github:/, 'https://github.com/');
}

/** The facts a tag's image carries, from manifest annotations, else config labels; `fresh`: not from the task's session. */
export async function readFacts(client: RegistryClient, repo: string, tag: string, opts: { fresh?: boolean } = {}): Promise<ImageFacts | null> {
  const m = await client.getManifest(repo, tag, opts);
  if (!m) return null;
  let body: { annotations?: Record<string, string>; config?: { digest?: string } } = {};
  try {
    body = JSON.parse(m.bytes.toString('utf8'));
  } catch {
    /* not JSON: a foreign image */
  }
  let labels = body.annotations ?? {};
  if (!labels[LABEL_CHANNEL] && body.config?.digest) {
    try {
      const cfg = JSON.parse((await client.getBlob(repo, body.config.digest)).toString('utf8'));
      labels = cfg?.config?.Labels ?? {};
    } catch {
      /* unreadable config: unlabelled */
    }
  }
  const ch = labels[LABEL_CHANNEL];
  return {
    digest: m.digest,
    channel: ch === 'release' || ch === 'prerelease' || ch === 'dev' ? ch : null,
    revision: labels[OCI_REVISION] ?? null,
    version: labels[OCI_VERSION] ?? null,
  };
}

/** The version the image carries: the release tag's on a release, the package's on dev. Pure. */
function ourVersion(context: VersionContext, channel: ImageChannel, first: PackManifest): string {
  return channel === 'dev' ? first.version : context.RELEASE_TAG.replace(/^v/, '') || first.version;
}

/** The image in memory from dist/ (same SHA => same digest). */
function buildOurImage(
  input: Pick<OciReleaseInput, 'project' | 'context' | 'workspaceRoot' | 'source' | 'env'>,
  manifests: PackManifest[],
  first: PackManifest,
  channel: ImageChannel,
  where: string,
): { build: ImageBuild; contents: Contents; ours: OurImage } {
  const { project, context } = input;
  const version = ourVersion(context, channel, first);
  try {
    const { files, contents } = imageFiles(project, manifests, (f) => readFileSync(isAbsolute(f) ? f : join(input.workspaceRoot, f)));
    const annotations: Record<string, string> = {
      [OCI_CREATED]: new Date(Date.parse(context.COMMIT_TIME)).toISOString().replace('.000Z', 'Z'),
      [OCI_REVISION]: context.GIT_SHA,
      [OCI_VERSION]: version,
      [OCI_TITLE]: first.name,
      [LABEL_CHANNEL]: channel,
      [LABEL_PROJECT]: project,
    };
    const source = sourceOf(input);
    if (source) annotations[OCI_SOURCE] = source;
    const build = buildImage({ files, annotations, created: context.COMMIT_TIME });
    return { build, contents, ours: { digest: build.manifest.digest, channel, revision: context.GIT_SHA, version } };
  } catch (e) {
    if (e instanceof ReleaseError) throw e;
    throw new ReleaseError((e as Error).message, `run nx run ${project}:pack again`, where);
  }
}

const sourceOf = (input: Pick<OciReleaseInput, 'source' | 'env' | 'workspaceRoot'>) => input.source ?? input.env.AMEIDE_OCI_SOURCE ?? sourceFromPackageJson(input.workspaceRoot);

/** The pointer tags' images now, dev's ancestry when it matters, and the pure pointer policy's decision for each. */
async function decidePointersNow(
  client: RegistryClient,
  repo: string,
  input: Pick<OciReleaseInput, 'context' | 'isAncestor'>,
  ours: OurImage,
  where: string,
): Promise<TagDecision[]> {
  const { context } = input;
  const tags = context.GHCR_TAGS.filter((t) => !isImmutableTag(t, ours));
  if (tags.length === 0) return [];
  const registryTags = await client.listTags(repo);
  const present = new Set(registryTags);
  const existing: Record<string, ImageFacts | null> = {};
  for (const tag of new Set(tags)) existing[tag] = present.has(tag) ? await readFacts(client, repo, tag) : null;
  const policyInput = { ours, tags, existing, registryTags, isHighestReleaseInGit: context.IS_HIGHEST_RELEASE };
  const question = devAncestryQuestion(policyInput);
  let devHoldsDescendant = false;
  if (question) {
    try {
      devHoldsDescendant = await input.isAncestor(context.GIT_SHA, question);
    } catch (e) {
      throw new ReleaseError(
        `cannot tell whether ${context.GIT_SHA} is an ancestor of ${question} (the commit dev points at): ${(e as Error).message}`,
        'fetch the full history (actions/checkout with fetch-depth: 0)',
        where,
      );
    }
  }
  return decidePointers({ ...policyInput, devHoldsDescendant });
}

const pointerRefusal = (refused: TagDecision[], image: string, where: string) =>
  new ReleaseError(
    refused.map((d) => `${image}:${d.tag}: ${d.reason}`).join('\n  '),
    'nothing was pushed; make the build reproducible, or remove the tag that was not made by this plugin',
    where,
  );

const where = (input: { project: string }) => `${input.project}:ghcr`;
const tagOf = (a: PlannedArtifact) => a.tags[0];

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
  const { build, contents, ours } = buildOurImage(input, input.manifests, first, channel, where(input));
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

/** Key signing with a key file: its path (COSIGN_KEY), or null (keyless, off, or a KMS URI, which is not checked here). */
function keyFileOf(mode: SignMode | 'unset', reg: OciRegistry): string | null {
  return mode === 'key' && reg.cosignKey && !/^[a-z0-9]+:\/\//.test(reg.cosignKey) ? reg.cosignKey : null;
}

/** Key signing with a COSIGN_KEY path that does not exist (a KMS URI is not checked here). */
function missingKey(mode: SignMode | 'unset', reg: OciRegistry): { problem: string; fix: string } | null {
  const keyFile = keyFileOf(mode, reg);
  if (!keyFile || existsSync(keyFile)) return null;
  return { problem: `COSIGN_KEY points at ${reg.cosignKey}, which does not exist`, fix: 'give the path of a cosign.key (cosign generate-key-pair) or a KMS URI' };
}

/**
 * Key signing with a key file that COSIGN_PASSWORD does not open: found by `cosign public-key`
 * (writes nothing, asks no registry; once per key per run: key-check.ts), so the run stops before
 * any upload, not after the push.
 */
async function keyWontOpen(mode: SignMode | 'unset', reg: OciRegistry, input: OciReleaseInput): Promise<{ problem: string; fix: string } | null> {
  const keyFile = keyFileOf(mode, reg);
  if (!keyFile) return null;
  const cosign = findTool('cosign', input.env, input.workspaceRoot);
  const answer = await keyOpens({ key: keyFile, password: reg.cosignPassword, cosign, env: { ...process.env, ...input.env }, workspaceRoot: input.workspaceRoot });
  return answer.opens ? null : wontOpen(keyFile, input.env, answer.said);
}

/** The refusal of a key its password does not open: names the variable, never its value. */
function wontOpen(key: string, env: Env, said: string): { problem: string; fix: string } {
  const source = credentialSource(env, 'COSIGN_PASSWORD');
  return {
    problem: `the cosign key ${key} does not open with the password in ${source} (cosign public-key: ${said})`,
    fix: `set ${source} to the password the key was made with (check: cosign public-key --key ${key}), or make a new pair with cosign generate-key-pair`,
  };
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
  return ociResult(oci, await publishFlow(ociSteps, oci, { dryRun: input.dryRun, ecosystem: oci.manifest.ecosystem }));
}

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

/**
 * The image's preflight, without writing: signing configured, the registry reachable in
 * bounded time, the credentials granted push on the repository, each immutable tag through the
 * one decision (held by another commit, or by other bytes of this one: a row naming both), and
 * no pointer the policy would refuse. Every finding, [] when ready.
 */
export async function ociChecks(input: OciReleaseInput & { timeoutMs: number }): Promise<Finding[]> {
  const { context } = input;
  const out: Finding[] = [];
  const channel = imageChannel(context);
  const manifests = input.manifests.filter((m) => !m.skipped && m.files.length > 0);
  if (!channel || manifests.length === 0) return out;
  const oci = ociPublishInput(input, { timeoutMs: input.timeoutMs });
  const { reg, client, repo } = oci;
  try {
    const mode = resolveSignMode(input.sign, reg, input.env);
    const keyProblem = missingKey(mode, reg);
    if (keyProblem) out.push({ check: 'guard', ...keyProblem });
    else {
      const opens = await keyWontOpen(mode, reg, input);
      if (opens) out.push({ check: 'credentials', ...opens });
    }
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  let planned: PlannedArtifact[];
  try {
    planned = plan(oci);
  } catch (e) {
    return [...out, findingOf('guard', e)];
  }
  const { ours } = buildOurImage(input, manifests, manifests[0], channel, where(input));
  try {
    await client.checkPush(repo);
  } catch (e) {
    if (e instanceof RegistryHttpError && (e.status === 401 || e.status === 403)) {
      const source = reg.password ? credentialSource(input.env, 'OCI_PASSWORD', 'GITHUB_TOKEN') : 'no OCI_USERNAME/OCI_PASSWORD or GITHUB_TOKEN';
      out.push({
        check: 'credentials',
        problem: `OCI registry ${reg.registry} refused push on ${repo} with the credentials in ${source} (HTTP ${e.status})`,
        fix: `check them with \`skopeo login ${reg.registry}\` (or docker login); set OCI_USERNAME + OCI_PASSWORD, or GITHUB_TOKEN with packages: write`,
      });
    } else {
      const timeout = networkCode(e) === 'ETIMEDOUT' || /ETIMEDOUT/.test((e as Error).message);
      out.push({
        check: 'destination',
        problem: `OCI registry ${reg.registry} ${timeout ? `did not answer within ${input.timeoutMs / 1000} s` : 'is not reachable'}: ${(e as Error).message}`,
        fix: 'check destinations.oci.registry (or AMEIDE_OCI_REGISTRY; docs/destinations.md), and AMEIDE_OCI_INSECURE for a plain-http sandbox',
      });
    }
    return out;
  }
  for (const artifact of planned) {
    const d = decide(context.GIT_SHA, heldUnder(tagOf(artifact), await readFacts(client, repo, tagOf(artifact)), ours));
    if (blocks(d)) {
      const e = refusal(artifact.id, artifact.registry, context.GIT_SHA, d);
      out.push({ check: 'version', problem: e.what, fix: e.fix });
    }
  }
  for (const d of await decidePointersNow(client, repo, input, ours, where(input))) {
    if (d.action === 'refuse') out.push({ check: 'version', problem: `${oci.image}:${d.tag}: ${d.reason}`, fix: 'make the build reproducible, or remove the tag that was not made by this plugin' });
  }
  return out;
}
