import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { run, type Command, type ExecResult } from '../exec';
import { ATTESTATION_TYPES, verifyAttestationCommand, verifyBlobAttestationCommand, verifySignerCommand, withDockerConfig, type RegistryAuth, type Signer } from '../ecosystems/oci/sign';
import { checkArtifact, checkProvenance } from './provenance';
import { dsseEnvelopeOf } from './bundle';
import type { AttestationType } from '../ecosystems/oci/sign';

/**
 * What a consumer runs before trusting an image: the signature by the expected signer, then
 * the SLSA provenance attestation of the digest the signature covers, whose subject must be
 * that digest and whose source must be the expected commit. The digest is pinned after the
 * first check: the attestation is read from image@digest, so a tag moved in between cannot
 * swap the image under the check.
 */

export interface VerifyImageInput {
  ref: string; // registry/namespace/name[:tag|@sha256:…]
  signer: Signer;
  sha: string; // the commit the image must come from
  repository?: string; // the source repository URL the provenance must name
  /** Package files (name + sha256) that must be among the artifacts the provenance lists. */
  artifacts?: { name: string; sha256: string }[];
  insecure: boolean; // plain-http loopback registry
  auth: RegistryAuth;
  cosign: string;
  env: NodeJS.ProcessEnv;
}

export interface VerifyCheck {
  name: 'signature' | 'provenance' | 'artifact' | 'sbom';
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  digest: string | null;
  checks: VerifyCheck[];
}

/** `host/ns/name:tag` or `host/ns/name@sha256:…` -> `host/ns/name`. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

const lastLine = (r: ExecResult) => (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.exitCode}`;

/** The digest cosign verified, from `cosign verify --output json` (one JSON array per line). */
export function verifiedDigest(stdout: string): string | null {
  for (const line of stdout.split('\n')) {
    if (!line.trim().startsWith('[')) continue;
    try {
      const payloads = JSON.parse(line) as { critical?: { image?: { 'docker-manifest-digest'?: string } } }[];
      const d = payloads[0]?.critical?.image?.['docker-manifest-digest'];
      if (d) return d;
    } catch {
      /* not the JSON line */
    }
  }
  return null;
}

/** The in-toto statements of `cosign verify-attestation` output (one DSSE envelope per line). */
export function statementsOf(stdout: string): unknown[] {
  const out: unknown[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const envelope = JSON.parse(line) as { payload?: string };
      if (envelope.payload) out.push(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')));
    } catch {
      /* not an envelope */
    }
  }
  return out;
}

export async function verifyImage(input: VerifyImageInput): Promise<VerifyReport> {
  const opts = { cosign: input.cosign, env: input.env };
  const exec = (cmd: Command) => withDockerConfig(input.auth, cmd, run);
  const checks: VerifyCheck[] = [];

  const sig = await exec(verifySignerCommand(input.ref, input.signer, input.insecure, opts));
  const digest = sig.exitCode === 0 ? verifiedDigest(sig.stdout) : null;
  if (!digest) {
    checks.push({ name: 'signature', ok: false, detail: sig.exitCode === 0 ? 'cosign printed no verified digest' : lastLine(sig) });
    return { ok: false, digest: null, checks };
  }
  checks.push({ name: 'signature', ok: true, detail: `${digest} signed by ${'key' in input.signer ? input.signer.key : input.signer.identityRegexp}` });

  const pinned = { ref: `${repositoryOf(input.ref)}@${digest}`, insecure: input.insecure };
  const att = await exec(verifyAttestationCommand(pinned, 'slsaprovenance1', input.signer, opts));
  if (att.exitCode !== 0) {
    checks.push({ name: 'provenance', ok: false, detail: lastLine(att) });
  } else {
    const statements = statementsOf(att.stdout).filter((s) => (s as { predicateType?: string })?.predicateType === ATTESTATION_TYPES.slsaprovenance1);
    const results = statements.map((s) => checkProvenance(s, { digest, sha: input.sha, repository: input.repository }));
    const accepted = results.some((p) => p.length === 0);
    checks.push({
      name: 'provenance',
      ok: accepted,
      detail: accepted
        ? `SLSA v1 provenance: subject ${digest}, source commit ${input.sha}`
        : results.length
          ? results.map((p) => p.join('; ')).join(' | ')
          : 'no SLSA v1 provenance statement in the verified attestations',
    });
    const good = statements.filter((_, i) => results[i].length === 0);
    for (const artifact of input.artifacts ?? []) {
      const problems = good.length ? good.map((s) => checkArtifact(s, artifact)) : [['no accepted provenance to check it against']];
      const found = problems.some((p) => p.length === 0);
      checks.push({ name: 'artifact', ok: found, detail: found ? `${artifact.name} (sha256:${artifact.sha256}) was built into this image` : problems[0].join('; ') });
    }
  }
  const bom = await exec(verifyAttestationCommand(pinned, 'cyclonedx', input.signer, opts));
  if (bom.exitCode !== 0) {
    checks.push({ name: 'sbom', ok: false, detail: lastLine(bom) });
  } else {
    const statements = statementsOf(bom.stdout).filter((s) => (s as { predicateType?: string })?.predicateType === ATTESTATION_TYPES.cyclonedx);
    const results = statements.map((s) => checkSbom(s, { digest, sha: input.sha }));
    const accepted = results.some((p) => p.length === 0);
    checks.push({
      name: 'sbom',
      ok: accepted,
      detail: accepted
        ? `CycloneDX SBOM of ${sbomComponent(statements[results.findIndex((p) => p.length === 0)])}, git SHA ${input.sha}`
        : results.length
          ? results.map((p) => p.join('; ')).join(' | ')
          : 'no CycloneDX statement in the verified attestations',
    });
  }
  return { ok: checks.every((c) => c.ok), digest, checks };
}

interface SbomStatement {
  subject?: { digest?: { sha256?: string } }[];
  predicate?: { bomFormat?: string; metadata?: { component?: { purl?: string }; properties?: { name?: string; value?: string }[] } };
}

const sbomComponent = (s: unknown) => (s as SbomStatement)?.predicate?.metadata?.component?.purl ?? '(unnamed component)';

/** The CycloneDX attestation is of this digest, is a CycloneDX document, and names the expected SHA. */
export function checkSbom(statement: unknown, expected: { digest: string; sha: string }): string[] {
  const s = statement as SbomStatement | null;
  if (!s || typeof s !== 'object') return ['the attestation holds no in-toto statement'];
  const problems: string[] = [];
  const want = expected.digest.replace(/^sha256:/, '');
  if (!(s.subject ?? []).some((x) => x?.digest?.sha256 === want)) problems.push(`the SBOM attestation is not about ${expected.digest}`);
  if (s.predicate?.bomFormat !== 'CycloneDX') problems.push('the predicate is not a CycloneDX document');
  const sha = s.predicate?.metadata?.properties?.find((p) => p.name === 'io.ameide:git.sha')?.value;
  if (sha !== expected.sha) problems.push(`the SBOM names git SHA ${sha ?? '(none)'}, expected ${expected.sha}`);
  return problems;
}

/**
 * What a consumer runs before trusting a package file on its own (a wheel, sdist, npm tarball or Go
 * zip from its registry, with the bundles from the GitHub Release): `cosign verify-blob-attestation`
 * of the file and its provenance bundle by the expected signer, then the statement in that bundle:
 * SLSA v1, its subject the file's sha256, its source the expected commit (and repository). With an
 * SBOM bundle, the same for the CycloneDX attestation. The file and the bundles are read once and
 * cosign checks private copies of those bytes: what is checked is what was verified.
 */
export interface VerifyArtifactInput {
  file: string;
  /** The provenance bundle (<file>.provenance.sigstore.json). */
  bundle: string;
  /** The SBOM bundle (<file>.sbom.sigstore.json), optional. */
  sbomBundle?: string;
  signer: Signer;
  sha: string;
  repository?: string;
  cosign: string;
  env: NodeJS.ProcessEnv;
}

/** The in-toto statement inside a cosign bundle (v3 Sigstore bundle or v2 cosign bundle: dsseEnvelopeOf); null when there is none. */
export function bundleStatement(bundle: Buffer | string): unknown {
  const envelope = dsseEnvelopeOf(bundle);
  return envelope ? (statementsOf(JSON.stringify(envelope))[0] ?? null) : null;
}

/**
 * A key-signed cosign v2 bundle carries the signer's public key in `cert`, and cosign v2.4.1's
 * verify-blob-attestation checks the signature with THAT key, ignoring `--key` (a bundle signed with
 * any key verifies). Verifying by key, cosign gets the bundle without it, so `--key` is the only key.
 * (Keyless bundles keep their certificate: cosign checks it against Fulcio and the identity. cosign
 * v3's Sigstore bundles have no `cert` field: a key-signed one names the key by a hint only.)
 */
export function withoutKey(bundle: Buffer): Buffer {
  try {
    const b = JSON.parse(bundle.toString('utf8')) as Record<string, unknown>;
    delete b.cert;
    return Buffer.from(JSON.stringify(b));
  } catch {
    return bundle; // not JSON: cosign refuses it
  }
}

export async function verifyArtifact(input: VerifyArtifactInput): Promise<VerifyReport> {
  const bytes = readFileSync(input.file);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const name = basename(input.file);
  const subject = `sha256 of ${name}`;
  const checks: VerifyCheck[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-verify-blob-'));
  try {
    const file = join(tmp, name);
    writeFileSync(file, bytes);
    const one = async (type: AttestationType, bundlePath: string): Promise<{ ok: boolean; detail: string; statement?: unknown }> => {
      const bundleBytes = readFileSync(bundlePath);
      const copy = join(tmp, `${type}.bundle.json`);
      writeFileSync(copy, 'key' in input.signer ? withoutKey(bundleBytes) : bundleBytes);
      const res = await run(verifyBlobAttestationCommand(file, copy, type, input.signer, { cosign: input.cosign, env: input.env }));
      if (res.exitCode !== 0) return { ok: false, detail: `${basename(bundlePath)}: ${lastLine(res)}` };
      const statement = bundleStatement(bundleBytes);
      if ((statement as { predicateType?: string } | null)?.predicateType !== ATTESTATION_TYPES[type]) {
        return { ok: false, detail: `${basename(bundlePath)} holds no ${ATTESTATION_TYPES[type]} statement` };
      }
      return { ok: true, detail: `${basename(bundlePath)} signed by ${'key' in input.signer ? input.signer.key : input.signer.identityRegexp}`, statement };
    };

    const prov = await one('slsaprovenance1', input.bundle);
    checks.push({ name: 'signature', ok: prov.ok, detail: prov.ok ? `${prov.detail}, subject ${name} (${digest})` : prov.detail });
    if (prov.ok) {
      const problems = checkProvenance(prov.statement, { digest, sha: input.sha, repository: input.repository, subject });
      checks.push({ name: 'provenance', ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `SLSA v1 provenance: subject ${name} (${digest}), source commit ${input.sha}` });
    }
    if (input.sbomBundle) {
      const bom = await one('cyclonedx', input.sbomBundle);
      if (!bom.ok) checks.push({ name: 'sbom', ok: false, detail: bom.detail });
      else {
        const problems = checkSbom(bom.statement, { digest, sha: input.sha });
        checks.push({ name: 'sbom', ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `CycloneDX SBOM of ${sbomComponent(bom.statement)}, git SHA ${input.sha}, subject ${name}` });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { ok: checks.length > 0 && checks.every((c) => c.ok), digest, checks };
}
