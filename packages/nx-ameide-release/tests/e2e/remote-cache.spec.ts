/**
 * A shared Nx remote cache (Nx's self-hosted protocol, served by the sandbox's nginx) between CI
 * agents, and a poisoned entry in it. Agent A packs; agent B, a fresh clone with an empty local
 * cache, replays `pack` from the remote cache and publishes the very bytes A packed. Then an
 * entry of the release's pack is altered in the cache's storage (CVE-2025-36852 class: a writer
 * that is not the release pipeline) and a release reading it must refuse before any upload.
 * Real git, real registries (Verdaccio, pypiserver, a bare Go mirror), real Nx, real cache server.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Registries } from './registries';
import { REPO_ROOT, sandbox, sandboxEnv, ScratchWorkspace } from './workspace';

const MAIN = 'refs/heads/main';
const TAG = 'v0.1.0';
const RELEASE = `refs/tags/${TAG}`;
const PAYLOAD = ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go'];

let env: Record<string, string>;
let reg: Registries;
let scratch: string;
const workspaces: ScratchWorkspace[] = [];
let a: ScratchWorkspace;

const token = (name: 'NX_CACHE_TOKEN' | 'NX_CACHE_READ_TOKEN') => readFileSync(env[`${name}_FILE`], 'utf8').trim();

/** What an agent sets to use the remote cache; its local cache is its own empty folder. */
function agent(name: string, tokenName: 'NX_CACHE_TOKEN' | 'NX_CACHE_READ_TOKEN'): Record<string, string> {
  return {
    NX_SELF_HOSTED_REMOTE_CACHE_SERVER: env.SANDBOX_NX_CACHE_URL,
    NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token(tokenName),
    NX_CACHE_DIRECTORY: join(scratch, `${name}-local-cache`),
  };
}

/** Nx colours its task lines even with CI=true; the assertions read the plain text. */
const plain = (run: { code: number; output: string }) => ({ code: run.code, output: run.output.replace(/\x1b\[[0-9;]*m/g, '') });

function expectOk(run: { code: number; output: string }) {
  if (run.code !== 0) throw new Error(`nx failed (exit ${run.code}):\n${run.output.slice(-8000)}`);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** file (workspace-relative) -> sha256, as the pack manifests of a workspace list them. */
function packed(ws: ScratchWorkspace, projects = PAYLOAD): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of projects) for (const f of ws.readJson(`dist/${p}/pack-manifest.json`).files) out[f.file] = f.sha256;
  return out;
}

function getBytes(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function put(url: string, body: Buffer, bearer: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', agent: false, headers: { authorization: `Bearer ${bearer}`, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const storage = () => join(env.SANDBOX_NX_CACHE_STORAGE, 'v1', 'cache');
const accessLog = () => readFileSync(env.SANDBOX_NX_CACHE_ACCESS_LOG, 'utf8').trim().split('\n');
const tarList = (file: string) => execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n');

/** The stored entry (task hash) holding `project`'s pack output for `channel`. */
function packEntry(project: string, channel: string): string {
  const manifest = `dist/${project}/pack-manifest.json`;
  const hits = readdirSync(storage()).filter((hash) => {
    const file = join(storage(), hash);
    if (!tarList(file).includes(manifest)) return false;
    return JSON.parse(execFileSync('tar', ['-xzOf', file, manifest], { encoding: 'utf8' })).channel === channel;
  });
  expect(hits).toHaveLength(1);
  return hits[0];
}

/**
 * What a hostile writer does to a stored `configuration:pack` entry: a file added to the npm
 * tarball, and the pack manifest's sha256 updated to match, so the manifest alone cannot tell.
 * Returns the forged entry's bytes.
 */
function forgeEntry(hash: string): Buffer {
  const work = mkdtempSync(join(scratch, 'forge-'));
  const entry = join(work, 'entry');
  mkdirSync(entry);
  execFileSync('tar', ['-xzf', join(storage(), hash), '-C', entry]);
  const manifestFile = join(entry, 'dist/configuration/pack-manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const tgz = join(entry, manifest.files[0].file);
  const pkg = join(work, 'pkg');
  mkdirSync(pkg);
  execFileSync('tar', ['-xzf', tgz, '-C', pkg]);
  writeFileSync(join(pkg, 'package', 'postinstall-payload.js'), "require('child_process').execSync('id');\n");
  execFileSync('tar', ['-czf', tgz, '-C', pkg, 'package']);
  manifest.files[0].sha256 = sha256(readFileSync(tgz));
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  const forged = join(work, 'forged.tar.gz');
  execFileSync('tar', ['-czf', forged, '-C', entry, ...readdirSync(entry)]);
  return readFileSync(forged);
}

beforeAll(async () => {
  env = await sandboxEnv(['npm', 'pypi', 'go', 'nxCache']);
  reg = new Registries(env);
  scratch = mkdtempSync(join(tmpdir(), 'ameide-rcache-'));
  a = new ScratchWorkspace(env);
  workspaces.push(a);
}, 10 * 60 * 1000);

afterAll(async () => {
  if (env) await sandbox.down(env);
  for (const ws of workspaces) rmSync(dirname(ws.dir), { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the remote cache between two agents', () => {
  let fromA: Record<string, string>;
  let b: ScratchWorkspace;

  it('agent A packs and stores every pack in the remote cache', () => {
    expectOk(a.nx(MAIN, ['pack'], [], agent('a', 'NX_CACHE_TOKEN')));
    fromA = packed(a);
    const stored = accessLog().filter((l) => / PUT \/v1\/cache\/\S+ 201 /.test(l));
    expect(stored.length).toBeGreaterThanOrEqual(PAYLOAD.length);
    for (const p of PAYLOAD) packEntry(p, 'dev');
  });

  it('agent B (fresh clone, empty local cache, read-only token) replays pack from the remote cache: the same bytes', () => {
    b = new ScratchWorkspace(env, REPO_ROOT, a.head()); // the same commit, whatever this checkout does meanwhile
    workspaces.push(b);
    expect(b.head()).toBe(a.head());
    const run = plain(b.nx(MAIN, ['pack'], [], agent('b', 'NX_CACHE_READ_TOKEN')));
    expectOk(run);
    for (const p of PAYLOAD) expect(run.output).toContain(`nx run ${p}:pack  [remote cache]`);
    expect(run.output).toMatch(/Nx read the output from the cache instead of running the command for (\d+) out of \1 tasks/);
    expect(packed(b)).toEqual(fromA);
  });

  it('agent B publishes them: the preflight rebuilds what the cache restored, finds it identical, and the registries hold A\'s bytes', async () => {
    const run = plain(b.nx(MAIN, ['publish'], [], agent('b', 'NX_CACHE_READ_TOKEN')));
    expectOk(run);
    const costs = [...run.output.matchAll(/\[preflight ([\w-]+)\] pack integrity: restored from a cache, rebuilt and identical \((\d+) file\(s\), (\d+) ms\)/g)];
    expect(costs.map((m) => m[1]).filter((p) => PAYLOAD.includes(p)).sort()).toEqual([...PAYLOAD].sort());
    // The measured cost of the check, per project (reported in docs/remote-cache.md).
    console.log(`pack integrity cost on agent B: ${costs.map((m) => `${m[1]} ${m[3]} ms`).join(', ')}`);

    // npm: the tarball Verdaccio serves is the one A packed.
    for (const [name, project] of [['@ameideio/configuration', 'configuration'], ['@ameideio/ameide-sdk-ts', 'ameide_sdk_ts']]) {
      const m = a.readJson(`dist/${project}/pack-manifest.json`);
      const doc = await reg.npmPackument(name);
      const version = m.version.replace(/\+.*$/, '');
      const tarball = await getBytes(doc.versions[version].dist.tarball);
      expect(tarball.status).toBe(200);
      expect(sha256(tarball.body)).toBe(m.files[0].sha256);
    }
    // PyPI: pypiserver's index names each file's sha256.
    const index = await getBytes(`${env.AMEIDE_PYPI_INDEX_URL.replace(/\/?$/, '/')}ameide-sdk-python/`);
    const served = Object.fromEntries([...index.body.toString('utf8').matchAll(/href="[^"]*?([^/"#]+)#sha256=([0-9a-f]{64})"/g)].map((m) => [m[1], m[2]]));
    const py = a.readJson('dist/ameide_sdk_python/pack-manifest.json').files as Array<{ file: string; sha256: string }>;
    expect(py.length).toBeGreaterThanOrEqual(2);
    for (const f of py) expect(served[f.file.split('/').pop()!]).toBe(f.sha256);
  });
});

describe('a poisoned cache entry', () => {
  let hash: string;
  let c: ScratchWorkspace;

  it('the release pipeline (agent A) packs the tagged commit into the remote cache', () => {
    a.tag(TAG);
    expectOk(a.nx(RELEASE, ['pack'], [], agent('a', 'NX_CACHE_TOKEN')));
    hash = packEntry('configuration', 'release');
  });

  it('the cache server refuses a forged entry over the stored one: 403 with a read-only token, 409 with a write token', async () => {
    const forged = forgeEntry(hash);
    const url = `${env.SANDBOX_NX_CACHE_URL}/v1/cache/${hash}`;
    expect(await put(url, forged, token('NX_CACHE_READ_TOKEN'))).toBe(403);
    expect(await put(url, forged, token('NX_CACHE_TOKEN'))).toBe(409);
    expect(await put(url, forged, 'not-a-token')).toBe(401);
    // A writer reaching the storage itself (or an entry stored before the release computed it) gets through:
    const file = join(storage(), hash);
    writeFileSync(`${file}.tmp`, forged);
    renameSync(`${file}.tmp`, file);
  });

  it('a release on a fresh agent reads the poisoned entry and refuses in preflight: nothing is published anywhere', async () => {
    c = new ScratchWorkspace(env, a.dir);
    workspaces.push(c);
    const run = plain(c.nx(RELEASE, ['publish'], [], agent('c', 'NX_CACHE_TOKEN')));
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('nx run configuration:pack  [remote cache]');
    expect(run.output).toMatch(/\| configuration \| npm \| artifact \| dist\/configuration\/ameideio-configuration-0\.1\.0\.tgz is not what this commit packs to \(sha256 [0-9a-f]{12}… vs [0-9a-f]{12}… rebuilt\): a cache entry for configuration:pack was altered or forged \|/);
    expect(run.output).toContain('re-run with `--skip-nx-cache`');
    expect(run.output).toMatch(/preflight found \d+ problem\(s\) in configuration/);
    expect(run.output).not.toMatch(/\] published: /);
    expect(await reg.npmVersions('@ameideio/configuration')).not.toContain('0.1.0');
    expect(await reg.npmVersions('@ameideio/ameide-sdk-ts')).not.toContain('0.1.0');
    expect((await reg.pypiFiles('ameide-sdk-python')).filter((f) => /-0\.1\.0(-py3|\.tar\.gz)/.test(f))).toEqual([]); // dev files (0.1.0.devN) stay
    expect(reg.goTags()).toEqual({});
  });

  it('the fix as printed (--skip-nx-cache) publishes the genuine bytes', async () => {
    const run = c.nx(RELEASE, ['publish'], ['--skip-nx-cache'], agent('c', 'NX_CACHE_TOKEN'));
    expectOk(run);
    const genuine = a.readJson('dist/configuration/pack-manifest.json').files[0].sha256;
    const doc = await reg.npmPackument('@ameideio/configuration');
    expect(sha256((await getBytes(doc.versions['0.1.0'].dist.tarball)).body)).toBe(genuine);
    expect(Object.keys(reg.goTags())).toEqual([TAG]);
  });

  it('no cache token appears in any output', () => {
    const secrets = [token('NX_CACHE_TOKEN'), token('NX_CACHE_READ_TOKEN')];
    for (const ws of workspaces) for (const out of ws.outputs) for (const s of secrets) expect(out).not.toContain(s);
  });
});
