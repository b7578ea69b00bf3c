/** The OCI (`ghcr`) core: the executor calls ociRelease (the one publish flow with ociSteps); the rest is exported for reuse and tests. */
export { ociRelease, ociSteps, ociPublishInput, ociChecks, resolveSignMode, sourceFromPackageJson, type OciReleaseInput, type OciReleaseResult, type OciPublishInput } from './release';
export { buildImage, type ImageBuild, type ImageInput } from './image';
export { ociImageName, imageFiles, IMAGE_ROOT, type Contents } from './layout';
export { RegistryClient, RegistryHttpError, type RegistryClientOptions } from './registry';
export { decidePointers, heldUnder, imageChannel, type TagDecision, type ImageChannel } from './tags';
export { sign, verify, signCommand, verifyCommand, type SignMode } from './sign';
