import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { createTempRepo, type TempRepo } from '../git/testing';
import type { PackManifest } from '../core/contract';
import { sha256Hex } from '../hash';
import publishExecutor from './publish/executor';
import ghcrExecutor from './ghcr/executor';
import preflightExecutor from './preflight/executor';

/**
 * The executors resolve destinations before anything else: a project whose destination is
 * refused fails naming the option, and the registry never hears from it. The "registry" here
 * is a real HTTP server on loopback that records every request it gets.
 */

let repo: TempRepo;
let sha: string;
let server: Server;
let registry: string;
const requests: string[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  repo = await createTempRepo('ameide-dest-');
  writeFileSync(join(repo.dir, '.gitignore'), 'dist/\n');
  writeFileSync(join(repo.dir, 'package.json'), JSON.stringify({ name: 'other-team', private: true }));
  mkdirSync(join(repo.dir, 'packages', 'a2'), { recursive: true });
  writeFileSync(join(repo.dir, 'packages', 'a2', 'package.json'), JSON.stringify({ name: '@other/a2', version: '0.0.0' }));
  mkdirSync(join(repo.dir, 'packages', 'g2'), { recursive: true });
  writeFileSync(join(repo.dir, 'packages', 'g2', 'go.mod'), 'module github.com/acme/g2\n');
  sha = await repo.commit('first');
  await repo.tag('v0.1.0');
});
afterAll(async () => {
  repo?.remove();
  await new Promise((ok) => server?.close(ok));
});
beforeEach(() => {
  requests.length = 0;
  for (const k of Object.keys(process.env)) if (/^(AMEIDE_|GITHUB_|NPM_TOKEN|OCI_|COSIGN_|NX_DRY_RUN)/.test(k)) delete process.env[k];
});
afterEach(() => {
  process.env = { ...saved };
});

function packed(project: string, m: Partial<PackManifest>): void {
  const dir = join(repo.dir, 'dist', project);
  mkdirSync(dir, { recursive: true });
  const manifest: PackManifest = { project, name: project, ecosystem: 'npm', version: '0.1.0', gitSha: sha, channel: 'release', files: [], ...m };
  writeFileSync(join(dir, 'pack-manifest.json'), JSON.stringify(manifest));
}

const ctx = (project: string): ExecutorContext =>
  ({
    root: repo.dir,
    projectName: project,
    projectsConfigurations: { version: 2, projects: { [project]: { root: `packages/${project}` } } },
    cwd: repo.dir,
    isVerbose: false,
  }) as unknown as ExecutorContext;

async function run<T>(fn: () => Promise<T>): Promise<{ result: T; out: string }> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((l) => void lines.push(String(l)));
  const err = jest.spyOn(console, 'error').mockImplementation((l) => void lines.push(String(l)));
  try {
    return { result: await fn(), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('destinations are resolved before any side effect', () => {
  it('an npm package outside the configured scope is refused, naming the option, and the registry gets no request', async () => {
    packed('a', { name: '@other/a' });
    Object.assign(process.env, { GITHUB_REF: 'refs/tags/v0.1.0', AMEIDE_NPM_REGISTRY: `http://${registry}/`, NPM_TOKEN: 'npm-token-0123456789' });
    const { result, out } = await run(() => publishExecutor({ ecosystem: 'npm', destinations: { npm: { scope: '@acme' } } }, ctx('a')));
    expect(result.success).toBe(false);
    expect(out).toMatch(/@other\/a is outside the scope @acme/);
    expect(out).toMatch(/"destinations": \{ "npm": \{ "scope": "@other" \} \}[\s\S]*nx\.json[\s\S]*AMEIDE_NPM_SCOPE/);
    expect(requests).toEqual([]);
  });

  it('an image whose namespace cannot be derived is refused, naming the option, and the registry gets no request', async () => {
    packed('b', { name: '@other/b' });
    Object.assign(process.env, { GITHUB_REF: 'refs/tags/v0.1.0', AMEIDE_OCI_REGISTRY: registry, AMEIDE_OCI_INSECURE: 'true' });
    const { result, out } = await run(() => ghcrExecutor({ ecosystem: 'npm', sign: 'off', destinations: {} }, ctx('b')));
    expect(result.success).toBe(false);
    expect(out).toMatch(/whose namespace cannot be derived/);
    expect(out).toMatch(/"oci": \{ "namespace"[\s\S]*AMEIDE_OCI_NAMESPACE/);
    expect(requests).toEqual([]);
  });

  it('a Go module on a host whose paths name no repository is refused before git runs, naming the option', async () => {
    packed('g', { name: 'go.acme.dev/sdk', ecosystem: 'go', version: 'v0.1.0' });
    Object.assign(process.env, { GITHUB_REF: 'refs/tags/v0.1.0' });
    const { result, out } = await run(() => publishExecutor({ ecosystem: 'go' }, ctx('g')));
    expect(result.success).toBe(false);
    expect(out).toMatch(/module go\.acme\.dev\/sdk is on go\.acme\.dev/);
    expect(out).toMatch(/"go": \{ "remote"[\s\S]*AMEIDE_GO_REMOTE/);
  });

  it('AMEIDE_* variables override the option: the dry-run plans the upload to the variable\'s registry', async () => {
    // The dry-run runs the publish flow up to its plan: the packed file is checked, the registry only read.
    mkdirSync(join(repo.dir, 'dist', 'c'), { recursive: true });
    writeFileSync(join(repo.dir, 'dist/c/acme-c-0.1.0.tgz'), 'tgz');
    packed('c', { name: '@acme/c', ecosystem: 'npm', files: [{ file: 'dist/c/acme-c-0.1.0.tgz', sha256: sha256Hex(Buffer.from('tgz')), kind: 'tgz' }] });
    Object.assign(process.env, { GITHUB_REF: 'refs/tags/v0.1.0', AMEIDE_NPM_REGISTRY: `http://${registry}` });
    const options = { ecosystem: 'npm' as const, dryRun: true, destinations: { npm: { registry: 'https://npm.acme.dev/', scope: '@acme' } } };
    const { result, out } = await run(() => publishExecutor(options, ctx('c')));
    expect(result.success).toBe(true);
    expect(out).toContain(`destination npm: registry http://${registry}/ (AMEIDE_NPM_REGISTRY), scope @acme (nx.json / the project configuration)`);
    expect(out).toMatch(new RegExp(`@acme/c@0\\.1\\.0  -> http://${registry.replace(/\./g, '\\.')}/  tags latest.*\\[unknown \\(registry not readable`));
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => !r.startsWith('GET '))).toEqual([]); // read, never written
  });
});

describe('run-wide: a refused destination is a preflight problem (every publish waits for every preflight)', () => {
  it('the preflight of an out-of-scope package lists the refusal in its table, naming the option, and makes no request', async () => {
    packed('a2', { name: '@other/a2', ecosystem: 'npm', files: [] });
    Object.assign(process.env, { GITHUB_REF: 'refs/tags/v0.1.0', AMEIDE_NPM_REGISTRY: `http://${registry}/`, NPM_TOKEN: 'npm-token-0123456789' });
    const { result, out } = await run(() => preflightExecutor({ ecosystem: 'npm', destinations: { npm: { scope: '@acme' } } }, ctx('a2')));
    expect(result.success).toBe(false);
    expect(out).toMatch(/\| a2 \| npm \| destination \| [^|]*@other\/a2 is outside the scope @acme/);
    expect(out).toMatch(/AMEIDE_NPM_SCOPE/);
    expect(requests).toEqual([]);
  });
});

describe('describeSystemError', () => {
  const { describeSystemError } = require('./common') as typeof import('./common');
  const sys = (code: string, path?: string) => Object.assign(new Error(`${code}: boom`), { code, path });
  it('a full disk names the path and how to go on', () => {
    const m = describeSystemError(sys('ENOSPC', '/tmp/x'));
    expect(m).toContain('no space left on the device (/tmp/x)');
    expect(m).toMatch(/fix: free space there, or point TMPDIR/);
  });
  it('a read-only folder says so', () => {
    expect(describeSystemError(sys('EROFS', '/ro'))).toMatch(/cannot write \(\/ro\)[\s\S]*fix:/);
  });
  it('other errors keep their message', () => {
    expect(describeSystemError(new Error('plain'))).toBe('plain');
  });
});
