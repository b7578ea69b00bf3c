import type { CheckInput, EcosystemAdapter, PublishInput } from '../../core/contract';
import { isAncestor } from '../../git';
import { ociChecks } from './checks';
import type { OciPublishInput, OciReleaseInput } from './input';
import { inRegistrySession } from './registry';
import { ociPublishInput, ociSteps } from './release';
import { ociResult } from './result';
import type { SignMode } from './sign';

/**
 * OCI: the project's packed artifacts as one reproducible image (the `ghcr` target), under the
 * same contract as the package adapters, in the role `image`: it publishes an image of any
 * package's pack manifest. Split by job: input.ts (types, signing mode), guards.ts (the signing
 * guards shared by the publish and the checks), ours.ts (the image, built once per task),
 * facts.ts (what a tag's image says: read by gitops and trace too), release.ts (the four steps),
 * result.ts (ghcr-result.json), checks.ts (its preflight).
 */
function releaseInput(base: PublishInput | CheckInput, dryRun: boolean): OciReleaseInput {
  return {
    project: base.project ?? base.manifest?.project ?? '',
    projectRoot: base.projectRoot,
    manifests: base.manifest ? [base.manifest] : [],
    workspaceRoot: base.workspaceRoot,
    context: base.context,
    destinations: base.destinations,
    env: base.env,
    isAncestor: (a, b) => isAncestor(base.workspaceRoot, a, b),
    dryRun,
    log: base.log,
    sign: base.options?.sign as SignMode | undefined,
  };
}

export const ociEcosystem: EcosystemAdapter<OciPublishInput> = {
  ecosystem: 'oci',
  role: 'image',
  destination: 'oci',
  scope: inRegistrySession,
  input: (base, { dryRun }) => ociPublishInput(releaseInput(base, dryRun)),
  checks: (input) => ociChecks({ ...releaseInput(input, false), timeoutMs: input.timeoutMs }),
  steps: ociSteps,
  describe: (oci) => ({ registry: oci.reg.registry, tags: [] }),
  async result(oci, flow) {
    const r = await ociResult(oci, flow);
    if (r.status === 'dry-run' || r.status === 'skipped') return null;
    // What the release manifest reads (src/release-manifest): image, digest, tags (pushed + unchanged), signature.
    return { project: oci.project, version: oci.manifest.version, gitSha: oci.context.GIT_SHA, registry: oci.reg.registry, ...r, plan: undefined, contents: undefined };
  },
};

export { ociRelease, ociSteps, ociPublishInput } from './release';
export { ociChecks } from './checks';
export { ociResult } from './result';
export { readFacts } from './facts';
export { resolveSignMode, sourceFromPackageJson, type OciReleaseInput, type OciReleaseResult, type OciPublishInput } from './input';
export { buildImage, type ImageBuild, type ImageInput } from './image';
export { ociImageName, imageFiles, IMAGE_ROOT, type Contents } from './layout';
export { RegistryClient, RegistryHttpError, type RegistryClientOptions } from './registry';
export { decidePointers, heldUnder, imageChannel, type TagDecision, type ImageChannel } from './tags';
export { sign, verify, signCommand, verifyCommand, type SignMode } from './sign';
