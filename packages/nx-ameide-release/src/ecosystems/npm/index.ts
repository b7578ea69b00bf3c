import type { EcosystemAdapter } from '../../core/contract';
import { npmRegistry } from '../../destinations/registries';
import { packNpm } from './pack';
import { checksNpm, npmSteps, type NpmDeps } from './publish';
import { smokeNpm } from './smoke';

/**
 * npm: pack a stamped temp copy with `npm pack` (workspace: ranges rewritten as pnpm does),
 * publish the tarball with `npm publish` through a throwaway npmrc outside the workspace,
 * keep dist-tags moving forward only, and smoke-install it as a consumer would, with npm or pnpm
 * (smokePackageManager, default the workspace's package manager). Publishing goes through the
 * one flow (src/core/publish-flow.ts); `steps` is what is npm's own.
 */
export function createNpmEcosystem(deps: NpmDeps = {}): EcosystemAdapter {
  const steps = npmSteps(deps);
  return {
    ecosystem: 'npm',
    role: 'package',
    destination: 'npm',
    pack: (input) => packNpm(input),
    version: (context) => context.NPM_VERSION,
    checks: (input) => checksNpm(input, deps),
    steps,
    describe: (input) => ({ registry: npmRegistry(input.env, input.destinations).url, tags: [input.context.NPM_DIST_TAG] }),
    smoke: (input) => smokeNpm(input),
  };
}

export const npmEcosystem: EcosystemAdapter = createNpmEcosystem();

export { packNpm, buildStep, npmPackCommand, sha256File } from './pack';
export { guardSourceManifest, stampManifest, registryVersion, PLACEHOLDER_VERSION } from './manifest';
export { rewriteWorkspaceSpec, rewriteWorkspaceRanges, findWorkspacePackages, parseWorkspaceGlobs } from './workspace';
export { planDistTags, publishTag, TEMP_TAG_PREFIX } from './dist-tags';
export { npmSteps, heldIn } from './publish';
export type { IsAncestor, NpmDeps } from './publish';
