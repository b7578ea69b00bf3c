import type { VersionContext } from '../version/types';

/**
 * One interface per ecosystem (npm, pypi, go, oci). Outcomes are values, not
 * exceptions: "already there" and "skipped" are normal results. Exceptions are
 * for real failures, and carry a message that says what, where and the fix.
 */
export type Ecosystem = 'npm' | 'pypi' | 'go';

export interface ArtifactFile {
  /** Path relative to the workspace root, e.g. dist/ameide_sdk_ts/ameideio-ameide-sdk-ts-0.1.0.tgz */
  file: string;
  sha256: string;
  /** wheel | sdist | tgz | go-info | go-mod | go-zip */
  kind: string;
}

/** Written by `pack` as dist/<project>/pack-manifest.json; read by publish, ghcr and smoke. */
export interface PackManifest {
  project: string; // Nx project name
  name: string; // package / module name as consumers see it
  ecosystem: Ecosystem;
  version: string; // the ecosystem's version string
  gitSha: string;
  channel: VersionContext['CHANNEL'];
  files: ArtifactFile[];
  /** Set when pack produced nothing on purpose (e.g. Go outside the release channel). */
  skipped?: string;
}

export type LookupResult =
  | { state: 'absent' }
  | { state: 'present'; gitSha: string | null };

export type PublishOutcome =
  | { status: 'published'; detail: string }
  | { status: 'already-published'; detail: string }
  | { status: 'skipped'; reason: string };
