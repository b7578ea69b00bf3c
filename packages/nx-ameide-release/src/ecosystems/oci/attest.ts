import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { runOrThrow } from '../../exec';
import { packageProvenanceStatement, provenanceStatement, type ProvenanceInput } from '../../evidence/provenance';
import { sbomOfPack } from '../../evidence/sbom';
import { bundleMismatch } from '../../evidence/bundle';
import { findTool } from '../../tools';
import type { VersionContext } from '../../version/types';
import type { Log, PackManifest } from '../../core/contract';
import type { RegistryClient } from './registry';
import { ATTESTATION_TYPES, attest, attestBlobCommand, attestationTag, bundlePredicateTypes, COSIGN_SIGN_PREDICATE, type AttestationType, type RegistryAuth, type SignMode } from './sign';

/**
 * The attest step of the ghcr flow, right after the signature: the image's evidence (SLSA
 * provenance, and the CycloneDX SBOM when there is one) as cosign
 * attestations on its digest, signed as the signature is. Each statement is also written under
 * dist/release/<project>/ for the GitHub Release. A type the digest already carries is not
 * attested twice (a re-run changes nothing).
 */

export interface AttestationResult {
  type: AttestationType;
  predicateType: string;
  status: 'attested' | 'already-attested';
  /** Workspace-relative file holding the full statement (or document); for a package file, its signed bundle. */
  file: string;
  /** The package file a bundle attests (workspace-relative); absent for the image's attestations. */
  subject?: string;
}

/** Where a project's release evidence goes (uploaded with the GitHub Release). */
export const evidenceDir = (project: string) => `dist/release/${project}`;

/**
 * The predicate types already attached to a digest: cosign v3's attestation bundles among its
 * referrers (sign.ts bundlePredicateTypes), and cosign v2's layers of the .att manifest (their
 * predicateType annotations), so an image attested by either is not attested again.
 */
export async function attestedPredicateTypes(client: RegistryClient, repo: string, digest: string): Promise<Set<string>> {
  const types = new Set((await bundlePredicateTypes(client, repo, digest)).filter((t) => t !== COSIGN_SIGN_PREDICATE));
  const m = await client.getManifest(repo, attestationTag(digest), { fresh: true }); // cosign writes it, not this client
  if (!m) return types;
  try {
    const body = JSON.parse(m.bytes.toString('utf8')) as { layers?: { annotations?: Record<string, string> }[] };
    for (const l of body.layers ?? []) if (l.annotations?.predicateType) types.add(l.annotations.predicateType);
  } catch {
    /* not a manifest: nothing attested there */
  }
  return types;
}

export interface AttestInput {
  client: RegistryClient;
  repo: string; // namespace/name
  ref: string; // image@digest
  insecure: boolean;
  mode: Exclude<SignMode, 'off'>;
  auth: RegistryAuth;
  key: { key?: string; password?: string };
  cosign: string;
  env: NodeJS.ProcessEnv;
  workspaceRoot: string;
  provenance: ProvenanceInput;
  /** The image's CycloneDX SBOM (imageSbom), attested as `cyclonedx`. */
  sbom?: { file: string; document: unknown };
  log: Log;
}

/**
 * The CycloneDX SBOM of the project whose artifacts the image holds, written to
 * dist/release/<project>/sbom.cdx.json. Runs before anything is pushed: a missing cdxgen
 * stops the release there, not after an image went out without its SBOM. Made once per pack
 * state (sbomOfPack: keyed by the pack manifest, the project's manifests and lockfiles and the
 * cdxgen binary) and reused by a re-run of the same SHA.
 */
export async function imageSbom(args: {
  workspaceRoot: string;
  projectRoot: string;
  project: string;
  manifest: PackManifest;
  context: VersionContext;
  env: NodeJS.ProcessEnv;
  log: Log;
}): Promise<{ file: string; document: unknown }> {
  const cdxgen = findTool('cdxgen', args.env, args.workspaceRoot);
  const file = `${evidenceDir(args.project)}/sbom.cdx.json`;
  const { document, reused } = await sbomOfPack(
    {
      workspaceRoot: args.workspaceRoot, projectRoot: args.projectRoot, outFile: file, cdxgen, env: args.env,
      ecosystem: args.manifest.ecosystem, name: args.manifest.name, version: args.manifest.version,
      sha: args.context.GIT_SHA, ref: args.context.REF, commitTime: args.context.COMMIT_TIME,
    },
    args.manifest,
    args.env,
  );
  args.log(`ghcr: SBOM of ${args.manifest.name} ${args.manifest.version}: ${file}${reused ? ' (made for this pack state before: reused)' : ''}`);
  return { file, document };
}

export async function attestImage(input: AttestInput): Promise<AttestationResult[]> {
  const { provenance, log } = input;
  const dir = evidenceDir(provenance.project);
  mkdirSync(join(input.workspaceRoot, dir), { recursive: true });
  const statement = provenanceStatement(provenance);
  const file = `${dir}/provenance.intoto.json`;
  writeFileSync(join(input.workspaceRoot, file), `${JSON.stringify(statement, null, 2)}\n`);

  const documents: { type: AttestationType; file: string; predicate: unknown }[] = [{ type: 'slsaprovenance1', file, predicate: statement.predicate }];
  if (input.sbom) documents.push({ type: 'cyclonedx', file: input.sbom.file, predicate: input.sbom.document });
  const present = await attestedPredicateTypes(input.client, input.repo, provenance.digest);
  const results: AttestationResult[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-attest-'));
  try {
    for (const doc of documents) {
      const predicateType = ATTESTATION_TYPES[doc.type];
      if (present.has(predicateType)) {
        results.push({ type: doc.type, predicateType, status: 'already-attested', file: doc.file });
      } else {
        const predicateFile = join(tmp, `${doc.type}.json`);
        writeFileSync(predicateFile, JSON.stringify(doc.predicate));
        await attest({ ref: input.ref, insecure: input.insecure }, input.mode, { type: doc.type, predicateFile }, input.auth, input.key, {
          cosign: input.cosign,
          env: input.env,
        });
        results.push({ type: doc.type, predicateType, status: 'attested', file: doc.file });
      }
      log(`ghcr: ${doc.type} attestation of ${provenance.digest}: ${results[results.length - 1].status} (${doc.file})`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

/** The bundle files of a package file's attestations, named after it (the GitHub Release's evidence glob is dist/release/<project>/*.json). */
export const packageBundleName = (file: string, type: AttestationType) =>
  `${basename(file)}.${type === 'slsaprovenance1' ? 'provenance' : 'sbom'}.sigstore.json`;

export interface AttestPackagesInput {
  workspaceRoot: string;
  project: string;
  context: VersionContext;
  source?: string;
  /** The pack manifests whose files are attested (the GOPROXY `list` is not a package file and is left out). */
  manifests: PackManifest[];
  mode: Exclude<SignMode, 'off'>;
  key: { key?: string; password?: string };
  cosign: string;
  /** cosign's environment. */
  env: NodeJS.ProcessEnv;
  /** The environment the statements read (GitHub Actions' builder and run), as the image's statement reads it. */
  provenanceEnv: Record<string, string | undefined>;
  /** The project's CycloneDX SBOM, attested per file as `cyclonedx` (cosign attest-blob takes one subject). */
  sbom?: { file: string; document: unknown };
  /** Key signing: the key's public half (key-check.ts). A bundle already there that verifies with it and holds this statement is kept. */
  publicKey?: string;
  log: Log;
}

/**
 * Each packed file's own evidence, right after the image's: a SLSA v1 provenance statement whose
 * subject is the file's sha256 (packageProvenanceStatement), and the project's SBOM, each signed with
 * `cosign attest-blob` as the image is signed, into a bundle under dist/release/<project>/.
 *
 * Only on the release channel: the bundles are assets of the GitHub Release, which only a release
 * has. On dev nothing reads them (the dev image's provenance already lists every package file's
 * sha256: `verify <image> --artifact <file>`), so none are made.
 *
 * A re-run keeps a bundle that is already there when it provably is this attestation (bundleMismatch:
 * same subject, predicate type and predicate, signed with this run's key); key signing only (keyless
 * has no key that stays the same between runs).
 */
export async function attestPackages(input: AttestPackagesInput): Promise<AttestationResult[]> {
  if (input.context.CHANNEL !== 'release') {
    input.log(`ghcr: package bundles: none on the ${input.context.CHANNEL} channel (they are GitHub Release assets; the image's provenance lists each package file)`);
    return [];
  }
  const dir = evidenceDir(input.project);
  const files = input.manifests.flatMap((m) => m.files.filter((f) => f.kind !== 'go-list').map((f) => ({ ...f, manifest: m })));
  // The files' sha256 were checked against the pack manifest by the publish flow (src/flow/manifest.ts) before any upload.
  mkdirSync(join(input.workspaceRoot, dir), { recursive: true });
  const results: AttestationResult[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-attest-blob-'));
  try {
    const sbomPredicate = join(tmp, 'cyclonedx.json');
    if (input.sbom) writeFileSync(sbomPredicate, JSON.stringify(input.sbom.document));
    for (const f of files) {
      const { manifest } = f;
      const statement = packageProvenanceStatement({
        project: input.project, context: input.context, source: input.source, env: input.provenanceEnv,
        artifact: { file: f.file, sha256: f.sha256 }, package: { name: manifest.name, ecosystem: manifest.ecosystem, version: manifest.version },
      });
      const provenancePredicate = join(tmp, `${basename(f.file)}.slsaprovenance1.json`);
      writeFileSync(provenancePredicate, JSON.stringify(statement.predicate));
      const docs: { type: AttestationType; predicateFile: string; predicate: unknown }[] = [{ type: 'slsaprovenance1', predicateFile: provenancePredicate, predicate: statement.predicate }];
      if (input.sbom) docs.push({ type: 'cyclonedx', predicateFile: sbomPredicate, predicate: input.sbom.document });
      for (const doc of docs) {
        const bundle = `${dir}/${packageBundleName(f.file, doc.type)}`;
        const bundlePath = join(input.workspaceRoot, bundle);
        const want = { name: basename(f.file), sha256: f.sha256, predicateType: ATTESTATION_TYPES[doc.type], predicate: doc.predicate };
        const kept = input.mode === 'key' && input.publicKey && existsSync(bundlePath) && bundleMismatch(readFileSync(bundlePath), want, input.publicKey) === null;
        if (!kept) {
          await runOrThrow(
            attestBlobCommand(isAbsolute(f.file) ? f.file : join(input.workspaceRoot, f.file), input.mode, { type: doc.type, predicateFile: doc.predicateFile, bundle: bundlePath }, input.key, { cosign: input.cosign, env: input.env }),
          );
        }
        results.push({ type: doc.type, predicateType: ATTESTATION_TYPES[doc.type], status: kept ? 'already-attested' : 'attested', file: bundle, subject: f.file });
        input.log(`ghcr: ${doc.type} attestation of ${basename(f.file)} (sha256:${f.sha256}): ${bundle}${kept ? ' (already there, same statement, signed with this key: kept)' : ''}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}
