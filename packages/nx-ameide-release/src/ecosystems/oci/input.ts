import { ReleaseError } from '../../errors';
import { type Env, type OciRegistry } from '../../destinations/registries';
import type { Destinations } from '../../destinations';
import { readRepositoryUrl } from '../../destinations/facts';
import type { VersionContext } from '../../version/types';
import type { ArtifactResult, Log, PackManifest, PlannedArtifact, PublishInput } from '../../core/contract';
import { type PlannedDecision } from '../../core/publish-flow';
import { type ImageBuild } from './image';
import type { Contents } from './layout';
import { RegistryClient } from './registry';
import { type AttestationResult } from './attest';
import { type SignMode } from './sign';
import { type ImageChannel, type ImageFacts, type OurImage, type TagDecision } from './tags';

/** The image task's input and result types, the signing mode, and the names every OCI module shares. */

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
export interface Ready {
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

export const sourceOf = (input: Pick<OciReleaseInput, 'source' | 'env' | 'workspaceRoot'>) => input.source ?? input.env.AMEIDE_OCI_SOURCE ?? sourceFromPackageJson(input.workspaceRoot);

export const where = (input: { project: string }) => `${input.project}:ghcr`;

export const tagOf = (a: PlannedArtifact) => a.tags[0];
