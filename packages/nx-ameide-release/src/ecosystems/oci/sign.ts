import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { run, runOrThrow, type Command } from '../../exec';
import type { RegistryClient } from './registry';

/**
 * cosign (v3) signs the DIGEST (repo@sha256:…), never a tag: a tag can move between signing and use.
 * cosign v3 writes a Sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json) and stores it as
 * an OCI 1.1 referrer of the digest: through the referrers API where the registry has one
 * (distribution v3, ghcr.io), else under the referrers tag `sha256-<hex>` (an index; docker-registry
 * 2.8). Images signed by cosign v2 carry `sha256-<hex>.sig` / `.att` tags instead; both are read here.
 *
 * - key:     `cosign sign --yes --key <COSIGN_KEY> --use-signing-config=false --tlog-upload=false <ref>`;
 *            COSIGN_PASSWORD goes in the child's environment, never argv. COSIGN_KEY is a path or a KMS URI.
 * - keyless: `cosign sign --yes <ref>`: in GitHub Actions cosign gets an OIDC token from the runner
 *            (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN), a certificate from Fulcio, and records in Rekor (the
 *            public Sigstore's signing config). The workflow needs `permissions: { id-token: write, packages: write }`.
 *            With AMEIDE_FULCIO_URL (a private Fulcio, e.g. the sandbox's): that Fulcio, and NO transparency
 *            log (`--use-signing-config=false --tlog-upload=false`); AMEIDE_SIGSTORE_TRUSTED_ROOT names its CA.
 * - insecure (plain-http loopback sandboxes): `--allow-insecure-registry --allow-http-registry` (cosign >= 2.4).
 *
 * Registry credentials reach cosign through a throw-away DOCKER_CONFIG (mode 0600, under the OS temp
 * dir, deleted after), never through argv.
 */

export type SignMode = 'key' | 'keyless' | 'off';

export interface SignTarget {
  ref: string; // registry/namespace/name@sha256:…
  insecure: boolean;
}

export interface CosignOptions {
  cosign?: string; // binary, default `cosign` (release.ts passes the one findTool found: COSIGN_BIN, PATH, GOPATH/bin)
  env?: NodeJS.ProcessEnv; // base environment of the child, default process.env
}

export function assertDigestRef(ref: string): void {
  if (!/@sha256:[0-9a-f]{64}$/.test(ref)) throw new Error(`cosign must sign a digest (name@sha256:…), not '${ref}'`);
}

const insecureFlags = (insecure: boolean) => (insecure ? ['--allow-insecure-registry', '--allow-http-registry'] : []);

/**
 * A private Sigstore for keyless signing instead of the public one: its Fulcio (AMEIDE_FULCIO_URL)
 * and the trusted root naming that Fulcio's CA (AMEIDE_SIGSTORE_TRUSTED_ROOT, a trusted_root.json as
 * `cosign trusted-root create` writes it). A private Sigstore here has no transparency log: nothing
 * is uploaded to one and verification does not ask one (nor for a CT log's SCT). null: the public
 * Sigstore (Fulcio, Rekor; cosign's signing config from its TUF root).
 */
export interface PrivateSigstore {
  fulcioUrl: string;
  trustedRoot?: string;
}

export function privateSigstore(env: Record<string, string | undefined>): PrivateSigstore | null {
  const fulcioUrl = env.AMEIDE_FULCIO_URL?.trim();
  if (!fulcioUrl) return null;
  const trustedRoot = env.AMEIDE_SIGSTORE_TRUSTED_ROOT?.trim();
  return { fulcioUrl, ...(trustedRoot ? { trustedRoot } : {}) };
}

/** One line for the log: how this run signs, and whether a transparency log records it. */
export function describeSigning(mode: SignMode | 'unset', env: Record<string, string | undefined>): string {
  if (mode === 'key') return 'cosign key (COSIGN_KEY); transparency-log upload off (the public key is what verifies)';
  if (mode !== 'keyless') return mode === 'off' ? 'off' : 'not configured';
  const own = privateSigstore(env);
  return own
    ? `keyless through the Fulcio at ${own.fulcioUrl} (AMEIDE_FULCIO_URL); transparency-log upload off: this Sigstore has no Rekor`
    : 'keyless through the public Sigstore (Fulcio certificate for the workflow identity, recorded in Rekor)';
}

/** The mode's signing flags (between the subcommand and the reference); COSIGN_PASSWORD set in `env` for a key. */
function signingFlags(mode: Exclude<SignMode, 'off'>, key: { key?: string; password?: string }, env: NodeJS.ProcessEnv, keyPath = (k: string) => k): string[] {
  if (mode === 'key') {
    if (!key.key) throw new Error('key signing needs COSIGN_KEY');
    // always set, even empty: without it cosign prompts for the password and fails without a TTY
    env.COSIGN_PASSWORD = key.password ?? '';
    // cosign v3 takes its service URLs from a signing config by default; a key needs none, and no tlog
    return ['--key', keyPath(key.key), '--use-signing-config=false', '--tlog-upload=false'];
  }
  const own = privateSigstore(env);
  if (!own) return [];
  return ['--use-signing-config=false', '--fulcio-url', own.fulcioUrl, '--tlog-upload=false', ...(own.trustedRoot ? ['--trusted-root', own.trustedRoot] : [])];
}

/** The command data of a signing; pure. */
export function signCommand(
  target: SignTarget,
  mode: Exclude<SignMode, 'off'>,
  key: { key?: string; password?: string } = {},
  opts: CosignOptions = {},
): Command {
  assertDigestRef(target.ref);
  const env = { ...(opts.env ?? process.env) };
  const args = ['sign', '--yes', ...signingFlags(mode, key, env), ...insecureFlags(target.insecure), target.ref];
  return { command: opts.cosign ?? 'cosign', args, env };
}

/**
 * `cosign public-key --key <COSIGN_KEY>`: opens the private key with COSIGN_PASSWORD and prints its
 * public half; writes nothing and talks to no registry. The preflight runs it so a wrong password
 * stops the run before any upload instead of after the push. Pure (command data).
 */
export function keyOpensCommand(key: { key: string; password?: string }, opts: CosignOptions = {}): Command {
  const env = { ...(opts.env ?? process.env), COSIGN_PASSWORD: key.password ?? '' };
  return { command: opts.cosign ?? 'cosign', args: ['public-key', '--key', key.key], env };
}

/** `cosign verify --key <pub>` of a digest, without the transparency log (key-signed, tlog off). */
export function verifyCommand(target: SignTarget, publicKey: string, opts: CosignOptions = {}): Command {
  return {
    command: opts.cosign ?? 'cosign',
    args: ['verify', '--key', publicKey, '--insecure-ignore-tlog=true', ...insecureFlags(target.insecure), target.ref],
    env: { ...(opts.env ?? process.env) },
  };
}

/** The tag cosign v2 stores the signature of a digest under (sha256-<hex>.sig). */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** The OCI 1.1 referrers tag of a digest (sha256-<hex>): the index of its referrers where the registry has no referrers API. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/** The artifact type of cosign v3's referrers, and the annotation naming what each bundle is. */
export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
/** The predicate type of a cosign v3 image signature (its bundle's statement). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const OCI_EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

/**
 * The predicate types of the Sigstore bundles referring to a digest (cosign v3: signatures are
 * COSIGN_SIGN_PREDICATE, attestations their predicate type), through the registry's referrers API,
 * else its referrers tag (RegistryClient.referrers). A descriptor without the annotation is read.
 */
export async function bundlePredicateTypes(client: RegistryClient, repo: string, digest: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await client.referrers(repo, digest)) {
    if (d.artifactType === BUNDLE_ARTIFACT_TYPE && d.annotations?.[BUNDLE_PREDICATE_ANNOTATION]) {
      out.push(d.annotations[BUNDLE_PREDICATE_ANNOTATION]);
      continue;
    }
    if (d.artifactType && d.artifactType !== BUNDLE_ARTIFACT_TYPE && d.artifactType !== OCI_EMPTY_CONFIG) continue; // another kind of referrer
    // A registry that lists referrers without their artifactType and annotations (go-containerregistry's
    // gives the config's media type): the manifest says what it is.
    const m = await client.getManifest(repo, d.digest, { fresh: true });
    try {
      const body = JSON.parse(m?.bytes.toString('utf8') ?? '{}') as { artifactType?: string; annotations?: Record<string, string> };
      const type = body.artifactType === BUNDLE_ARTIFACT_TYPE ? body.annotations?.[BUNDLE_PREDICATE_ANNOTATION] : undefined;
      if (type) out.push(type);
    } catch {
      /* not a manifest: not a bundle */
    }
  }
  return out;
}

/**
 * How the digest is signed already, if it is: `bundle` (cosign v3: a signature bundle among its
 * referrers) or `tag` (cosign v2: the sha256-<hex>.sig tag), null when neither. Read fresh: cosign
 * wrote them, not the client.
 */
export async function signedAs(client: RegistryClient, repo: string, digest: string): Promise<'bundle' | 'tag' | null> {
  if ((await bundlePredicateTypes(client, repo, digest)).includes(COSIGN_SIGN_PREDICATE)) return 'bundle';
  return (await client.getManifest(repo, signatureTag(digest), { fresh: true })) ? 'tag' : null;
}

export interface RegistryAuth {
  registry: string;
  username?: string;
  password?: string;
}

/** Run `cmd` with a temporary DOCKER_CONFIG holding the registry credentials (if any). */
export async function withDockerConfig<T>(auth: RegistryAuth, cmd: Command, fn: (cmd: Command) => Promise<T>): Promise<T> {
  if (!auth.username && !auth.password) return fn(cmd);
  const dir = mkdtempSync(join(tmpdir(), 'ameide-docker-config-'));
  try {
    const basic = Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [auth.registry]: { auth: basic } } }), { mode: 0o600 });
    return await fn({ ...cmd, env: { ...(cmd.env ?? process.env), DOCKER_CONFIG: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function sign(
  target: SignTarget,
  mode: Exclude<SignMode, 'off'>,
  auth: RegistryAuth,
  key: { key?: string; password?: string } = {},
  opts: CosignOptions = {},
): Promise<void> {
  await withDockerConfig(auth, signCommand(target, mode, key, opts), runOrThrow);
}

/** Resolves true when the digest carries a signature made with `publicKey`, false when cosign refuses it. */
export async function verify(target: SignTarget, publicKey: string, auth: RegistryAuth, opts: CosignOptions = {}): Promise<boolean> {
  const res = await withDockerConfig(auth, verifyCommand(target, publicKey, opts), run);
  return res.exitCode === 0;
}

/** The tag cosign stores the attestations of a digest under (sha256-<hex>.att). */
export function attestationTag(digest: string): string {
  return `${digest.replace(':', '-')}.att`;
}

/** cosign's `--type` names of the attestations a release attaches, and the predicate type URI each stands for. */
export const ATTESTATION_TYPES = {
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  cyclonedx: 'https://cyclonedx.org/bom',
} as const;
export type AttestationType = keyof typeof ATTESTATION_TYPES;

/**
 * The command data of an attestation (`cosign attest`), signed as the signature is: the same
 * key (tlog off) or keyless mode. cosign v3 stores it as a bundle referring to the digest, one per
 * run: the caller attests a type only when the digest does not carry it yet (attest.ts). Pure.
 */
export function attestCommand(
  target: SignTarget,
  mode: Exclude<SignMode, 'off'>,
  attestation: { type: AttestationType; predicateFile: string },
  key: { key?: string; password?: string } = {},
  opts: CosignOptions = {},
): Command {
  const sign = signCommand(target, mode, key, opts);
  const flags = sign.args.slice(2, -1); // the mode's and registry's flags between `sign --yes` and the ref
  return {
    ...sign,
    args: ['attest', '--yes', '--type', attestation.type, '--predicate', attestation.predicateFile, ...flags, target.ref],
  };
}

/**
 * The command data of a blob attestation (`cosign attest-blob`): an in-toto statement whose subject
 * is the file (its base name, its sha256), signed like the image's (key with tlog off, or keyless), written
 * as a Sigstore bundle file (`--bundle`; cosign v3's format: the DSSE envelope and the verification
 * material: the key's hint, or keyless the certificate and any tlog entry).
 * cosign names the subject after the path it is given, so it runs in the file's folder with the base
 * name. Paths must be absolute. Pure.
 */
export function attestBlobCommand(
  file: string,
  mode: Exclude<SignMode, 'off'>,
  attestation: { type: AttestationType; predicateFile: string; bundle: string },
  key: { key?: string; password?: string } = {},
  opts: CosignOptions = {},
): Command {
  for (const p of [file, attestation.predicateFile, attestation.bundle]) if (!isAbsolute(p)) throw new Error(`attest-blob needs absolute paths, got '${p}'`);
  const env = { ...(opts.env ?? process.env) };
  // cosign runs in the file's folder: a relative key path is resolved here, a KMS URI kept as is
  const keyPath = (k: string) => (/^[a-z0-9]+:\/\//.test(k) ? k : resolve(k));
  const args = ['attest-blob', '--yes', '--type', attestation.type, '--predicate', attestation.predicateFile, '--bundle', attestation.bundle, ...signingFlags(mode, key, env, keyPath), basename(file)];
  return { command: opts.cosign ?? 'cosign', args, cwd: dirname(file), env };
}

/**
 * Who must have signed: a public key (the project signs with tlog off), or a keyless identity from
 * Fulcio. `trustedRoot`: a private Sigstore's trusted_root.json (its Fulcio CA): then there is no
 * transparency log nor CT log to consult (see privateSigstore); without it, the public Sigstore's.
 */
export type Signer = { key: string } | { identityRegexp: string; issuer: string; trustedRoot?: string };

function signerArgs(signer: Signer): string[] {
  if ('key' in signer) return ['--key', signer.key, '--insecure-ignore-tlog=true'];
  const own = signer.trustedRoot ? ['--trusted-root', signer.trustedRoot, '--insecure-ignore-tlog=true', '--insecure-ignore-sct=true'] : [];
  return ['--certificate-identity-regexp', signer.identityRegexp, '--certificate-oidc-issuer', signer.issuer, ...own];
}

/** `cosign verify` of a reference (tag or digest) by a signer; prints JSON with the digest it checked. Pure. */
export function verifySignerCommand(ref: string, signer: Signer, insecure: boolean, opts: CosignOptions = {}): Command {
  return { command: opts.cosign ?? 'cosign', args: ['verify', ...signerArgs(signer), ...insecureFlags(insecure), '--output', 'json', ref], env: { ...(opts.env ?? process.env) } };
}

/** `cosign verify-attestation --type <t>` of a digest by a signer; prints one DSSE envelope (JSON) per line. Pure. */
export function verifyAttestationCommand(target: SignTarget, type: AttestationType, signer: Signer, opts: CosignOptions = {}): Command {
  assertDigestRef(target.ref);
  return {
    command: opts.cosign ?? 'cosign',
    args: ['verify-attestation', '--type', type, ...signerArgs(signer), ...insecureFlags(target.insecure), target.ref],
    env: { ...(opts.env ?? process.env) },
  };
}

/**
 * `cosign verify-blob-attestation --bundle <b> --type <t>` of a file by a signer: the bundle's
 * signature is the signer's and one subject of its statement is the file's sha256. Pure.
 */
export function verifyBlobAttestationCommand(file: string, bundle: string, type: AttestationType, signer: Signer, opts: CosignOptions = {}): Command {
  return {
    command: opts.cosign ?? 'cosign',
    args: ['verify-blob-attestation', '--bundle', bundle, '--type', type, ...signerArgs(signer), file],
    env: { ...(opts.env ?? process.env) },
  };
}

export async function attest(
  target: SignTarget,
  mode: Exclude<SignMode, 'off'>,
  attestation: { type: AttestationType; predicateFile: string },
  auth: RegistryAuth,
  key: { key?: string; password?: string } = {},
  opts: CosignOptions = {},
): Promise<void> {
  await withDockerConfig(auth, attestCommand(target, mode, attestation, key, opts), runOrThrow);
}
