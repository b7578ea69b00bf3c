import type { VersionContext } from '../version/types';
import type { Decision } from './decide';

/**
 * The contract every ecosystem adapter implements (src/ecosystems/<name>/), and the data that
 * flows through it. Outcomes are values, not exceptions: "already there" and "skipped" are
 * normal results. Exceptions are for real failures, and carry what, where and the fix.
 * This file names no ecosystem: adapters register by name in src/ecosystems/index.ts.
 */

/** An adapter's name, as in `options.ecosystem` and the pack manifest (npm, pypi, go, oci, ...). */
export type Ecosystem = string;

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

/**
 * One thing publish puts on a registry: an npm tarball, a wheel or sdist, a Go tag, an image
 * tag. `plan()` returns these (data, not prose); the dry-run prints them with the decision the
 * real run would take, and the real run executes exactly them (src/core/publish-flow.ts).
 */
export interface PlannedArtifact {
  /** How a consumer names it: `@scope/pkg@1.2.3`, `pkg==1.2.3 (pkg-1.2.3-py3-none-any.whl)`, `example.com/m@v1.2.3`, `repo:tag`. */
  id: string;
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** Where it goes, secrets redacted. */
  registry: string;
  /** tgz | wheel | sdist | go-tag | image */
  kind: string;
  /** The packed file (workspace-relative) and its sha256, when the artifact is a file. */
  file?: string;
  sha256?: string;
  /** npm dist-tag, Go tag, image tags: shown in the plan, recorded in the release manifest. */
  tags: string[];
}

/** What happened to one planned artifact. */
export interface ArtifactResult extends PlannedArtifact {
  outcome: 'published' | 'already-published';
}

export type PublishOutcome =
  | { status: 'published'; detail: string }
  | { status: 'already-published'; detail: string }
  | { status: 'skipped'; reason: string };

import type { Env } from '../destinations/registries';
import type { Held } from './decide';
import type { DestinationKind, Destinations } from '../destinations';

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
  /** The Nx project and its workspace-relative root (set by the pipeline, src/flow/task.ts). */
  project?: string;
  projectRoot?: string;
  /** The task's own target options as Nx gave them (ghcr's `sign`, smoke's `smokePackageManager`...): each adapter reads its own. */
  options?: Readonly<Record<string, unknown>>;
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
 * What an adapter publishes: a `package` adapter packs a project and publishes its own pack
 * (npm, PyPI, Go); an `image` adapter publishes an image made of a package's pack (OCI, the
 * `ghcr` target). The pipeline (src/flow/task.ts) picks the adapter by this, never by name.
 */
export type AdapterRole = 'package' | 'image';

/**
 * One ecosystem under the one flow. Dry-run is not an argument: the flow prints the plan and
 * never calls `upload` on a dry-run. `I` is the input the steps get: the shared PublishInput, or
 * what `input` derives from it once per task (OCI: its registry client, image name, signing mode).
 */
export interface EcosystemAdapter<I extends PublishInput = any> {
  ecosystem: Ecosystem;
  role: AdapterRole;
  /** The destination kind the pipeline resolves for it (once per task), or none (it reads its own options). */
  destination?: DestinationKind;
  /** package adapters: guards first (throw ReleaseError before writing anything), then a stamped temp copy, then artifacts in outDir. */
  pack?(input: PackInput): Promise<PackManifest>;
  /** package adapters: the version string its pack manifest must carry for this context (Go: a pseudo-version on dev). Pure. */
  version?(context: VersionContext, name: string): string;
  /** Runs one task's body (its re-check and its publish) in the adapter's per-task scope (OCI: one registry session). */
  scope?<T>(body: () => Promise<T>): Promise<T>;
  /** The steps' input, derived once per task from the shared one (default: the shared one). Reads and sends nothing. */
  input?(base: PublishInput, opts: { dryRun: boolean; timeoutMs?: number }): I;
  /**
   * Everything this ecosystem can check WITHOUT WRITING, all of it, not just the first
   * problem: its own source guards, its destination reachable within input.timeoutMs, its
   * credentials valid (an authenticated read, never an upload), and the version not held by
   * another SHA (core's heldFindings). The shared checks (context, artifacts, destinations,
   * the table) live in src/flow/preflight.ts; an adapter adds only what is its own. [] means ready.
   */
  checks(input: CheckInput): Promise<Finding[]>;
  /** The publish half under the one flow (src/core/publish-flow.ts). */
  steps: PublishSteps<I>;
  /** Where the task's result says it went (publish-result.json / ghcr-result.json). Pure. */
  describe?(input: I): { registry: string; tags: string[] };
  /** image adapters: the task's result record from the flow's (ghcr-result.json); null: nothing to record (a skip). */
  result?(input: I, flow: FlowResult): Promise<Record<string, unknown> | null>;
  /**
   * Install the published version outside the workspace as a consumer would; throws on failure.
   * Returns `{ skipped }` when this channel published nothing of it to install (Go on dev: the
   * module is only in the dev image), so the caller reports a skip, not a success.
   */
  smoke?(input: PublishInput): Promise<void | { skipped: string }>;
}

/**
 * The publish half of an adapter, driven by the one flow in src/core/publish-flow.ts. The flow checks
 * the channel (the pipeline checked the pack manifest: SHA, version, every sha256, once), asks `lookup` for every
 * planned artifact, decides with src/core/decide.ts, refuses before any upload when one artifact
 * is held by another commit, then calls `upload` for what is missing and `finish` once. An
 * adapter implements only what is its own: how to read, send and point.
 */
export interface PublishSteps<I extends PublishInput = PublishInput> {
  /**
   * Optional: why this project publishes nothing here although the channel publishes (Go on dev:
   * the module is only in the dev image). Pure. null/undefined: publish as planned.
   */
  skip?(input: I): string | null | undefined;
  /** What this project publishes here. Pure: no network, no files read beyond the manifest in `input`. */
  plan(input: I): PlannedArtifact[];
  /** What the registry holds for one artifact, and from which commit (read from the registry itself). */
  lookup(input: I, artifact: PlannedArtifact): Promise<Held>;
  /** Send one artifact. Throw `AlreadyThere` when the registry says it exists (a race): the flow looks again and decides. */
  upload(input: I, artifact: PlannedArtifact): Promise<void>;
  /**
   * After the uploads, also on a re-run (it completes an interrupted run): move the pointers that
   * move by design (npm dist-tags, the Go mirror branch, image alias tags) and sign. Returns log lines.
   * It may set each result's `tags` to what now points at it (npm: a late run leaves `dev` where it
   * is): the results are what publish-result.json and the release manifest record.
   */
  finish?(input: I, results: ArtifactResult[]): Promise<string[]>;
}

export interface PlannedDecision {
  artifact: PlannedArtifact;
  /** `unknown` only on a dry-run whose registry could not be read. */
  decision: Decision | { action: 'unknown'; reason: string };
}

export interface FlowResult {
  outcome: PublishOutcome;
  /** Every planned artifact with what happened to it (empty when skipped or on a dry-run). */
  artifacts: ArtifactResult[];
  /** The plan with its decisions (also on a dry-run). */
  plan: PlannedDecision[];
}
