import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runOrThrow } from '../../exec';
import { ReleaseError } from '../../errors';
import type { VersionContext } from '../../version/types';
import type { PackManifest } from '../../core/contract';
import { goEcosystem } from '../go';
import { readTar } from './image';
import { RegistryClient } from './registry';
import { ociChecks, ociPublishInput, ociRelease, ociSteps, type OciPublishInput, type OciReleaseInput, type OciReleaseResult } from './index';
import { publishFlow } from '../../core/publish-flow';
import type { PublishSteps } from '../../core/contract';
import { attestationTag, referrersTag, signatureTag, verify } from './sign';
import { startRegistry, type RegistryFixture } from './testing/registry-fixture';
import { startTokenServer, type TokenServer } from './testing/token-server';
import { startCountingProxy, type CountingProxy } from './testing/counting-proxy';
import { resolveDestinations, type Destinations } from '../../destinations';

/** The destinations the ghcr executor resolves for this environment (AMEIDE_OCI_* over the defaults). */
const destinationsOf = (env: Record<string, string | undefined>): Destinations =>
  resolveDestinations({ ecosystem: 'npm', facts: { project: 'sdk' }, env }).destinations;

/**
 * End to end against a real docker-registry on loopback: real git for ancestry, real cosign,
 * skopeo to look at the result from the outside.
 */
jest.setTimeout(180_000);

const COSIGN = process.env.COSIGN_BIN ?? join(homedir(), 'go/bin/cosign');
const COMMIT_TIME = '2025-11-13T15:32:11Z';
// test setup uses execFileSync: exec.ts's run() can hit an unhandled EPIPE on stdin when a child exits at once (reported)
const git = async (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

let tmp: string;
let repoDir: string;
let shaA: string; // older commit
let shaB: string; // its child
let key: { priv: string; pub: string };

async function isAncestor(a: string, b: string): Promise<boolean> {
  const res = spawnSync('git', ['merge-base', '--is-ancestor', a, b], { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.status === 0) return true;
  if (res.status === 1) return false;
  throw new Error(res.stderr.toString());
}

function context(sha: string, channel: 'dev' | 'release', releaseTag = '', highest = true): VersionContext {
  const v = releaseTag.replace(/^v/, '');
  const [maj, min] = v.split('.');
  return {
    BASE_VERSION: v || '0.1.0',
    GIT_SHA: sha,
    SHORT_SHA: sha.slice(0, 7),
    DATE: '20251113',
    DATETIME: '20251113153211',
    CHANNEL: channel,
    IS_RELEASE: channel === 'release',
    NPM_VERSION: channel === 'release' ? v : `0.1.0-dev.20251113153211+g${sha.slice(0, 7)}`,
    NPM_DIST_TAG: channel === 'release' ? 'latest' : 'dev',
    PYPI_VERSION: '',
    GO_VERSION: '',
    GO_PSEUDO_VERSION: '',
    GHCR_TAGS: channel === 'release' ? [v, `${maj}.${min}`, ...(highest ? ['latest'] : []), sha] : [sha, 'dev'],
    COMMIT_TIME,
    REF: channel === 'release' ? `refs/tags/${releaseTag}` : 'refs/heads/main',
    RELEASE_TAG: releaseTag,
    IS_HIGHEST_RELEASE: highest,
  };
}

/** A workspace with dist/sdk/ as pack would leave it; the tarball's bytes depend on version and SHA. */
function workspace(root: string, ctx: VersionContext): PackManifest[] {
  const version = ctx.NPM_VERSION;
  const file = `dist/sdk/ameideio-ameide-sdk-ts-${version.replace(/\+.*/, '')}.tgz`;
  const bytes = Buffer.from(`tarball of ${version} at ${ctx.GIT_SHA}\n`.repeat(50));
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  mkdirSync(join(root, 'dist/sdk'), { recursive: true });
  writeFileSync(join(root, file), bytes);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'ws', repository: { url: 'git+https://github.com/ameideio/ameide.git' } }));
  return [
    {
      project: 'sdk', name: '@ameideio/ameide-sdk-ts', ecosystem: 'npm', version, gitSha: ctx.GIT_SHA, channel: ctx.CHANNEL,
      files: [{ file, kind: 'tgz', sha256: createHash('sha256').update(bytes).digest('hex') }],
    },
  ];
}

async function skopeo(ref: string, raw = false): Promise<any> {
  const res = await runOrThrow({ command: 'skopeo', args: ['inspect', ...(raw ? ['--raw'] : []), '--tls-verify=false', `docker://${ref}`] });
  return JSON.parse(res.stdout);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'oci-release-'));
  repoDir = join(tmp, 'repo');
  mkdirSync(repoDir);
  await git(repoDir, 'init', '-q', '-b', 'main');
  for (const msg of ['A', 'B']) {
    writeFileSync(join(repoDir, 'f'), msg);
    await git(repoDir, 'add', 'f');
    await git(repoDir, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', msg);
  }
  shaB = await git(repoDir, 'rev-parse', 'HEAD');
  shaA = await git(repoDir, 'rev-parse', 'HEAD~1');
  const keyDir = join(tmp, 'keys');
  mkdirSync(keyDir);
  await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: keyDir, env: { ...process.env, COSIGN_PASSWORD: 'key-pass' } });
  key = { priv: join(keyDir, 'cosign.key'), pub: join(keyDir, 'cosign.pub') };
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ociRelease against docker-registry (anonymous)', () => {
  let registry: RegistryFixture;
  // Every request of this suite goes through a counting proxy: what was sent to the registry is asserted.
  let reg: CountingProxy;
  let ws: string;
  const runs: Record<string, OciReleaseResult> = {};
  const logs: string[] = [];
  beforeAll(async () => {
    registry = await startRegistry();
    reg = await startCountingProxy(registry.host);
    ws = join(tmp, 'ws-plain');
    mkdirSync(ws);
  });
  afterAll(async () => {
    await reg?.stop();
    await registry?.stop();
  });

  const env = () => ({
    AMEIDE_OCI_REGISTRY: reg.host, AMEIDE_OCI_NAMESPACE: 'ameideio', AMEIDE_OCI_INSECURE: 'true',
    COSIGN_KEY: key.priv, COSIGN_PASSWORD: 'key-pass', COSIGN_BIN: COSIGN,
  });
  const release = (ctx: VersionContext, extra: Partial<OciReleaseInput> = {}) =>
    ociRelease({
      project: 'sdk', manifests: workspace(ws, ctx), workspaceRoot: ws, context: ctx, destinations: destinationsOf(env()), env: env(), isAncestor, dryRun: false,
      log: (l) => logs.push(l), ...extra,
    });
  const image = () => `${reg.host}/ameideio/ameide-sdk-ts`;

  it('dry-run prints image, digest and tags and pushes nothing; two clones of one SHA give one digest', async () => {
    const ctx = context(shaB, 'dev');
    const dry = await release(ctx, { dryRun: true });
    expect(dry.status).toBe('dry-run');
    expect(logs.join('\n')).toContain(`${image()}@${dry.digest}`);
    // the plan the real run executes: <sha> is the artifact, dev the pointer moved after it
    expect(dry.plan.map((p) => [p.artifact.id, p.decision.action])).toEqual([[`${image()}:${shaB}`, 'publish']]);
    expect(logs.join('\n')).toContain(`oci  ${image()}:${shaB}  -> ${reg.host}  tags ${shaB}  [publish]`);
    expect(logs.join('\n')).toMatch(new RegExp(`${image()}:dev  pointer, after the uploads  \\[create: first dev image\\]`));
    expect(reg.writes()).toEqual([]);
    // a second clone: a copy of the workspace elsewhere, same SHA
    const clone = join(tmp, 'clone');
    cpSync(ws, clone, { recursive: true });
    const other = await ociRelease({ project: 'sdk', manifests: workspace(clone, ctx), workspaceRoot: clone, context: ctx, destinations: destinationsOf(env()), env: env(), isAncestor, dryRun: true, log: () => {} });
    expect(other.digest).toBe(dry.digest);
    expect(await new RegistryClient({ registry: reg.host, insecure: true }).listTags('ameideio/ameide-sdk-ts')).toEqual([]);
  });

  it('a key its password does not open stops the run before any push, even without the preflight', async () => {
    reg.reset();
    const err = await release(context(shaB, 'dev'), { env: { ...env(), COSIGN_PASSWORD: 'not-the-pass-31' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toMatch(/does not open with the password in COSIGN_PASSWORD/);
    expect(err.message).not.toContain('not-the-pass-31');
    expect(reg.writes()).toEqual([]);
  });

  it('a dev run pushes <sha> and dev, uploads two blobs and signs the digest', async () => {
    const r = (runs.devB = await release(context(shaB, 'dev')));
    expect(r).toMatchObject({ status: 'pushed', tagsPushed: [shaB, 'dev'], blobsUploaded: 2, signature: 'signed', image: image() });
    expect(await verify({ ref: r.ref, insecure: true }, key.pub, { registry: reg.host }, { cosign: COSIGN })).toBe(true);
  });

  it('re-running is a no-op: no blob upload, no manifest PUT, no signature, success', async () => {
    reg.reset();
    const r = await release(context(shaB, 'dev'));
    expect(r).toMatchObject({ status: 'unchanged', digest: runs.devB.digest, tagsPushed: [], tagsUnchanged: [shaB, 'dev'], blobsUploaded: 0, signature: 'already-signed' });
    expect(r.artifacts.map((a) => [a.id, a.outcome])).toEqual([[`${image()}:${shaB}`, 'already-published']]);
    expect(reg.writes()).toEqual([]);
    expect(reg.requests.some((q) => q.method === 'GET' && q.path.endsWith(`/manifests/${shaB}`))).toBe(true); // it did look
  });

  it('an older dev run does not move dev back (its <sha> is still pushed, unsigned here)', async () => {
    const r = (runs.devA = await release(context(shaA, 'dev'), { sign: 'off' }));
    expect(r.tagsPushed).toEqual([shaA]);
    expect(r.tagsSkipped).toEqual([{ tag: 'dev', reason: expect.stringMatching(/^dev-would-move-back/) }]);
    expect((await skopeo(`${image()}:dev`)).Digest).toBe(runs.devB.digest);
  });

  it('the release of a SHA published on dev moves <sha> to the release image; dev keeps the dev image', async () => {
    const r = (runs.relB = await release(context(shaB, 'release', 'v0.2.0')));
    expect(r.tagsPushed).toEqual(['0.2.0', '0.2', 'latest', shaB]);
    expect(r.plan.find((p) => p.artifact.tags[0] === shaB)?.decision.action).toBe('publish');
    expect(logs.join('\n')).toContain(`${shaB} moves from the dev image ${runs.devB.digest} (still reachable by digest) to this release image`);
    expect(r.blobsUploaded).toBe(2); // another version label and tarball: new layer and config
    const sha = await skopeo(`${image()}:${shaB}`);
    expect(sha.Digest).toBe(r.digest);
    expect((await skopeo(`${image()}:dev`)).Digest).toBe(runs.devB.digest);
    // the dev image stays reachable by digest
    expect((await skopeo(`${image()}@${runs.devB.digest}`)).Digest).toBe(runs.devB.digest);
  });

  it('skopeo shows every tag, one digest per run, and the labels', async () => {
    const latest = await skopeo(`${image()}:latest`);
    expect(latest.Digest).toBe(runs.relB.digest);
    const tags = [...latest.RepoTags].sort();
    expect(tags.filter((t: string) => !/^sha256-/.test(t))).toEqual(['0.2', '0.2.0', shaA, shaB, 'dev', 'latest'].sort());
    // cosign v3 on docker-registry 2.8 (no referrers API): the signature and attestation bundles of each
    // signed digest (dev B and release B) are in its referrers tag, no v2 .sig/.att tag
    expect(tags.filter((t: string) => /^sha256-/.test(t)).sort()).toEqual([referrersTag(runs.devB.digest), referrersTag(runs.relB.digest)].sort());
    expect(tags.filter((t: string) => t === attestationTag(runs.relB.digest) || t === signatureTag(runs.relB.digest))).toEqual([]);
    expect(latest.Labels).toEqual({
      'org.opencontainers.image.created': COMMIT_TIME,
      'org.opencontainers.image.revision': shaB,
      'org.opencontainers.image.version': '0.2.0',
      'org.opencontainers.image.source': 'https://github.com/ameideio/ameide',
      'org.opencontainers.image.title': '@ameideio/ameide-sdk-ts',
      'io.ameide.channel': 'release',
      'io.ameide.project': 'sdk',
    });
    expect(latest.Architecture).toBe('amd64');
    const raw = await skopeo(`${image()}:latest`, true);
    expect(raw.annotations).toEqual(latest.Labels);
    for (const tag of ['0.2.0', '0.2']) expect((await skopeo(`${image()}:${tag}`)).Digest).toBe(runs.relB.digest);
    expect((await skopeo(`${image()}:${shaA}`)).Digest).toBe(runs.devA.digest);
  });

  it('the layer holds the artifacts byte-identical to dist/, with contents.json', async () => {
    const client = new RegistryClient({ registry: reg.host, insecure: true });
    const manifest = JSON.parse((await client.getManifest('ameideio/ameide-sdk-ts', '0.2.0'))!.bytes.toString());
    const layer = readTar(gunzipSync(await client.getBlob('ameideio/ameide-sdk-ts', manifest.layers[0].digest)));
    const m = workspace(ws, context(shaB, 'release', 'v0.2.0'))[0];
    const dist = require('node:fs').readFileSync(join(ws, m.files[0].file));
    expect([...layer.keys()].sort()).toEqual(['ameide/sdk/ameideio-ameide-sdk-ts-0.2.0.tgz', 'ameide/sdk/contents.json']);
    expect(layer.get('ameide/sdk/ameideio-ameide-sdk-ts-0.2.0.tgz')!.equals(dist)).toBe(true);
    const contents = JSON.parse(layer.get('ameide/sdk/contents.json')!.toString());
    expect(contents.files).toEqual([{ name: 'ameideio-ameide-sdk-ts-0.2.0.tgz', kind: 'tgz', sha256: m.files[0].sha256, size: dist.length }]);
  });

  it('cosign verify succeeds for the signed digest, fails for an unsigned one and for a tampered signature', async () => {
    const target = (digest: string) => ({ ref: `${image()}@${digest}`, insecure: true });
    expect(await verify(target(runs.relB.digest), key.pub, { registry: reg.host }, { cosign: COSIGN })).toBe(true);
    expect(await verify(target(runs.devA.digest), key.pub, { registry: reg.host }, { cosign: COSIGN })).toBe(false);
    // tamper: hang the release's bundles (its referrers index) on the unsigned digest
    const client = new RegistryClient({ registry: reg.host, insecure: true });
    const sig = (await client.getManifest('ameideio/ameide-sdk-ts', referrersTag(runs.relB.digest)))!;
    await client.putManifest('ameideio/ameide-sdk-ts', referrersTag(runs.devA.digest), sig.bytes, 'application/vnd.oci.image.index.v1+json');
    expect(await verify(target(runs.devA.digest), key.pub, { registry: reg.host }, { cosign: COSIGN })).toBe(false);
  });

  it('a backport release does not move latest', async () => {
    const r = await release(context(shaA, 'release', 'v0.1.1', true), { sign: 'off' });
    expect(r.tagsPushed).toEqual(['0.1.1', '0.1', shaA]);
    expect(r.tagsSkipped.map((s) => s.tag)).toEqual(['latest']);
    expect((await skopeo(`${image()}:latest`)).Digest).toBe(runs.relB.digest);
  });

  it('a dev run never moves a <sha> that holds the release image', async () => {
    const r = await release(context(shaB, 'dev'));
    expect(r.status).toBe('unchanged');
    expect(r.tagsSkipped).toEqual([{ tag: shaB, reason: expect.stringMatching(/^sha-holds-more-authoritative/) }]);
    expect((await skopeo(`${image()}:${shaB}`)).Digest).toBe(runs.relB.digest);
  });

  it('the preflight finds a release tag with another digest (and a missing signing key) without writing', async () => {
    const ctx = context(shaB, 'release', 'v0.2.0');
    const client = new RegistryClient({ registry: reg.host, insecure: true });
    const before = await client.listTags('ameideio/ameide-sdk-ts');
    const found = await ociChecks({
      project: 'sdk', manifests: workspace(ws, ctx), workspaceRoot: ws, context: ctx, destinations: destinationsOf(env()), isAncestor, dryRun: false, log: () => {},
      env: { ...env(), COSIGN_KEY: join(tmp, 'no-such.key') }, source: 'https://example.com/changed', timeoutMs: 5000,
    });
    expect(found).toEqual([
      expect.objectContaining({ check: 'guard', problem: expect.stringMatching(/COSIGN_KEY points at .*no-such\.key/) }),
      expect.objectContaining({ check: 'version', problem: expect.stringMatching(new RegExp(`ameide-sdk-ts:0\\.2\\.0 is already on .* from this same commit ${shaB}, but with other bytes`)) }),
      expect.objectContaining({ check: 'version', problem: expect.stringMatching(new RegExp(`ameide-sdk-ts:${shaB} is already on .* from this same commit ${shaB}, but with other bytes`)) }),
    ]);
    expect(await client.listTags('ameideio/ameide-sdk-ts')).toEqual(before);
  });

  it('a release tag with another digest from this same commit is refused before anything is written', async () => {
    const ctx = context(shaB, 'release', 'v0.2.0');
    const before = await new RegistryClient({ registry: reg.host, insecure: true }).listTags('ameideio/ameide-sdk-ts');
    reg.reset();
    const err = await release(ctx, { source: 'https://example.com/changed' }).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toContain(`${image()}:0.2.0 is already on ${reg.host} from this same commit ${shaB}, but with other bytes; nothing was uploaded`);
    expect(err.message).toContain('the build is not reproducible');
    expect(reg.writes()).toEqual([]);
    expect(await new RegistryClient({ registry: reg.host, insecure: true }).listTags('ameideio/ameide-sdk-ts')).toEqual(before);
  });

  it('an exact tag held by another commit is refused naming both commits, before any push', async () => {
    // v0.2.0 was released from B; releasing v0.2.0 again from A (signing configured) must send nothing.
    const before = await new RegistryClient({ registry: reg.host, insecure: true }).listTags('ameideio/ameide-sdk-ts');
    reg.reset();
    const err = await release(context(shaA, 'release', 'v0.2.0')).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toContain(`${image()}:0.2.0 is already on ${reg.host}, published from ${shaB}, but this run packed it from ${shaA}; nothing was uploaded`);
    expect(reg.writes()).toEqual([]);
    expect(await new RegistryClient({ registry: reg.host, insecure: true }).listTags('ameideio/ameide-sdk-ts')).toEqual(before);
    expect((await skopeo(`${image()}:0.2.0`)).Digest).toBe(runs.relB.digest);
  });

  it('a concurrent run from another commit that takes X.Y.Z between lookup and push: looked up again, refused naming both, not overwritten', async () => {
    // This run (B) looks up 0.3.0 (absent); before it pushes, another run releases 0.3.0 from A.
    const ctxB = context(shaB, 'release', 'v0.3.0');
    const other = join(tmp, 'ws-concurrent');
    mkdirSync(other, { recursive: true });
    let theirs: OciReleaseResult | undefined;
    const steps: PublishSteps<OciPublishInput> = {
      ...ociSteps,
      async lookup(input, artifact) {
        const held = await ociSteps.lookup(input, artifact);
        if (!theirs) {
          const ctxA = context(shaA, 'release', 'v0.3.0');
          theirs = await ociRelease({ project: 'sdk', manifests: workspace(other, ctxA), workspaceRoot: other, context: ctxA, destinations: destinationsOf(env()), env: env(), isAncestor, dryRun: false, log: () => {}, sign: 'off' });
        }
        return held;
      },
    };
    const input = ociPublishInput({ project: 'sdk', manifests: workspace(ws, ctxB), workspaceRoot: ws, context: ctxB, destinations: destinationsOf(env()), env: env(), isAncestor, dryRun: false, log: (l) => logs.push(l), sign: 'off' });
    const err = await publishFlow(steps, input, { dryRun: false }).catch((e) => e);
    expect(theirs?.tagsPushed).toContain('0.3.0');
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toContain(`${image()}:0.3.0 is already on ${reg.host}, published from ${shaA}, but this run packed it from ${shaB}`);
    expect((await skopeo(`${image()}:0.3.0`)).Digest).toBe(theirs!.digest);
  });

  it('the Go SDK on dev: the module zipped at this SHA under its pseudo-version, pushed as :<sha> and :dev, and Go fetches it from the image', async () => {
    // A real Go pack (not a hand-made manifest): the dev channel packs the module under GO_PSEUDO_VERSION.
    const goWs = join(tmp, 'ws-go');
    const mod = 'github.com/ameideio/ameide-sdk-go';
    mkdirSync(join(goWs, 'packages/sdk_go'), { recursive: true });
    writeFileSync(join(goWs, 'packages/sdk_go/go.mod'), `module ${mod}\n\ngo 1.22\n`);
    writeFileSync(join(goWs, 'packages/sdk_go/buildinfo.go'), 'package ameide\n\nconst sourceSHA = "unknown"\n\nfunc SourceSHA() string { return sourceSHA }\n');
    const pseudo = `v0.1.1-0.20251113153211-${shaB.slice(0, 12)}`;
    const ctx = { ...context(shaB, 'dev'), GO_PSEUDO_VERSION: pseudo };
    const packed = await goEcosystem.pack!({ workspaceRoot: goWs, projectRoot: 'packages/sdk_go', project: 'sdk_go', context: ctx, outDir: join(goWs, 'dist/sdk_go'), log: () => {} });
    expect(packed).toMatchObject({ version: pseudo, channel: 'dev' });

    const r = await ociRelease({ project: 'sdk_go', manifests: [packed], workspaceRoot: goWs, context: ctx, destinations: destinationsOf(env()), env: env(), isAncestor, dryRun: false, log: (l) => logs.push(l) });
    expect(r).toMatchObject({ status: 'pushed', tagsPushed: [shaB, 'dev'], signature: 'signed', image: `${reg.host}/ameideio/ameide-sdk-go` });
    for (const tag of [shaB, 'dev']) {
      const seen = await skopeo(`${reg.host}/ameideio/ameide-sdk-go:${tag}`);
      expect(seen.Digest).toBe(r.digest);
      expect(seen.Labels).toMatchObject({ 'org.opencontainers.image.version': pseudo, 'org.opencontainers.image.revision': shaB, 'io.ameide.channel': 'dev' });
    }

    const client = new RegistryClient({ registry: reg.host, insecure: true });
    const manifest = JSON.parse((await client.getManifest('ameideio/ameide-sdk-go', 'dev'))!.bytes.toString());
    const layer = readTar(gunzipSync(await client.getBlob('ameideio/ameide-sdk-go', manifest.layers[0].digest)));
    const v = `ameide/sdk_go/goproxy/${mod}/@v`;
    expect([...layer.keys()].sort()).toEqual([`ameide/sdk_go/contents.json`, `${v}/list`, `${v}/${pseudo}.info`, `${v}/${pseudo}.mod`, `${v}/${pseudo}.zip`]);
    const zipFile = packed.files.find((f) => f.kind === 'go-zip')!.file;
    expect(layer.get(`${v}/${pseudo}.zip`)!.equals(readFileSync(join(goWs, zipFile)))).toBe(true);

    // What a consumer of the dev image does: GOPROXY=file:// on the copied-out goproxy folder.
    const out = join(tmp, 'go-image');
    for (const [name, data] of layer) {
      mkdirSync(dirname(join(out, name)), { recursive: true });
      writeFileSync(join(out, name), data);
    }
    const consumer = join(tmp, 'go-consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'go.mod'), 'module example.com/consumer\n\ngo 1.22\n');
    writeFileSync(join(consumer, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\n\tsdk "${mod}"\n)\n\nfunc main() { fmt.Print(sdk.SourceSHA()) }\n`);
    const goEnv = {
      ...process.env, GOPROXY: `file://${join(out, 'ameide/sdk_go/goproxy')}`, GOSUMDB: 'off', GOFLAGS: '-mod=mod -modcacherw', GOWORK: 'off', GOTOOLCHAIN: 'local',
      GOPATH: join(consumer, 'gopath'), GOMODCACHE: join(consumer, 'gopath/pkg/mod'),
    };
    execFileSync('go', ['get', `${mod}@${pseudo}`], { cwd: consumer, env: goEnv, stdio: 'pipe' });
    expect(execFileSync('go', ['run', '.'], { cwd: consumer, env: goEnv }).toString()).toBe(shaB);
  });

  it('refuses a signing run without cosign before anything is pushed; --sign=off needs none', async () => {
    const ctx = context(shaA, 'dev');
    const repoTags = () => new RegistryClient({ registry: reg.host, insecure: true }).listTags('ameideio/ameide-sdk-ts');
    const before = await repoTags();
    const noCosign = { ...env(), COSIGN_BIN: join(tmp, 'no-such', 'cosign') };
    const err = await release(ctx, { env: noCosign, source: 'https://example.com/other-digest' }).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toMatch(/COSIGN_BIN is .*no-such\/cosign, which is not an executable file[\s\S]*go install github\.com\/sigstore\/cosign/);
    expect(await repoTags()).toEqual(before);
    const dry = await release(ctx, { env: noCosign, dryRun: true });
    expect(dry.status).toBe('dry-run');
    expect(logs.join('\n')).toMatch(/\[dry-run\] COSIGN_BIN is .* \(a real run stops here, before any push\)/);
  });

  it('refuses to run without signing configured, before touching the registry', async () => {
    const ctx = context(shaB, 'dev');
    const err = await ociRelease({
      project: 'sdk', manifests: workspace(ws, ctx), workspaceRoot: ws, context: ctx, isAncestor, dryRun: false, log: () => {},
      destinations: { oci: { registry: '127.0.0.1:9', namespace: 'ameideio' } },
      env: { AMEIDE_OCI_INSECURE: 'true' },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toMatch(/COSIGN_KEY/);
  });
});

describe('ociRelease against docker-registry with htpasswd', () => {
  let reg: RegistryFixture;
  let ws: string;
  beforeAll(async () => {
    reg = await startRegistry({ auth: { kind: 'htpasswd', username: 'ci', password: 'pw-htpasswd-1' } });
    ws = join(tmp, 'ws-auth');
    mkdirSync(ws);
  });
  afterAll(async () => reg?.stop());

  const input = (ctx: VersionContext, env: Record<string, string | undefined>): OciReleaseInput => ({
    project: 'sdk', manifests: workspace(ws, ctx), workspaceRoot: ws, context: ctx, isAncestor, dryRun: false, log: () => {},
    destinations: { oci: { registry: reg.host, namespace: 'ameideio' } },
    env: { AMEIDE_OCI_REGISTRY: reg.host, AMEIDE_OCI_INSECURE: 'true', COSIGN_KEY: key.priv, COSIGN_PASSWORD: 'key-pass', COSIGN_BIN: COSIGN, ...env },
  });

  it('fails with a clear error without or with wrong credentials', async () => {
    for (const env of [{} as Record<string, string>, { OCI_USERNAME: 'ci', OCI_PASSWORD: 'nope-wrong' }]) {
      const err = await ociRelease(input(context(shaB, 'dev'), env)).catch((e) => e);
      expect(err).toBeInstanceOf(ReleaseError);
      expect(err.message).toMatch(/refused the credentials/);
      expect(err.message).not.toContain('nope-wrong');
    }
  });

  it('the preflight names refused credentials by their variable, never their value, and passes good ones', async () => {
    const check = (env: Record<string, string>) => ociChecks({ ...input(context(shaB, 'dev'), env), timeoutMs: 5000 });
    const wrong = await check({ OCI_USERNAME: 'ci', OCI_PASSWORD: 'nope-wrong' });
    expect(wrong).toEqual([expect.objectContaining({ check: 'credentials', problem: expect.stringMatching(/refused push on ameideio\/ameide-sdk-ts with the credentials in OCI_PASSWORD \(HTTP 401\)/) })]);
    expect(JSON.stringify(wrong)).not.toContain('nope-wrong');
    expect(await check({})).toEqual([expect.objectContaining({ check: 'credentials', problem: expect.stringMatching(/no OCI_USERNAME\/OCI_PASSWORD or GITHUB_TOKEN/) })]);
    expect(await check({ OCI_USERNAME: 'ci', OCI_PASSWORD: 'pw-htpasswd-1' })).toEqual([]);
  });

  it('the preflight refuses a cosign key its password does not open, naming the variable, never the value', async () => {
    const check = (env: Record<string, string>) => ociChecks({ ...input(context(shaB, 'dev'), env), timeoutMs: 5000 });
    const creds = { OCI_USERNAME: 'ci', OCI_PASSWORD: 'pw-htpasswd-1' };
    const wrong = await check({ ...creds, COSIGN_PASSWORD: 'not-the-key-pass-77' });
    expect(wrong).toEqual([expect.objectContaining({ check: 'credentials', problem: expect.stringMatching(/does not open with the password in COSIGN_PASSWORD/) })]);
    expect(JSON.stringify(wrong)).not.toContain('not-the-key-pass-77');
    expect(await check(creds)).toEqual([]);
  });

  it('pushes a dev and a release run with credentials, signs through a temporary docker config, verifies', async () => {
    const creds = { OCI_USERNAME: 'ci', OCI_PASSWORD: 'pw-htpasswd-1' };
    const dev = await ociRelease(input(context(shaB, 'dev'), creds));
    const rel = await ociRelease(input(context(shaB, 'release', 'v1.0.0'), creds));
    expect(dev).toMatchObject({ status: 'pushed', signature: 'signed', tagsPushed: [shaB, 'dev'] });
    expect(rel).toMatchObject({ status: 'pushed', signature: 'signed', tagsPushed: ['1.0.0', '1.0', 'latest', shaB] });
    expect(await verify({ ref: rel.ref, insecure: true }, key.pub, { registry: reg.host, username: 'ci', password: 'pw-htpasswd-1' }, { cosign: COSIGN })).toBe(true);
    const again = await ociRelease(input(context(shaB, 'release', 'v1.0.0'), creds));
    expect(again).toMatchObject({ status: 'unchanged', blobsUploaded: 0, signature: 'already-signed' });
  });
});

describe('ociRelease against docker-registry with the bearer token flow (GHCR-like)', () => {
  let reg: RegistryFixture;
  let tokens: TokenServer;
  let ws: string;
  beforeAll(async () => {
    const dir = join(tmp, 'token');
    mkdirSync(dir);
    tokens = await startTokenServer({ dir, username: 'github-actions', password: 'ghs_fake_github_token' });
    reg = await startRegistry({ auth: { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } });
    ws = join(tmp, 'ws-token');
    mkdirSync(ws);
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('pushes and signs with GITHUB_TOKEN, tokens fetched from the realm with the push scope', async () => {
    const ctx = context(shaB, 'release', 'v3.0.0');
    const logs: string[] = [];
    const r = await ociRelease({
      project: 'sdk', manifests: workspace(ws, ctx), workspaceRoot: ws, context: ctx, isAncestor, dryRun: false, log: (l) => logs.push(l),
      destinations: { oci: { registry: reg.host, namespace: 'ameideio' } },
      env: { AMEIDE_OCI_REGISTRY: reg.host, AMEIDE_OCI_INSECURE: 'true', GITHUB_TOKEN: 'ghs_fake_github_token', COSIGN_KEY: key.priv, COSIGN_PASSWORD: 'key-pass', COSIGN_BIN: COSIGN },
    });
    expect(r).toMatchObject({ status: 'pushed', signature: 'signed', tagsPushed: ['3.0.0', '3.0', 'latest', shaB] });
    expect(tokens.requests.length).toBeGreaterThan(0);
    expect(tokens.requests.every((q) => q.authenticated)).toBe(true);
    // distribution lists the challenge's actions from a Go map: 'pull,push' or 'push,pull'
    expect(tokens.requests.some((q) => q.scopes.some((s) => /^repository:ameideio\/ameide-sdk-ts:(pull,push|push,pull)$/.test(s)))).toBe(true);
    expect(logs.join('\n')).not.toContain('ghs_fake_github_token');
    expect(await verify({ ref: r.ref, insecure: true }, key.pub, { registry: reg.host, username: 'github-actions', password: 'ghs_fake_github_token' }, { cosign: COSIGN })).toBe(true);
  });

  it('the preflight asks the realm for a push token: a wrong GITHUB_TOKEN is named, a good one passes', async () => {
    const ctx = context(shaB, 'release', 'v3.0.0');
    const check = (token: string) =>
      ociChecks({
        project: 'sdk', manifests: workspace(ws, ctx), workspaceRoot: ws, context: ctx, destinations: { oci: { registry: reg.host, namespace: 'ameideio' } }, isAncestor, dryRun: false, log: () => {}, timeoutMs: 5000,
        env: { AMEIDE_OCI_REGISTRY: reg.host, AMEIDE_OCI_INSECURE: 'true', GITHUB_TOKEN: token, COSIGN_KEY: key.priv, COSIGN_PASSWORD: 'key-pass', COSIGN_BIN: COSIGN },
      });
    expect(await check('ghs_wrong_token')).toEqual([expect.objectContaining({ check: 'credentials', problem: expect.stringMatching(/with the credentials in GITHUB_TOKEN \(HTTP 40[13]\)/) })]);
    expect(await check('ghs_fake_github_token')).toEqual([]);
  });
});
