import type { TargetConfiguration } from '@nx/devkit';
import type { BuiltInPackageEcosystem as Ecosystem } from '../ecosystems';
import { destinationsMetadata, pickKinds, type DestinationKind, type DestinationResolution } from '../destinations';

import { PLUGIN_NAME as PLUGIN, distDir } from '../names';

export { PLUGIN, distDir };

/** The Nx tag a project carries to opt in to releasing (project.json `tags` or package.json `nx.tags`). */
export const DEFAULT_RELEASE_TAG = 'ameide:release';

export interface ReleaseProject {
  root: string; // workspace-relative, e.g. packages/ameide_sdk_ts
  name: string; // Nx project name
  ecosystem: Ecosystem;
  /** The Nx tag that marks release projects (plugin option releaseTag); default DEFAULT_RELEASE_TAG. */
  releaseTag?: string;
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


/**
 * The publish order, as data (each line says why it stands there). `params: 'forward'` makes
 * flags given to the run (--allowBackport, --dry-run, --sign=off) reach the tasks a target
 * depends on: a backport's pack must compute the same context as its publish.
 */
export function releaseDependsOn(releaseTag: string = DEFAULT_RELEASE_TAG): Record<'pack' | 'preflight' | 'publish' | 'ghcr' | 'smoke', TargetConfiguration['dependsOn']> {
  const everyReleaseProject = `tag:${releaseTag}`;
  return {
    // The project's own Nx build (when it has one) and its workspace dependencies' builds run
    // first: the TS SDK compiles against configuration's dist/, which a cache hit on
    // configuration's pack would not restore. pack itself never rebuilds then. No params are
    // forwarded to build: a run-commands build would pass --allowBackport on to tsc.
    pack: ['build', '^build'],
    // Checks the packed artifacts: they must exist first.
    preflight: [{ target: 'pack', params: 'forward' }],
    publish: [
      { target: 'pack', params: 'forward' },
      // A package goes up after the workspace packages it depends on (consumers can install it at once).
      { target: 'publish', dependencies: true, params: 'forward' },
      // Every release project's preflight: one problem anywhere and Nx runs no publish at all.
      { target: 'preflight', projects: everyReleaseProject, params: 'forward' },
    ],
    // An image never exists for a package whose upload failed (the signature follows the push).
    ghcr: [{ target: 'publish', params: 'forward' }],
    // Consumers install only after everything of the run is published and pushed.
    smoke: [
      { target: 'publish', projects: everyReleaseProject, params: 'forward' },
      { target: 'ghcr', projects: everyReleaseProject, params: 'forward' },
    ],
  };
}

/** The inferred targets of one release project. Pure: createNodes runs on every nx command. */
export function releaseTargets(p: ReleaseProject): Record<string, TargetConfiguration> {
  const what = { npm: 'npm tarball', pypi: 'wheel + sdist', go: 'Go module (GOPROXY layout)' }[p.ecosystem];
  const options = { ecosystem: p.ecosystem };
  const dependsOn = releaseDependsOn(p.releaseTag);
  // preflight, publish, ghcr and smoke get the configured destinations as an option and show the resolved ones in their metadata.
  // Computed once per set of kinds (createNodes runs this for every project on every nx command).
  const dest = (kinds: DestinationKind[]) =>
    p.destinations
      ? { options: { ...options, destinations: pickKinds(p.destinations.config ?? {}, kinds) }, metadata: destinationsMetadata(p.destinations.resolution, kinds) }
      : { options, metadata: {} };
  const own = dest([p.ecosystem]);
  const withOci = dest([p.ecosystem, 'oci']);
  const oci = dest(['oci']);
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
      dependsOn: dependsOn.pack,
      inputs: ['production', '^production', CONTEXT_RUNTIME_INPUT],
      outputs: [`{workspaceRoot}/${distDir(p.name)}`],
      options,
      metadata: { description: `Pack the ${what} from a stamped temp copy into ${distDir(p.name)}/ (sources keep 0.0.0).` },
    },
    preflight: {
      executor: `${PLUGIN}:preflight`,
      cache: false,
      dependsOn: dependsOn.preflight,
      options: { ...withOci.options },
      metadata: {
        description:
          'Check, without writing, everything the publish needs: guards, packed artifacts (sha256), destination reachable, credentials valid, version not held by another SHA. Every publish waits for the preflight of every release project.',
        ...withOci.metadata,
      },
    },
    publish: {
      executor: `${PLUGIN}:publish`,
      cache: false,
      dependsOn: dependsOn.publish,
      options: { ...own.options },
      metadata: { description: `Publish the ${what} to its registry after every release project's preflight passed (idempotent per SHA; --dry-run prints the plan).`, ...own.metadata },
    },
    ghcr: {
      executor: `${PLUGIN}:ghcr`,
      cache: false,
      dependsOn: dependsOn.ghcr,
      options: { ...oci.options },
      metadata: { description: 'Push the packed artifacts as a reproducible OCI image, tagged per channel, signed with cosign; only after the package itself is published.', ...oci.metadata },
    },
    smoke: {
      executor: `${PLUGIN}:smoke`,
      cache: false,
      dependsOn: dependsOn.smoke,
      options: { ...own.options },
      metadata: { description: 'Install the published version from its registry outside the workspace, as a consumer would, and check it (after every publish and ghcr of the run).', ...own.metadata },
    },
  };
}
