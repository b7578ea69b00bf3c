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
  /** wheel | sdist | tgz | go-info | go-mod | go-zip | go-list */
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

import type { Env } from '../registries';
import type { Destinations } from '../destinations';

export type Log = (line: string) => void;

export interface PackInput {
  workspaceRoot: string; // absolute
  projectRoot: string; // workspace-relative, e.g. packages/ameide_sdk_ts
  project: string; // Nx project name (dist/<project>/)
  context: VersionContext;
  outDir: string; // absolute path of dist/<project>; created and emptied by the caller
  log: Log;
  /**
   * The project has an Nx `build` target, which `pack` depends on: its output is already there
   * and must not be rebuilt here (a rebuild clears dist/ while dependants compile against it).
   */
  builtByNx?: boolean;
}

export interface PublishInput {
  workspaceRoot: string;
  manifest: PackManifest; // as read from dist/<project>/pack-manifest.json
  context: VersionContext;
  /** Where this project publishes, resolved by resolveDestinations (nx.json, the project, AMEIDE_* variables). */
  destinations: Destinations;
  env: Env;
  log: Log;
  /** npm smoke only: npm | pnpm; default AMEIDE_SMOKE_PACKAGE_MANAGER, else the workspace's (Nx detection). */
  smokePackageManager?: string;
}

/** What a preflight check looked at: the rows of the preflight table are grouped by it. */
export type CheckKind = 'guard' | 'artifact' | 'destination' | 'credentials' | 'version';

/**
 * One problem a check found, with a fix that works as printed. Never carries a secret:
 * name the variable that holds it (NPM_TOKEN, PYPI_PASSWORD_FILE...), never its value.
 */
export interface Finding {
  check: CheckKind;
  problem: string;
  fix: string;
}

/**
 * What an ecosystem's checks get: the publish input, with the manifest null when pack left
 * none (the artifact check reports that; the source guards and the destination still run).
 */
export interface CheckInput extends Omit<PublishInput, 'manifest'> {
  projectRoot: string; // workspace-relative
  project: string;
  manifest: PackManifest | null;
  /** Bounded time for every network probe of the check, in ms. */
  timeoutMs: number;
}

/**
 * The contract every ecosystem implements. Dry-run is not an argument: the executor
 * prints plan() and never calls publish() when dry-run is on.
 */
export interface EcosystemAdapter {
  ecosystem: Ecosystem;
  /** Guards first (throw ReleaseError before writing anything), then a stamped temp copy, then artifacts in outDir. */
  pack(input: PackInput): Promise<PackManifest>;
  /** Human lines: each artifact, destination, version, tag. Pure (no network). */
  plan(input: PublishInput): string[];
  /**
   * Everything this ecosystem can check WITHOUT WRITING, all of it, not just the first
   * problem: its own source guards, its destination reachable within input.timeoutMs, its
   * credentials valid (an authenticated read, never an upload), and the version not held by
   * another SHA (lookup). The shared checks (context, artifacts, the table) live in
   * src/flow/preflight.ts; an adapter adds only what is its own. [] means ready to publish.
   */
  checks(input: CheckInput): Promise<Finding[]>;
  lookup(input: PublishInput): Promise<LookupResult>;
  /** Idempotent: same version from same SHA -> already-published; from another SHA -> ReleaseError naming both. */
  publish(input: PublishInput): Promise<PublishOutcome>;
  /**
   * Install the published version outside the workspace as a consumer would; throws on failure.
   * Returns `{ skipped }` when this channel published nothing of it to install (Go on dev: the
   * module is only in the dev image), so the caller reports a skip, not a success.
   */
  smoke(input: PublishInput): Promise<void | { skipped: string }>;
}
