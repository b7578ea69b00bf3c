import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runOrThrow } from '../../exec';
import { findTool } from '../../tools';
import { verifyImage } from '../../evidence/verify';
import type { VersionContext } from '../../version/types';
import type { PackManifest } from '../../core/contract';
import { RegistryClient } from './registry';
import { ociRelease, type OciReleaseResult } from './index';
import { attestationTag, BUNDLE_ARTIFACT_TYPE, BUNDLE_PREDICATE_ANNOTATION, COSIGN_SIGN_PREDICATE, referrersTag, signatureTag, type Signer } from './sign';

/**
 * cosign v3 and v2 against real registries and a real Fulcio, all on loopback, started by the
 * project's sandbox (tools/sandbox: docker-registry 2.8, distribution v3.1.2, a registry with the
 * OCI referrers API, the GitHub-shaped OIDC issuer, Fulcio with a file CA). What is not here:
 * Rekor (no transparency log: keyless runs with tlog upload off) and GitHub's own token service.
 */
jest.setTimeout(300_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sandbox = require('../../../../../tools/sandbox/sandbox.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sigstore = require('../../../../../tools/sandbox/sigstore.js');

const REPO = 'ameideio/ameide';
const WORKFLOW_RE = (file: string) => `^https://github\\.com/${REPO.replace('/', '/')}/\\.github/workflows/${file.replace(/\./g, '\\.')}@`;

let env: Record<string, string>;
let tmp: string;
let cosign: string;
let cosignV2: string;
let password: string;

function context(sha: string): VersionContext {
  return {
    BASE_VERSION: '0.3.0', GIT_SHA: sha, SHORT_SHA: sha.slice(0, 7), DATE: '20251113', DATETIME: '20251113153211', CHANNEL: 'dev',
    IS_RELEASE: false, NPM_VERSION: `0.3.0-dev.20251113153211+g${sha.slice(0, 7)}`, NPM_DIST_TAG: 'dev', PYPI_VERSION: '', GO_VERSION: '', GO_PSEUDO_VERSION: '',
    GHCR_TAGS: [sha, 'dev'], COMMIT_TIME: '2025-11-13T15:32:11Z', REF: 'refs/heads/main', RELEASE_TAG: '', IS_HIGHEST_RELEASE: false,
  };
}

/** What pack leaves for one SHA (one npm tarball), released as a dev image to `registry` under `namespace`. */
async function release(registry: string, namespace: string, sha: string, extraEnv: Record<string, string | undefined>, sign?: 'off'): Promise<OciReleaseResult> {
  const ws = join(tmp, `ws-${registry.replace(/[:.]/g, '-')}-${namespace}-${sha.slice(0, 4)}`);
  mkdirSync(join(ws, 'dist/sdk'), { recursive: true });
  const file = 'dist/sdk/ameideio-ameide-sdk-ts-0.3.0.tgz';
  const bytes = Buffer.from(`tarball at ${sha}\n`.repeat(20));
  writeFileSync(join(ws, file), bytes);
  mkdirSync(join(ws, 'packages/sdk'), { recursive: true });
  writeFileSync(join(ws, 'packages/sdk/package.json'), JSON.stringify({ name: '@ameideio/ameide-sdk-ts', version: '0.0.0', dependencies: {} }));
  const manifest: PackManifest = {
    project: 'sdk', name: '@ameideio/ameide-sdk-ts', ecosystem: 'npm', version: context(sha).NPM_VERSION, gitSha: sha, channel: 'dev',
    files: [{ file, kind: 'tgz', sha256: createHash('sha256').update(bytes).digest('hex') }],
  };
  const runEnv = { AMEIDE_OCI_REGISTRY: registry, AMEIDE_OCI_NAMESPACE: namespace, AMEIDE_OCI_INSECURE: 'true', COSIGN_BIN: cosign, AMEIDE_OCI_SOURCE: `https://github.com/${REPO}`, ...extraEnv };
  return ociRelease({
    project: 'sdk', projectRoot: 'packages/sdk', manifests: [manifest], workspaceRoot: ws, context: context(sha), destinations: { oci: { registry, namespace } },
    env: runEnv, isAncestor: async () => true, dryRun: false, log: () => {}, ...(sign ? { sign } : {}),
  });
}

const keyEnv = () => ({ COSIGN_KEY: env.COSIGN_KEY, COSIGN_PASSWORD: password });
const keySigner = (): Signer => ({ key: env.COSIGN_PUBLIC_KEY });
const verify = (r: OciReleaseResult, signer: Signer, sha: string) =>
  verifyImage({ ref: `${r.image}:${r.tagsPushed[0] ?? sha}`, signer, sha, insecure: true, auth: { registry: r.image.split('/')[0] }, cosign, env: { ...process.env } });
const checks = (report: { checks: { name: string; ok: boolean }[] }) => report.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'FAIL'}`);

/**
 * The predicate types of the Sigstore bundles the referrers API lists for a digest, each read from its
 * manifest (null: the registry has no such API). Asked here with fetch, not with the plugin's client.
 */
async function referrersApi(registry: string, repo: string, digest: string): Promise<string[] | null> {
  const res = await fetch(`http://${registry}/v2/${repo}/referrers/${digest}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
  if (res.status === 404) return null;
  const index = (await res.json()) as { manifests: { digest: string }[] };
  const types: string[] = [];
  for (const d of index.manifests) {
    const m = (await (await fetch(`http://${registry}/v2/${repo}/manifests/${d.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as { artifactType?: string; annotations?: Record<string, string> };
    if (m.artifactType === BUNDLE_ARTIFACT_TYPE) types.push(m.annotations?.[BUNDLE_PREDICATE_ANNOTATION] ?? '?');
  }
  return types.sort();
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ameide-signing-'));
  cosign = findTool('cosign', process.env);
  cosignV2 = join(dirname(cosign), 'cosign-v2');
  env = await sandbox.up({ dir: join(tmp, 'sandbox'), services: ['oci', 'ociV3', 'ociReferrers', 'cosign', 'oidc', 'fulcio'] });
  password = readFileSync(env.COSIGN_PASSWORD_FILE, 'utf8').trim();
}, 180_000);
afterAll(async () => {
  if (env) await sandbox.down(env);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

it('the set-up installed cosign v3 as cosign and v2 as cosign-v2', async () => {
  expect((await runOrThrow({ command: cosign, args: ['version'] })).stdout).toMatch(/GitVersion:\s+v3\.1\./);
  expect((await runOrThrow({ command: cosignV2, args: ['version'] })).stdout).toMatch(/GitVersion:\s+v2\.4\.1/);
});

const SHA = 'b'.repeat(40);
const SIGNED_TYPES = [COSIGN_SIGN_PREDICATE, 'https://cyclonedx.org/bom', 'https://slsa.dev/provenance/v1'].sort();

describe.each([
  ['docker-registry 2.8 (no referrers API: the referrers tag)', () => env.SANDBOX_OCI_REGISTRY, false],
  ['distribution v3.1.2 (no referrers API: the referrers tag)', () => env.SANDBOX_OCI_V3_REGISTRY, false],
  ['a registry with the referrers API', () => env.SANDBOX_OCI_REFERRERS_REGISTRY, true],
])('cosign v3 key signing on %s', (_name, registry, hasApi) => {
  let r: OciReleaseResult;
  beforeAll(async () => {
    r = await release(registry(), 'ameideio', SHA, keyEnv());
  });

  it('signs and attests the digest with bundles, stored as referrers where the API is, else under the referrers tag', async () => {
    expect([r.signature, r.attestations.map((a) => `${a.type} ${a.status}`)]).toEqual(['signed', ['slsaprovenance1 attested', 'cyclonedx attested']]);
    const client = new RegistryClient({ registry: registry(), insecure: true });
    const tags = await client.listTags('ameideio/ameide-sdk-ts');
    expect(tags.filter((t) => t.endsWith('.sig') || t.endsWith('.att'))).toEqual([]); // no v2 tag scheme
    expect(tags.includes(referrersTag(r.digest))).toBe(!hasApi);
    expect(await referrersApi(registry(), 'ameideio/ameide-sdk-ts', r.digest)).toEqual(hasApi ? SIGNED_TYPES : null);
  });

  it('verify accepts it for its SHA (signature, provenance, SBOM); another key is refused', async () => {
    expect(checks(await verify(r, keySigner(), SHA))).toEqual(['signature ok', 'provenance ok', 'sbom ok']);
    const other = join(tmp, `other-${registry().replace(/[:.]/g, '-')}`);
    mkdirSync(other);
    await runOrThrow({ command: cosign, args: ['generate-key-pair'], cwd: other, env: { ...process.env, COSIGN_PASSWORD: 'x' } });
    expect(checks(await verify(r, { key: join(other, 'cosign.pub') }, SHA))).toEqual(['signature FAIL']);
  });

  it('a re-run signs and attests nothing again', async () => {
    const again = await release(registry(), 'ameideio', SHA, keyEnv());
    expect([again.signature, again.attestations.map((a) => a.status)]).toEqual(['already-signed', ['already-attested', 'already-attested']]);
  });
});

describe('an image signed and attested by cosign v2 (the .sig/.att tags)', () => {
  let r: OciReleaseResult;
  beforeAll(async () => {
    // The image goes up unsigned; cosign v2 signs and attests it the way this plugin's v2 releases did.
    r = await release(env.SANDBOX_OCI_REGISTRY, 'v2signed', SHA, keyEnv(), 'off');
    const ws = join(tmp, `ws-${env.SANDBOX_OCI_REGISTRY.replace(/[:.]/g, '-')}-ameideio-${SHA.slice(0, 4)}`); // the v3 run above wrote its statements there
    const ref = `${r.image}@${r.digest}`;
    const v2env = { ...process.env, COSIGN_PASSWORD: password };
    const flags = ['--key', env.COSIGN_KEY, '--tlog-upload=false', '--allow-insecure-registry', '--allow-http-registry'];
    await runOrThrow({ command: cosignV2, args: ['sign', '--yes', ...flags, ref], env: v2env });
    const pred = (f: string, pick: (j: any) => unknown) => {
      const out = join(tmp, `v2-${f}`);
      writeFileSync(out, JSON.stringify(pick(JSON.parse(readFileSync(join(ws, 'dist/release/sdk', f), 'utf8')))));
      return out;
    };
    await runOrThrow({ command: cosignV2, args: ['attest', '--yes', '--type', 'slsaprovenance1', '--predicate', pred('provenance.intoto.json', (j) => j.predicate), '--replace', ...flags, ref], env: v2env });
    await runOrThrow({ command: cosignV2, args: ['attest', '--yes', '--type', 'cyclonedx', '--predicate', pred('sbom.cdx.json', (j) => j), '--replace', ...flags, ref], env: v2env });
  });

  it('carries the v2 tags, and verify (cosign v3) accepts it', async () => {
    const tags = await new RegistryClient({ registry: env.SANDBOX_OCI_REGISTRY, insecure: true }).listTags('v2signed/ameide-sdk-ts');
    expect(tags.filter((t) => /\.(sig|att)$/.test(t)).sort()).toEqual([attestationTag(r.digest), signatureTag(r.digest)].sort());
    expect(checks(await verify(r, keySigner(), SHA))).toEqual(['signature ok', 'provenance ok', 'sbom ok']);
    expect(checks(await verify(r, keySigner(), 'c'.repeat(40)))).toEqual(['signature ok', 'provenance FAIL', 'sbom FAIL']);
  });

  it('a v3 run of the same SHA sees it signed and attested already (no second signature)', async () => {
    const again = await release(env.SANDBOX_OCI_REGISTRY, 'v2signed', SHA, keyEnv());
    expect([again.signature, again.attestations.map((a) => a.status)]).toEqual(['already-signed', ['already-attested', 'already-attested']]);
  });
});

describe('keyless signing through the sandbox Fulcio (GitHub-shaped ID tokens, no transparency log)', () => {
  const job = (workflow: string, sha: string) => sigstore.githubJob(env, { workflow, repository: REPO, ref: 'refs/heads/main', sha });
  const signer = (workflow: string, issuer = env.SANDBOX_OIDC_ISSUER): Signer => ({ identityRegexp: WORKFLOW_RE(workflow), issuer, trustedRoot: env.SANDBOX_SIGSTORE_TRUSTED_ROOT });
  let good: OciReleaseResult;
  let other: OciReleaseResult;
  const SHA_OTHER = 'e'.repeat(40);
  beforeAll(async () => {
    good = await release(env.SANDBOX_OCI_REFERRERS_REGISTRY, 'keyless', SHA, await job('cd-packages.yml', SHA));
    other = await release(env.SANDBOX_OCI_REGISTRY, 'keyless', SHA_OTHER, await job('other.yml', SHA_OTHER));
  });

  it('ghcr signs and attests keylessly: the certificate names the workflow', async () => {
    expect([good.signature, good.attestations.map((a) => `${a.type} ${a.status}`)]).toEqual(['signed', ['slsaprovenance1 attested', 'cyclonedx attested']]);
    expect(await referrersApi(env.SANDBOX_OCI_REFERRERS_REGISTRY, 'keyless/ameide-sdk-ts', good.digest)).toEqual(SIGNED_TYPES);
    const report = await verify(good, signer('cd-packages.yml'), SHA);
    expect(checks(report)).toEqual(['signature ok', 'provenance ok', 'sbom ok']);
  });

  it('verify --certificate-identity-regexp refuses another workflow, another issuer, and an image a token of another workflow signed', async () => {
    expect(checks(await verify(good, signer('other.yml'), SHA))).toEqual(['signature FAIL']);
    expect(checks(await verify(good, signer('cd-packages.yml', 'https://token.actions.githubusercontent.com'), SHA))).toEqual(['signature FAIL']);
    expect(other.signature).toBe('signed'); // Fulcio certifies any trusted token: the identity check is the verifier's
    expect(checks(await verify(other, signer('cd-packages.yml'), SHA_OTHER))).toEqual(['signature FAIL']);
    expect(checks(await verify(other, signer('other.yml'), SHA_OTHER))).toEqual(['signature ok', 'provenance ok', 'sbom ok']);
  });

  it('a bad ACTIONS_ID_TOKEN_REQUEST_TOKEN gets no token, so nothing is signed', async () => {
    const bad = { ...(await job('cd-packages.yml', 'f'.repeat(40))), ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-the-token' };
    await expect(release(env.SANDBOX_OCI_REFERRERS_REGISTRY, 'keyless', 'f'.repeat(40), bad)).rejects.toThrow();
  });
});
