import type { EcosystemAdapter } from '../types';
import { packNpm } from './pack';
import { checksNpm, lookupNpm, planNpm, publishNpm, type NpmDeps } from './publish';
import { smokeNpm } from './smoke';

/**
 * npm: pack a stamped temp copy with `npm pack` (workspace: ranges rewritten as pnpm does),
 * publish the tarball with `npm publish` through a throwaway npmrc outside the workspace,
 * keep dist-tags moving forward only, and smoke-install it as a consumer would, with npm or pnpm
 * (smokePackageManager, default the workspace's package manager).
 */
export function createNpmEcosystem(deps: NpmDeps = {}): EcosystemAdapter {
  return {
    ecosystem: 'npm',
    pack: (input) => packNpm(input),
    plan: (input) => planNpm(input),
    checks: (input) => checksNpm(input, deps),
    lookup: (input) => lookupNpm(input, deps),
    publish: (input) => publishNpm(input, deps),
    smoke: (input) => smokeNpm(input),
  };
}

export const npmEcosystem: EcosystemAdapter = createNpmEcosystem();

export { packNpm, buildStep, npmPackCommand, sha256File } from './pack';
export { guardSourceManifest, stampManifest, registryVersion, PLACEHOLDER_VERSION } from './manifest';
export { rewriteWorkspaceSpec, rewriteWorkspaceRanges, findWorkspacePackages, parseWorkspaceGlobs } from './workspace';
export { planDistTags, publishTag, TEMP_TAG_PREFIX } from './dist-tags';
export type { IsAncestor, NpmDeps } from './publish';
