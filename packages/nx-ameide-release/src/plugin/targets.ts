import type { TargetConfiguration } from '@nx/devkit';
import type { Ecosystem } from '../ecosystems/types';
import { destinationsMetadata, pickKinds, type DestinationKind, type DestinationResolution } from '../destinations';

export const PLUGIN = '@ameideio/nx-ameide-release';

/** The Nx tag a project carries to opt in to releasing (project.json `tags` or package.json `nx.tags`). */
export const DEFAULT_RELEASE_TAG = 'ameide:release';

export interface ReleaseProject {
  root: string; // workspace-relative, e.g. packages/ameide_sdk_ts
  name: string; // Nx project name
  ecosystem: Ecosystem;
  /** nx.json + the project's own destinations (the executors resolve them at run time, AMEIDE_* on top) and what they resolve to now. */
  destinations?: { config: unknown; resolution: DestinationResolution };
}

/**
 * The runtime input that ties `pack`'s cache key to the version context: the same SHA and
 * ref give the same digest on any machine (the context never reads the clock).
 */
export const CONTEXT_RUNTIME_INPUT = {
  runtime: 'node node_modules/@ameideio/nx-ameide-release/bin/nx-ameide-release.js context --format digest',
};

/** Where a project's artifacts go: dist/<project>/ (pack-manifest.json lists them). */
export function distDir(project: string): string {
  return `dist/${project}`;
}

/** The inferred targets of one release project. Pure: createNodes runs on every nx command. */
export function releaseTargets(p: ReleaseProject): Record<string, TargetConfiguration> {
  const what = { npm: 'npm tarball', pypi: 'wheel + sdist', go: 'Go module (GOPROXY layout)' }[p.ecosystem];
  const options = { ecosystem: p.ecosystem };
  // publish, ghcr and smoke get the configured destinations as an option and show the resolved ones in their metadata.
  const dest = (kinds: DestinationKind[]) =>
    p.destinations
      ? { options: { ...options, destinations: pickKinds(p.destinations.config ?? {}, kinds) }, metadata: destinationsMetadata(p.destinations.resolution, kinds) }
      : { options, metadata: {} };
  return {
    version: {
      executor: `${PLUGIN}:version`,
      cache: false,
      options,
      metadata: { description: 'Print the version context (channel and every ecosystem string) for this SHA and ref.' },
    },
    pack: {
      executor: `${PLUGIN}:pack`,
      cache: true,
      // The project's own Nx build (when it has one) and its workspace dependencies' builds run
      // first: the TS SDK compiles against configuration's dist/, which a cache hit on
      // configuration's pack would not restore. pack itself never rebuilds then.
      dependsOn: ['build', '^build'],
      inputs: ['production', '^production', CONTEXT_RUNTIME_INPUT],
      outputs: [`{workspaceRoot}/${distDir(p.name)}`],
      options,
      metadata: { description: `Pack the ${what} from a stamped temp copy into ${distDir(p.name)}/ (sources keep 0.0.0).` },
    },
    publish: {
      executor: `${PLUGIN}:publish`,
      cache: false,
      dependsOn: ['pack', '^publish'],
      options: dest([p.ecosystem]).options,
      metadata: { description: `Publish the ${what} to its registry (idempotent per SHA; --dry-run prints the plan).`, ...dest([p.ecosystem]).metadata },
    },
    ghcr: {
      executor: `${PLUGIN}:ghcr`,
      cache: false,
      dependsOn: ['pack'],
      options: dest(['oci']).options,
      metadata: { description: 'Push the packed artifacts as a reproducible OCI image, tagged per channel, signed with cosign.', ...dest(['oci']).metadata },
    },
    smoke: {
      executor: `${PLUGIN}:smoke`,
      cache: false,
      options: dest([p.ecosystem]).options,
      metadata: { description: 'Install the published version from its registry outside the workspace, as a consumer would, and check it.', ...dest([p.ecosystem]).metadata },
    },
  };
}
