import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provenanceStatement, type ProvenanceInput } from '../../evidence/provenance';
import type { Log } from '../types';
import type { RegistryClient } from './registry';
import { ATTESTATION_TYPES, attest, attestationTag, type AttestationType, type RegistryAuth, type SignMode } from './sign';

/**
 * The attest step of the ghcr flow, right after the signature: the image's evidence as cosign
 * attestations on its digest, signed as the signature is. Each statement is also written under
 * dist/release/<project>/ for the GitHub Release. A type the digest already carries is not
 * attested twice (a re-run changes nothing).
 */

export interface AttestationResult {
  type: AttestationType;
  predicateType: string;
  status: 'attested' | 'already-attested';
  /** Workspace-relative file holding the full statement (or document). */
  file: string;
}

/** Where a project's release evidence goes (uploaded with the GitHub Release). */
export const evidenceDir = (project: string) => `dist/release/${project}`;

/** The predicate types already attached to a digest, from the annotations of cosign's .att manifest. */
export async function attestedPredicateTypes(client: RegistryClient, repo: string, digest: string): Promise<Set<string>> {
  const m = await client.getManifest(repo, attestationTag(digest));
  if (!m) return new Set();
  try {
    const body = JSON.parse(m.bytes.toString('utf8')) as { layers?: { annotations?: Record<string, string> }[] };
    return new Set((body.layers ?? []).map((l) => l.annotations?.predicateType).filter((t): t is string => Boolean(t)));
  } catch {
    return new Set();
  }
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
  log: Log;
}

export async function attestImage(input: AttestInput): Promise<AttestationResult[]> {
  const { provenance, log } = input;
  const dir = evidenceDir(provenance.project);
  mkdirSync(join(input.workspaceRoot, dir), { recursive: true });
  const statement = provenanceStatement(provenance);
  const file = `${dir}/provenance.intoto.json`;
  writeFileSync(join(input.workspaceRoot, file), `${JSON.stringify(statement, null, 2)}\n`);

  const documents: { type: AttestationType; file: string; predicate: unknown }[] = [{ type: 'slsaprovenance1', file, predicate: statement.predicate }];
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
