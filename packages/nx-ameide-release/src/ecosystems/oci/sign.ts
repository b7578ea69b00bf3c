import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { run, runOrThrow, type Command } from '../../exec';

/**
 * cosign signs the DIGEST (repo@sha256:…), never a tag: a tag can move between signing and use.
 *
 * - key:     `cosign sign --yes --key <COSIGN_KEY> --tlog-upload=false <ref>`; COSIGN_PASSWORD goes in
 *            the child's environment, never argv. COSIGN_KEY is a path or a KMS URI.
 * - keyless: `cosign sign --yes <ref>`: in GitHub Actions cosign gets an OIDC token from the runner
 *            (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN), a certificate from Fulcio, and records in Rekor.
 *            The workflow needs `permissions: { id-token: write, packages: write }`.
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

/** The command data of a signing; pure. */
export function signCommand(
  target: SignTarget,
  mode: Exclude<SignMode, 'off'>,
  key: { key?: string; password?: string } = {},
  opts: CosignOptions = {},
): Command {
  assertDigestRef(target.ref);
  const env = { ...(opts.env ?? process.env) };
  const args = ['sign', '--yes'];
  if (mode === 'key') {
    if (!key.key) throw new Error('key signing needs COSIGN_KEY');
    args.push('--key', key.key, '--tlog-upload=false');
    // always set, even empty: without it cosign prompts for the password and fails without a TTY
    env.COSIGN_PASSWORD = key.password ?? '';
  }
  args.push(...insecureFlags(target.insecure), target.ref);
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

/** The tag cosign stores the signature of a digest under (sha256-<hex>.sig). */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
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
 * key (tlog off) or keyless mode. `--replace` swaps an older attestation of the same type
 * instead of piling up a second one. Pure.
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
    args: ['attest', '--yes', '--type', attestation.type, '--predicate', attestation.predicateFile, '--replace', ...flags, target.ref],
  };
}

/**
 * The command data of a blob attestation (`cosign attest-blob`): an in-toto statement whose subject
 * is the file (its base name, its sha256), signed like the image's (key with tlog off, or keyless), written
 * as a bundle file (`--bundle`; the DSSE envelope and, keyless, the certificate and tlog entry).
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
  const args = ['attest-blob', '--yes', '--type', attestation.type, '--predicate', attestation.predicateFile, '--bundle', attestation.bundle];
  if (mode === 'key') {
    if (!key.key) throw new Error('key signing needs COSIGN_KEY');
    // cosign runs in the file's folder: a relative key path is resolved here, a KMS URI kept as is
    args.push('--key', /^[a-z0-9]+:\/\//.test(key.key) ? key.key : resolve(key.key), '--tlog-upload=false');
    env.COSIGN_PASSWORD = key.password ?? '';
  }
  args.push(basename(file));
  return { command: opts.cosign ?? 'cosign', args, cwd: dirname(file), env };
}

/** Who must have signed: a public key (the project signs with tlog off), or a keyless identity from Fulcio. */
export type Signer = { key: string } | { identityRegexp: string; issuer: string };

function signerArgs(signer: Signer): string[] {
  if ('key' in signer) return ['--key', signer.key, '--insecure-ignore-tlog=true'];
  return ['--certificate-identity-regexp', signer.identityRegexp, '--certificate-oidc-issuer', signer.issuer];
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
