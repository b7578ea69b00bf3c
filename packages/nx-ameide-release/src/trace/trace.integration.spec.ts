import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../testing/cli';
import { readProjectStates } from '../affected';
import { PLUGIN_NAME } from '../names';
import { projectDestinations } from '../destinations/run';
import { createNpmEcosystem } from '../ecosystems/npm';
import { pypiEcosystem } from '../ecosystems/pypi';
import { goEcosystem } from '../ecosystems/go';
import { ociRelease } from '../ecosystems/oci/release';
import type { Ecosystem, PackManifest } from '../core/contract';
import type { VersionContext } from '../version/types';
import { createFixtureWorkspace, fixtureContext, type FixtureWorkspace } from '../ecosystems/npm/testing/fixture-workspace';
import { startVerdaccio, type VerdaccioFixture } from '../ecosystems/npm/testing/verdaccio-fixture';
import { startPypiServer, type PypiServer } from '../ecosystems/pypi/testing/pypiserver-fixture';
import { FIXTURE_PYPROJECT } from '../ecosystems/pypi/testing/fixture-project';
import { startRegistry, type RegistryFixture } from '../ecosystems/oci/testing/registry-fixture';
import { isAncestor } from '../git';
import { publishVia } from '../testing/flow';

/**
 * `trace` against real registries: Verdaccio, pypiserver, docker-registry and a bare git mirror.
 * One workspace with three release projects (npm, PyPI, Go), each with its image. Commit A is
 * released as v0.1.0 (npm, PyPI, Go tag, images); commit B is a dev build (npm, PyPI, images; Go
 * publishes nothing on dev). Each SHA's trace must list exactly what was published from it.
 */
jest.setTimeout(420_000);

const REPO_ROOT = join(__dirname, '../../../..');
const VENV = join(REPO_ROOT, '.venv');
const GO_MODULE = 'github.com/fx/sdk-go';
const npmEcosystem = createNpmEcosystem({ isAncestor });
const adapters = { npm: npmEcosystem, pypi: pypiEcosystem, go: goEcosystem };
const PROJECTS: { project: string; root: string; ecosystem: Ecosystem }[] = [
  { project: 'cfg', root: 'packages/cfg', ecosystem: 'npm' },
  { project: 'py', root: 'packages/py', ecosystem: 'pypi' },
  { project: 'gosdk', root: 'packages/gosdk', ecosystem: 'go' },
];

let npmReg: VerdaccioFixture;
let pypi: PypiServer;
let oci: RegistryFixture;
let ws: FixtureWorkspace;
let tmp: string;
let env: Record<string, string>;
const sha = { A: '', B: '' };
const published: Record<'A' | 'B', string[]> = { A: [], B: [] };
const saved = { ...process.env };
const log = () => undefined;

function context(k: 'A' | 'B'): VersionContext {
  if (k === 'A') return fixtureContext({ GIT_SHA: sha.A, CHANNEL: 'release', NPM_VERSION: '0.1.0', PYPI_VERSION: '0.1.0', GHCR_TAGS: ['0.1.0', '0.1', 'latest'] });
  return fixtureContext({ GIT_SHA: sha.B, NPM_VERSION: `0.1.1-dev.20251114100000+g${sha.B.slice(0, 7)}`, PYPI_VERSION: '0.1.1.dev20251114100000', BASE_VERSION: '0.1.1', GO_PSEUDO_VERSION: `v0.1.1-0.20251114100000-${sha.B.slice(0, 12)}`, GHCR_TAGS: [sha.B, 'dev'] });
}

/** pack + publish + image of every project at commit k, as the executors do; records what went where. */
async function release(k: 'A' | 'B'): Promise<void> {
  ws.git('checkout', '-q', sha[k]);
  const ctx = context(k);
  for (const p of PROJECTS) {
    const outDir = join(ws.root, 'dist', p.project);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const adapter = adapters[p.ecosystem as keyof typeof adapters];
    const manifest: PackManifest = await adapter.pack!({ workspaceRoot: ws.root, projectRoot: p.root, project: p.project, context: ctx, outDir, log });
    const config = JSON.parse(readFileSync(join(ws.root, 'nx.json'), 'utf8')).plugins[0].options.destinations;
    const { destinations } = projectDestinations({ workspaceRoot: ws.root, projectRoot: p.root, project: p.project, ecosystem: p.ecosystem, config, env, name: manifest.name });
    const input = { workspaceRoot: ws.root, manifest, context: ctx, destinations, env, log };
    const outcome = await publishVia(adapter, input);
    if (outcome.status === 'published') {
      if (p.ecosystem === 'npm') published[k].push(`npm ${manifest.name}@${manifest.version.replace(/\+.*$/, '')}`); // the registry drops +build
      if (p.ecosystem === 'go') published[k].push(`go ${manifest.name}@${manifest.version}`);
      if (p.ecosystem === 'pypi') for (const f of manifest.files) published[k].push(`pypi ${f.file.split('/').pop()}`);
    }
    const image = await ociRelease({ project: p.project, manifests: [manifest], workspaceRoot: ws.root, context: ctx, destinations, env, isAncestor: (a, d) => isAncestor(ws.root, a, d), dryRun: false, log, sign: 'off' });
    expect([p.project, image.status, image.reason]).toEqual([p.project, 'pushed', undefined]);
    published[k].push(`oci ${image.image}@${image.digest}`);
  }
}

const cli = (...args: string[]) => runCli(ws.root, ...args);

/** One key per artifact of trace --json, comparable with `published`. */
const keys = (artifacts: any[]) =>
  artifacts
    .map((a) => (a.ecosystem === 'pypi' ? `pypi ${a.file}` : a.ecosystem === 'oci' ? `oci ${a.name}@${a.digest}` : `${a.ecosystem} ${a.name}@${a.version}`))
    .sort();

beforeAll(async () => {
  process.env.AMEIDE_UV ||= join(VENV, 'bin', 'uv');
  process.env.AMEIDE_PYTHON ||= join(VENV, 'bin', 'python');
  process.env.AMEIDE_TWINE ||= join(VENV, 'bin', 'twine');
  [npmReg, pypi, oci] = await Promise.all([startVerdaccio(), startPypiServer({ venv: VENV }), startRegistry()]);
  tmp = mkdtempSync(join(tmpdir(), 'ameide-trace-'));
  const bare = join(tmp, 'sdk-go.git');
  execFileSync('git', ['init', '-q', '--bare', bare]);
  env = {
    ...npmReg.env(),
    ...pypi.env,
    AMEIDE_OCI_INSECURE: 'true',
    // the module's derived remote (https://github.com/fx/sdk-go) redirected to the bare repo: never the network
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.${bare}.insteadOf`,
    GIT_CONFIG_VALUE_0: `https://${GO_MODULE}`,
  };
  ws = createFixtureWorkspace();
  ws.write('nx.json', JSON.stringify({ plugins: [{ plugin: PLUGIN_NAME, options: { destinations: { oci: { registry: oci.host, namespace: 'fx' } } } }] }, null, 2));
  const cfg = JSON.parse(readFileSync(join(ws.root, 'packages/cfg/package.json'), 'utf8'));
  ws.write('packages/cfg/package.json', JSON.stringify({ ...cfg, nx: { tags: ['ameide:release'] } }, null, 2));
  ws.write('packages/py/project.json', JSON.stringify({ name: 'py', tags: ['ameide:release'] }));
  ws.write('packages/py/pyproject.toml', FIXTURE_PYPROJECT);
  ws.write('packages/py/README.md', '# py\n');
  ws.write('packages/py/src/ameide_sdk/__init__.py', 'from ._build_info import GIT_SHA, VERSION\n');
  ws.write('packages/py/src/ameide_sdk/_build_info.py', 'VERSION = "0.0.0"\nGIT_SHA = "unknown"\n');
  ws.write('packages/gosdk/project.json', JSON.stringify({ name: 'gosdk', tags: ['ameide:release'] }));
  ws.write('packages/gosdk/go.mod', `module ${GO_MODULE}\n\ngo 1.22\n`);
  ws.write('packages/gosdk/buildinfo.go', 'package sdk\n\nconst sourceSHA = "unknown"\n');
  ws.write('packages/gosdk/LICENSE', 'Apache-2.0\n');
  sha.A = ws.commit('A: three release projects');
  ws.write('packages/py/src/ameide_sdk/extra.py', 'X = 1\n');
  sha.B = ws.commit('B');
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  await release('A');
  await release('B');
});

afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  await Promise.all([npmReg?.dispose(), pypi?.close(), oci?.stop()]);
  if (ws) rmSync(ws.root, { recursive: true, force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('nx-ameide-release trace against real registries', () => {
  it('published what the test expects: A on every registry, B without a Go tag', () => {
    expect(published.A.filter((x) => x.startsWith('go '))).toEqual([`go ${GO_MODULE}@v0.1.0`]);
    expect(published.A).toHaveLength(1 + 2 + 1 + 3);
    expect(published.B).toHaveLength(1 + 2 + 3);
  });

  it.each(['A', 'B'] as const)('trace <sha %s> lists exactly that commit\'s artifacts, short or full SHA', async (k) => {
    const full = await cli('trace', sha[k], '--format', 'json');
    expect([full.code, full.err]).toEqual([0, '']);
    const answer = JSON.parse(full.out);
    expect(answer.sha).toBe(sha[k]);
    expect(keys(answer.artifacts)).toEqual([...published[k]].sort());
    const short = await cli('trace', sha[k].slice(0, 7));
    expect(short.code).toBe(0);
    expect(short.out.split('\n')[0]).toBe(`${sha[k]}: ${published[k].length} artifact(s)`);
    expect(short.out).toContain(k === 'A' ? '0.1.0' : '0.1.1-dev.20251114100000');
  });

  it('an unknown SHA says so and exits 1', async () => {
    const r = await cli('trace', 'deadbee');
    expect(r.code).toBe(1);
    expect(r.err).toContain('no artifact on the configured registries was built from deadbee');
    expect((await cli('trace', 'not-a-sha')).code).toBe(1);
  });

  it('the reverse: an npm, PyPI, OCI or Go artifact gives its SHA and its siblings', async () => {
    const devNpm = context('B').NPM_VERSION.replace(/\+.*$/, '');
    const cases: [string, 'A' | 'B'][] = [
      [`npm:@fx/cfg@${devNpm}`, 'B'],
      ['pypi:ameide-sdk-python==0.1.0', 'A'],
      ['pypi:ameide_sdk_python==0.1.1.dev20251114100000', 'B'],
      [`oci:${oci.host}/fx/sdk-go:latest`, 'A'],
      ['oci:cfg:dev', 'B'],
      [`go:${GO_MODULE}@v0.1.0`, 'A'],
    ];
    for (const [ref, k] of cases) {
      const r = await cli('trace', ref, '--format', 'json');
      expect([ref, r.code, r.err]).toEqual([ref, 0, '']);
      const answer = JSON.parse(r.out);
      expect([ref, answer.sha]).toEqual([ref, sha[k]]);
      expect(keys(answer.artifacts)).toEqual([...published[k]].sort());
    }
    const table = await cli('trace', `go:${GO_MODULE}@v0.1.0`);
    expect(table.out.split('\n')[0]).toBe(`go:${GO_MODULE}@v0.1.0 -> ${sha.A}: ${published.A.length} artifact(s)`);
    const missing = await cli('trace', `go:${GO_MODULE}@v9.9.9`);
    expect([missing.code, missing.err]).toEqual([1, `nx-ameide-release: go:${GO_MODULE}@v9.9.9 is not on its registry\n`]);
    const foreign = await cli('trace', 'npm:left-pad@1.0.0');
    expect(foreign.code).toBe(1);
    expect(foreign.err).toContain('no release project publishes npm left-pad');
  });

  it('affected reads what the dev channel holds per project from the same registries: npm dist-tag dev, newest PyPI .devN (not the release), image :dev', async () => {
    const heads = (states: Awaited<ReturnType<typeof readProjectStates>>) =>
      states.map((x) => [x.project, x.unreadable, x.heads.map((h) => [h.kind, h.sha])]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(heads(await readProjectStates(ws.root, env))).toEqual([
      ['@fx/cfg', [], [['npm', sha.B], ['oci', sha.B]]],
      ['gosdk', [], [['oci', sha.B]]], // Go publishes nothing on the dev channel: its image answers
      ['py', [], [['oci', sha.B], ['pypi', sha.B]]],
    ]);
    // A registry that cannot be read is reported per kind, never taken as "nothing changed".
    const down = await readProjectStates(ws.root, { ...env, AMEIDE_NPM_REGISTRY: 'http://127.0.0.1:9/' });
    const cfg = down.find((x) => x.project === '@fx/cfg')!;
    expect([cfg.heads.map((h) => h.kind), cfg.unreadable]).toEqual([['oci'], [expect.stringMatching(/^npm: /)]]);
  });
});
