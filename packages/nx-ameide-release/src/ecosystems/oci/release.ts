import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ReleaseError } from '../../errors';
import { findTool } from '../../tools';
import { ociRegistry, type Env, type OciRegistry } from '../../registries';
import type { Destinations } from '../../destinations';
import { readRepositoryUrl } from '../../destination-facts';
import type { VersionContext } from '../../version/types';
import type { Finding, Log, PackManifest } from '../types';
import { credentialSource } from '../../credentials';
import { findingOf } from '../../findings';
import { networkCode } from '../../net';
import { buildImage, LABEL_CHANNEL, LABEL_PROJECT, OCI_CREATED, OCI_REVISION, OCI_SOURCE, OCI_TITLE, OCI_VERSION, type ImageBuild } from './image';
import { imageFiles, ociImageName, type Contents } from './layout';
import { RegistryClient, RegistryHttpError } from './registry';
import { attestImage, attestPackages, imageSbom, type AttestationResult } from './attest';
import { sign, signatureTag, type SignMode } from './sign';
import { decideTags, devAncestryQuestion, imageChannel, type ImageChannel, type ImageFacts, type OurImage, type TagDecision } from './tags';

/**
 * `ghcr`: the project's packed artifacts as one reproducible OCI image, pushed over the
 * distribution API, tagged per channel, signed by digest. The steps, in order:
 *
 *   1. guards        bad input and missing signing config fail before any network or write
 *   2. build         the image in memory from dist/ (same SHA => same digest)
 *   3. dry-run stop  print image, digest and tags
 *   4. preflight     registry answers, credentials accepted
 *   5. facts         tag list, the image under each tag, dev ancestry
 *   6. decide        the pure tag policy (tags.ts); any refusal fails here, nothing written yet
 *   7. push          blobs (HEAD first, skip what exists), then the manifest once per tag to write
 *   8. sign          the digest, unless it is already signed or nothing was tagged
 *   3b. sbom         the project's CycloneDX SBOM (attest.ts), before anything is written
 *   9. attest        SLSA provenance and the SBOM of the digest (attest.ts), signed as the signature is
 *  10. attest files  the same evidence per packed file (cosign attest-blob bundles in dist/release/<project>/)
 */

export interface OciReleaseInput {
  project: string; // Nx project name
  manifests: PackManifest[]; // read from dist/<project>/pack-manifest.json
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

export interface OciReleaseResult {
  status: 'pushed' | 'unchanged' | 'dry-run' | 'skipped';
  reason?: string;
  image: string; // registry/namespace/name
  digest: string;
  ref: string; // image@digest
  channel: ImageChannel | null;
  decisions: TagDecision[];
  tagsPushed: string[];
  tagsUnchanged: string[];
  tagsSkipped: { tag: string; reason: string }[];
  blobsUploaded: number;
  blobsSkipped: number;
  signature: 'signed' | 'already-signed' | 'off' | 'not-needed' | 'dry-run';
  /** The evidence attached to the digest (none when signing is off or nothing was tagged). */
  attestations: AttestationResult[];
  contents?: Contents;
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

/** The facts a tag's image carries, from manifest annotations, else config labels. */
export async function readFacts(client: RegistryClient, repo: string, tag: string): Promise<ImageFacts | null> {
  const m = await client.getManifest(repo, tag);
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

/** Step 2: the image in memory from dist/ (same SHA => same digest). */
function buildOurImage(
  input: OciReleaseInput,
  manifests: PackManifest[],
  first: PackManifest,
  channel: ImageChannel,
  where: string,
): { build: ImageBuild; contents: Contents; ourVersion: string } {
  const { project, context } = input;
  const ourVersion = channel === 'dev' ? first.version : context.RELEASE_TAG.replace(/^v/, '') || first.version;
  try {
    const { files, contents } = imageFiles(project, manifests, (f) => readFileSync(isAbsolute(f) ? f : join(input.workspaceRoot, f)));
    const source = input.source ?? input.env.AMEIDE_OCI_SOURCE ?? sourceFromPackageJson(input.workspaceRoot);
    const annotations: Record<string, string> = {
      [OCI_CREATED]: new Date(Date.parse(context.COMMIT_TIME)).toISOString().replace('.000Z', 'Z'),
      [OCI_REVISION]: context.GIT_SHA,
      [OCI_VERSION]: ourVersion,
      [OCI_TITLE]: first.name,
      [LABEL_CHANNEL]: channel,
      [LABEL_PROJECT]: project,
    };
    if (source) annotations[OCI_SOURCE] = source;
    return { build: buildImage({ files, annotations, created: context.COMMIT_TIME }), contents, ourVersion };
  } catch (e) {
    if (e instanceof ReleaseError) throw e;
    throw new ReleaseError((e as Error).message, `run nx run ${project}:pack again`, where);
  }
}

/** Steps 5-6: the tags' images now, and the pure tag policy's decision for each (refusals included). */
async function decideAgainstRegistry(client: RegistryClient, repo: string, input: OciReleaseInput, ours: OurImage, where: string): Promise<TagDecision[]> {
  const { context } = input;
  const registryTags = await client.listTags(repo);
  const present = new Set(registryTags);
  const existing: Record<string, ImageFacts | null> = {};
  for (const tag of new Set(context.GHCR_TAGS)) existing[tag] = present.has(tag) ? await readFacts(client, repo, tag) : null;
  const policyInput = { ours, tags: context.GHCR_TAGS, existing, registryTags, isHighestReleaseInGit: context.IS_HIGHEST_RELEASE };
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
  return decideTags({ ...policyInput, devHoldsDescendant });
}

export async function ociRelease(input: OciReleaseInput): Promise<OciReleaseResult> {
  const { project, context, log } = input;
  const where = `${project}:ghcr`;

  // 1. guards
  const manifests = input.manifests.filter((m) => !m.skipped && m.files.length > 0);
  const reg = ociRegistry(input.env, input.destinations);
  const channel = imageChannel(context);
  const first = manifests[0] ?? input.manifests[0];
  const name = input.imageName ?? (first ? ociImageName(first.name) : ociImageName(project));
  const repo = `${reg.namespace}/${name}`;
  const image = `${reg.registry}/${repo}`;
  const empty = (status: 'skipped', reason: string): OciReleaseResult => {
    log(`ghcr: ${image}: skipped (${reason})`);
    return {
      status, reason, image, digest: '', ref: '', channel, decisions: [], tagsPushed: [], tagsUnchanged: [], tagsSkipped: [],
      blobsUploaded: 0, blobsSkipped: 0, signature: 'not-needed', attestations: [],
    };
  };
  if (!channel) return empty('skipped', `channel ${context.CHANNEL} publishes no images`);
  if (manifests.length === 0) return empty('skipped', input.manifests[0]?.skipped ?? 'pack produced no artifacts');
  for (const m of manifests) {
    if (m.gitSha !== context.GIT_SHA)
      throw new ReleaseError(
        `dist/${project}/pack-manifest.json was packed from ${m.gitSha}, but HEAD is ${context.GIT_SHA}`,
        `run pack again (nx run ${project}:pack --skip-nx-cache)`,
        where,
      );
    for (const f of m.files) {
      const abs = isAbsolute(f.file) ? f.file : join(input.workspaceRoot, f.file);
      if (!existsSync(abs)) throw new ReleaseError(`${f.file} listed in the pack manifest is missing`, `run nx run ${project}:pack`, where);
    }
  }
  if (context.GHCR_TAGS.length === 0) return empty('skipped', 'the version context lists no GHCR tags');
  let signMode: SignMode | 'unset';
  try {
    signMode = resolveSignMode(input.sign, reg, input.env);
  } catch (e) {
    if (!input.dryRun) throw e;
    signMode = 'unset';
  }
  if (signMode === 'key' && reg.cosignKey && !/^[a-z0-9]+:\/\//.test(reg.cosignKey) && !existsSync(reg.cosignKey))
    throw new ReleaseError(`COSIGN_KEY points at ${reg.cosignKey}, which does not exist`, 'give the path of a cosign.key (cosign generate-key-pair) or a KMS URI', where);
  // Signing comes right after the push: a missing cosign must stop the run before it, not leave an unsigned image.
  const toolEnv = { ...process.env, ...input.env };
  let cosign = '';
  if (signMode === 'key' || signMode === 'keyless') {
    try {
      cosign = findTool('cosign', toolEnv, input.workspaceRoot);
    } catch (e) {
      if (!input.dryRun) throw e;
      log(`ghcr: [dry-run] ${(e as Error).message.replace(/\n\s*fix:/, '; fix:')} (a real run stops here, before any push)`);
    }
  }

  // 2. build
  const source = input.source ?? input.env.AMEIDE_OCI_SOURCE ?? sourceFromPackageJson(input.workspaceRoot);
  const { build, contents, ourVersion } = buildOurImage(input, manifests, first, channel, where);
  const digest = build.manifest.digest;
  const ref = `${image}@${digest}`;
  const ours: OurImage = { digest, channel, revision: context.GIT_SHA, version: ourVersion };
  log(`ghcr: ${ref}`);
  log(`ghcr: ${contents.files.length} file(s) under /ameide/${project}/, layer ${build.layer.digest} (${build.layer.size} bytes)`);

  const base: Omit<OciReleaseResult, 'status' | 'decisions' | 'tagsPushed' | 'tagsUnchanged' | 'tagsSkipped' | 'signature'> = {
    image, digest, ref, channel, blobsUploaded: 0, blobsSkipped: 0, contents, attestations: [],
  };

  // 3. dry-run stop
  if (input.dryRun) {
    log(`ghcr: [dry-run] would push ${image} tags ${context.GHCR_TAGS.join(', ')} (each checked against the registry's tag policy)`);
    log(`ghcr: [dry-run] signing: ${signMode === 'unset' ? 'not configured (a real run fails: set COSIGN_KEY or pass --sign=off)' : signMode}`);
    return { ...base, status: 'dry-run', decisions: [], tagsPushed: [], tagsUnchanged: [], tagsSkipped: [], signature: 'dry-run' };
  }

  // 3b. sbom
  const attesting = signMode === 'key' || signMode === 'keyless';
  const sbom = attesting && input.projectRoot
    ? await imageSbom({ workspaceRoot: input.workspaceRoot, projectRoot: input.projectRoot, project, manifest: first, context, env: toolEnv as NodeJS.ProcessEnv, log })
    : undefined;

  // 4. preflight
  const client = new RegistryClient({ registry: reg.registry, insecure: reg.insecure, username: reg.username, password: reg.password });
  try {
    await client.ping();
  } catch (e) {
    const auth = e instanceof RegistryHttpError && (e.status === 401 || e.status === 403);
    throw new ReleaseError(
      `registry ${reg.registry} ${auth ? 'refused the credentials' : 'is not reachable'}: ${(e as Error).message}`,
      auth ? 'set OCI_USERNAME/OCI_PASSWORD (or GITHUB_TOKEN with packages: write)' : 'check destinations.oci.registry (docs/destinations.md; AMEIDE_OCI_REGISTRY overrides it), and AMEIDE_OCI_INSECURE for a plain-http sandbox',
      where,
    );
  }

  // 5. facts, 6. decide
  const decisions = await decideAgainstRegistry(client, repo, input, ours, where);
  for (const d of decisions) log(`ghcr: ${d.tag}: ${d.action}${'code' in d ? ` (${d.code})` : ''}: ${d.reason}`);
  const refused = decisions.filter((d) => d.action === 'refuse');
  if (refused.length)
    throw new ReleaseError(
      refused.map((d) => `tag ${d.tag}: ${d.reason}`).join('\n  '),
      'nothing was pushed; make the build reproducible, or release a new version instead of re-tagging',
      where,
    );
  const toWrite = decisions.filter((d) => d.action === 'create' || d.action === 'move').map((d) => d.tag);
  const tagsUnchanged = decisions.filter((d) => d.action === 'unchanged').map((d) => d.tag);
  const tagsSkipped = decisions.flatMap((d) => (d.action === 'skip' ? [{ tag: d.tag, reason: `${d.code}: ${d.reason}` }] : []));

  // 7. push
  const pushed: string[] = [];
  try {
    if (toWrite.length) {
      await client.uploadBlob(repo, build.layer.digest, build.layer.bytes);
      await client.uploadBlob(repo, build.config.digest, build.config.bytes);
      for (const tag of toWrite) {
        const got = await client.putManifest(repo, tag, build.manifest.bytes, build.manifest.mediaType);
        if (got !== digest) throw new Error(`registry stored ${repo}:${tag} as ${got}, expected ${digest}`);
        pushed.push(tag);
        log(`ghcr: pushed ${image}:${tag}`);
      }
    }
  } catch (e) {
    // Per tag, what the registry holds now: the same command pushes the rest (blobs already there are not sent again).
    const rest = toWrite.filter((t) => !pushed.includes(t));
    log(`ghcr: push failed; ${image}: tags on ${digest}: ${[...tagsUnchanged, ...pushed].join(', ') || 'none'}; not pushed: ${rest.join(', ')}; not signed yet`);
    log('ghcr: run the same command again on this commit to push and sign the rest');
    throw e;
  }

  // 8. sign
  let signature: OciReleaseResult['signature'] = 'not-needed';
  const reachable = toWrite.length + tagsUnchanged.length > 0;
  if (signMode === 'off') signature = 'off';
  else if (reachable && signMode !== 'unset') {
    if (await client.getManifest(repo, signatureTag(digest))) signature = 'already-signed';
    else {
      await sign(
        { ref, insecure: reg.insecure },
        signMode,
        { registry: reg.registry, username: reg.username, password: reg.password },
        { key: reg.cosignKey, password: reg.cosignPassword },
        { cosign, env: toolEnv as NodeJS.ProcessEnv },
      );
      signature = 'signed';
    }
    log(`ghcr: signature of ${digest}: ${signature}`);
  }

  // 9. attest
  let attestations: AttestationResult[] = [];
  if (reachable && (signMode === 'key' || signMode === 'keyless')) {
    attestations = await attestImage({
      sbom,
      client, repo, ref, insecure: reg.insecure, mode: signMode,
      auth: { registry: reg.registry, username: reg.username, password: reg.password },
      key: { key: reg.cosignKey, password: reg.cosignPassword },
      cosign, env: toolEnv as NodeJS.ProcessEnv, workspaceRoot: input.workspaceRoot, log,
      provenance: { image, digest, project, context, source, artifacts: manifests.flatMap((m) => m.files), env: input.env },
    });
  }

  // 10. attest files (published already: publish runs before ghcr)
  if (signMode === 'key' || signMode === 'keyless') {
    attestations.push(...(await attestPackages({
      workspaceRoot: input.workspaceRoot, project, context, source, manifests, mode: signMode, sbom,
      key: { key: reg.cosignKey, password: reg.cosignPassword }, cosign, env: toolEnv as NodeJS.ProcessEnv, provenanceEnv: input.env, log,
    })));
  }

  const status = toWrite.length ? 'pushed' : reachable ? 'unchanged' : 'skipped';
  return {
    ...base,
    status,
    reason: status === 'skipped' ? 'every tag was skipped by the tag policy' : undefined,
    decisions,
    tagsPushed: toWrite,
    tagsUnchanged,
    tagsSkipped,
    blobsUploaded: client.stats.blobsUploaded,
    blobsSkipped: client.stats.blobsSkipped,
    signature,
    attestations,
  };
}

/**
 * The image's preflight, without writing: signing configured, the registry reachable in
 * bounded time, the credentials granted push on the repository, and no tag the policy would
 * refuse (a version tag holding another digest). Every finding, [] when ready.
 */
export async function ociChecks(input: OciReleaseInput & { timeoutMs: number }): Promise<Finding[]> {
  const { project, context } = input;
  const where = `${project}:ghcr`;
  const out: Finding[] = [];
  const manifests = input.manifests.filter((m) => !m.skipped && m.files.length > 0);
  const channel = imageChannel(context);
  if (!channel || manifests.length === 0 || context.GHCR_TAGS.length === 0) return out;
  const reg = ociRegistry(input.env, input.destinations);
  try {
    const mode = resolveSignMode(input.sign, reg, input.env);
    if (mode === 'key' && reg.cosignKey && !/^[a-z0-9]+:\/\//.test(reg.cosignKey) && !existsSync(reg.cosignKey)) {
      out.push({ check: 'guard', problem: `COSIGN_KEY points at ${reg.cosignKey}, which does not exist`, fix: 'give the path of a cosign.key (cosign generate-key-pair) or a KMS URI' });
    }
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  const first = manifests[0];
  const repo = `${reg.namespace}/${input.imageName ?? ociImageName(first.name)}`;
  const { build, ourVersion } = buildOurImage(input, manifests, first, channel, where);
  const client = new RegistryClient({
    registry: reg.registry,
    insecure: reg.insecure,
    username: reg.username,
    password: reg.password,
    timeoutMs: input.timeoutMs,
    retry: { attempts: 1 },
  });
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
  const ours: OurImage = { digest: build.manifest.digest, channel, revision: context.GIT_SHA, version: ourVersion };
  for (const d of await decideAgainstRegistry(client, repo, input, ours, where)) {
    if (d.action === 'refuse') {
      out.push({ check: 'version', problem: `${reg.registry}/${repo}:${d.tag}: ${d.reason}`, fix: 'make the build reproducible, or release a new version instead of re-tagging' });
    }
  }
  return out;
}
