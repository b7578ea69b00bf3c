import { basename } from 'node:path';
import type { VersionContext } from '../version/types';

/**
 * SLSA v1 provenance (https://slsa.dev/spec/v1.0/provenance) of one image: an in-toto v1
 * statement whose subject is the image digest, built from the version context and the
 * environment only. No clock is read: the same SHA, ref and environment give the same bytes
 * (the commit time is in the parameters; runDetails.metadata carries no start/finish time).
 */

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** What "build" means here: docs/evidence.md describes the parameters under this type. */
export const OCI_BUILD_TYPE = 'https://github.com/ameideio/nx-ameide-release/blob/main/docs/evidence.md#build-type-oci-image-v1';
/** A package file (npm tarball, wheel, sdist, Go module zip/mod/info) packed from the source: its own statement. */
export const PACKAGE_BUILD_TYPE = 'https://github.com/ameideio/nx-ameide-release/blob/main/docs/evidence.md#build-type-package-v1';
/** The builder of a run outside GitHub Actions (a developer or the sandbox): nothing vouches for it. */
export const LOCAL_BUILDER = 'urn:ameide:nx-ameide-release:local';

export interface ResourceDescriptor {
  uri?: string;
  name?: string;
  digest: Record<string, string>;
}

export interface ProvenanceStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: {
        source: { uri?: string; ref: string; digest: { gitCommit: string } };
        project: string;
        /** The package a package file belongs to (package statements only). */
        package?: { name: string; ecosystem: string; version: string };
        /** The version context of the run (channel, versions, tags, commit time). */
        version: VersionContext;
      };
      resolvedDependencies: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string };
      metadata?: { invocationId: string };
    };
  };
}

export interface ProvenanceInput {
  image: string; // registry/namespace/name
  digest: string; // sha256:<hex>
  project: string;
  context: VersionContext;
  /** The repository URL (https://github.com/owner/repo); absent when nothing names it. */
  source?: string;
  /** The packed artifacts inside the image, as the pack manifest lists them. */
  artifacts: { file: string; sha256: string }[];
  env: Record<string, string | undefined>;
}

/** The repository URL a run names: the caller's, else GitHub Actions' own. */
export function sourceUri(source: string | undefined, env: Record<string, string | undefined>): string | undefined {
  if (source) return source;
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY) return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}`;
  return undefined;
}

/** builder.id and invocationId: the workflow file at its ref in GitHub Actions, else the local builder. */
export function runDetails(env: Record<string, string | undefined>): ProvenanceStatement['predicate']['runDetails'] {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  if (env.GITHUB_ACTIONS !== 'true' || !env.GITHUB_WORKFLOW_REF) return { builder: { id: LOCAL_BUILDER } };
  const details: ProvenanceStatement['predicate']['runDetails'] = { builder: { id: `${server}/${env.GITHUB_WORKFLOW_REF}` } };
  if (env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    details.metadata = { invocationId: `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}` };
  }
  return details;
}

/** One statement of the given subject and build type; the source, context and builder as every statement names them. */
function statement(
  subject: { name: string; sha256: string },
  buildType: string,
  input: { project: string; context: VersionContext; source?: string; env: Record<string, string | undefined> },
  extra: { package?: { name: string; ecosystem: string; version: string }; dependencies: ResourceDescriptor[] },
): ProvenanceStatement {
  const { context } = input;
  const uri = sourceUri(input.source, input.env);
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType,
        externalParameters: {
          source: { ...(uri ? { uri } : {}), ref: context.REF, digest: { gitCommit: context.GIT_SHA } },
          project: input.project,
          ...(extra.package ? { package: extra.package } : {}),
          version: context,
        },
        resolvedDependencies: [{ ...(uri ? { uri: `git+${uri}@${context.REF}` } : {}), digest: { gitCommit: context.GIT_SHA } }, ...extra.dependencies],
      },
      runDetails: runDetails(input.env),
    },
  };
}

export function provenanceStatement(input: ProvenanceInput): ProvenanceStatement {
  const m = /^sha256:([0-9a-f]{64})$/.exec(input.digest);
  if (!m) throw new Error(`provenance needs an image digest sha256:<hex>, got '${input.digest}'`);
  return statement({ name: input.image, sha256: m[1] }, OCI_BUILD_TYPE, input, {
    dependencies: input.artifacts.map((a) => ({ name: basename(a.file), digest: { sha256: a.sha256 } })),
  });
}

export interface PackageProvenanceInput {
  project: string;
  context: VersionContext;
  source?: string;
  /** The packed file (workspace-relative or absolute) and its sha256, as the pack manifest lists it. */
  artifact: { file: string; sha256: string };
  package: { name: string; ecosystem: string; version: string };
  env: Record<string, string | undefined>;
}

/**
 * SLSA v1 provenance of one package file: the subject is the file (its name, its sha256), the
 * rest as the image's statement names it (source repo + SHA + ref, the version context, the
 * builder), plus the package it belongs to. No clock: same input, same bytes.
 */
export function packageProvenanceStatement(input: PackageProvenanceInput): ProvenanceStatement {
  if (!/^[0-9a-f]{64}$/.test(input.artifact.sha256)) throw new Error(`provenance needs the sha256 (64 hex) of ${input.artifact.file}, got '${input.artifact.sha256}'`);
  return statement({ name: basename(input.artifact.file), sha256: input.artifact.sha256 }, PACKAGE_BUILD_TYPE, input, { package: input.package, dependencies: [] });
}

/**
 * What a consumer checks in a provenance statement, beyond cosign's signature check: the
 * statement is SLSA v1, names the image digest (or a package file's sha256: `subject` says which) as its subject and the expected commit as its
 * source (and the expected repository, when given). Returns the problems; none means accepted.
 */
export function checkProvenance(statement: unknown, expected: { digest: string; sha: string; repository?: string; subject?: string }): string[] {
  const s = statement as Partial<ProvenanceStatement> | null;
  if (!s || typeof s !== 'object') return ['the attestation holds no in-toto statement'];
  const problems: string[] = [];
  if (s.predicateType !== SLSA_PROVENANCE_V1) problems.push(`predicate type is ${String(s.predicateType)}, not ${SLSA_PROVENANCE_V1}`);
  const want = expected.digest.replace(/^sha256:/, '');
  const subjects = (s.subject ?? []).map((x) => x?.digest?.sha256);
  if (!subjects.includes(want)) problems.push(`subject digest ${subjects.map((d) => `sha256:${d}`).join(', ') || '(none)'} is not the ${expected.subject ?? 'image digest'} ${expected.digest}`);
  const source = s.predicate?.buildDefinition?.externalParameters?.source;
  if (source?.digest?.gitCommit !== expected.sha) problems.push(`source commit is ${source?.digest?.gitCommit ?? '(none)'}, expected ${expected.sha}`);
  if (expected.repository && source?.uri !== expected.repository) problems.push(`source repository is ${source?.uri ?? '(none)'}, expected ${expected.repository}`);
  return problems;
}

/**
 * Whether a package file (a wheel, a tarball, a Go zip) is one the provenance lists as built into
 * the image: its sha256 among `resolvedDependencies`. How a consumer ties a package from a
 * registry to the commit, through the image's signed provenance.
 */
export function checkArtifact(statement: unknown, artifact: { name: string; sha256: string }): string[] {
  const deps = (statement as Partial<ProvenanceStatement> | null)?.predicate?.buildDefinition?.resolvedDependencies ?? [];
  const hit = deps.find((d) => d?.digest?.sha256 === artifact.sha256);
  if (!hit) return [`${artifact.name} (sha256:${artifact.sha256}) is not among the artifacts the provenance lists`];
  return [];
}
