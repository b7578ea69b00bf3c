import type { Destinations, DestinationKind } from '../destinations';
import type { Env } from '../destinations/registries';

/**
 * Reading back from a registry which commit each artifact was built from: the one small
 * interface `nx-ameide-release trace` asks every ecosystem through. Each ecosystem answers from
 * the registry itself (npm: the packument's gitHead; PyPI: the SHA in the files' metadata; Go:
 * the mirror tag's Source-SHA trailer; OCI: the org.opencontainers.image.revision label).
 */
export interface TracedArtifact {
  ecosystem: DestinationKind;
  project: string;
  /** Package, module, or image (registry/namespace/name). */
  name: string;
  version: string;
  /** The commit the registry records; null when the artifact records none. */
  gitSha: string | null;
  registry: string;
  /** npm dist-tags, the Go tag, image tags. */
  tags: string[];
  /** PyPI: the file. */
  file?: string;
  /** OCI: the manifest digest. */
  digest?: string;
}

/** One release project's artifacts of one kind, where its destinations say they are. */
export interface TraceTarget {
  workspaceRoot: string;
  project: string;
  /** Package name / module path / the image's package name (ociImageName of it is the image). */
  name: string;
  destinations: Destinations;
  env: Env;
}

export interface RegistryTrace {
  kind: DestinationKind;
  /** Every artifact of the target on its registry with the SHA it records; `version` narrows to one version (OCI: one tag). */
  list(target: TraceTarget, version?: string): Promise<TracedArtifact[]>;
}
