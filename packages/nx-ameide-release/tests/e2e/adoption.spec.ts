/**
 * Adoption, as another platform team does it: the plugin is released by itself into the local
 * Verdaccio, then installed FROM THERE into fresh Nx workspaces outside this repository (one made
 * with npm, one with pnpm), set up with `init`, given an npm, a Python and a Go package with `sdk`,
 * and released with the inferred targets, dev channel then a v0.1.0 tag, with no hand edit between
 * the steps. Destinations come from the sandbox's environment variables (AMEIDE_*). Everything
 * else nx needs is installed offline from the caches tools/setup.sh filled.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ociImageName } from '../../src/ecosystems/oci/layout';
import { FreshWorkspace, type PackageManager } from './fresh-workspace';
import { Registries } from './registries';
import { REPO_ROOT, ScratchWorkspace } from './workspace';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const sandbox = require(join(REPO_ROOT, 'tools', 'sandbox', 'sandbox.js'));

const MAIN = 'refs/heads/main';
const PLUGIN = '@ameideio/nx-ameide-release';
const RELEASE_TARGETS = ['version', 'pack', 'publish', 'ghcr', 'smoke'];

let env: Record<string, string>;
let reg: Registries;
let scratch: ScratchWorkspace | undefined;
const temp = mkdtempSync(join(tmpdir(), 'ameide-adoption-'));
const plugin = { version: '', sha: '', tarball: '' };

function expectOk(run: { code: number; output: string }) {
  if (run.code !== 0) throw new Error(`nx failed (exit ${run.code}):\n${run.output.slice(-8000)}`);
}

/** Projects that printed `[<target> <project>] ok:` */
function okProjects(output: string, target: string): string[] {
  return [...new Set([...output.matchAll(new RegExp(`\\[${target} ([\\w.-]+)\\] ok: `, 'g'))].map((m) => m[1]))].sort();
}

beforeAll(async () => {
  const goBin = `${execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim()}/bin`;
  env = await sandbox.up({ root: REPO_ROOT });
  // uv as a team installs it (on PATH, after the system's python3); cosign and go from GOPATH/bin.
  env = { ...env, PATH: `${goBin}:${dirname(process.execPath)}:${process.env.PATH}:${join(REPO_ROOT, '.venv', 'bin')}` };
  reg = new Registries(env);

  // The plugin released by itself: its own pack + publish targets, from a scratch clone of HEAD.
  scratch = new ScratchWorkspace(env);
  const run = scratch.nx(MAIN, ['pack', 'publish'], ['--projects=nx-ameide-release']);
  expectOk(run);
  const manifest = scratch.readJson('dist/nx-ameide-release/pack-manifest.json');
  plugin.version = manifest.version.replace(/\+.*$/, ''); // the registry drops +build metadata
  plugin.sha = manifest.gitSha;

  // The real npm client against the real local registry: the tarball as the registry serves it.
  const vendor = join(temp, 'from-registry');
  mkdirSync(vendor);
  execFileSync('npm', ['pack', `${PLUGIN}@${plugin.version}`, '--registry', env.AMEIDE_NPM_REGISTRY, '--pack-destination', vendor, '--silent'], {
    cwd: vendor,
    env: { ...process.env, npm_config_userconfig: join(temp, 'no-npmrc') },
  });
  plugin.tarball = join(vendor, readdirSync(vendor).find((f) => f.endsWith('.tgz'))!);
}, 15 * 60 * 1000);

afterAll(async () => {
  if (env) await sandbox.down(env);
  if (scratch) rmSync(dirname(scratch.dir), { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
});

describe('the plugin, released by itself', () => {
  it('is on the registry as compiled JS with its version, gitHead, repository, engines and only runtime files', async () => {
    const doc = await reg.npmPackument(PLUGIN);
    const published = doc.versions[plugin.version];
    expect(published.gitHead).toBe(plugin.sha);
    expect(doc['dist-tags'].dev).toBe(plugin.version);
    expect(published).toMatchObject({
      main: './src/index.js',
      types: './src/index.d.ts',
      engines: { node: '>=20' },
      repository: { url: 'git+https://github.com/ameideio/ameide.git', directory: 'packages/nx-ameide-release' },
      bin: { 'nx-ameide-release': expect.stringMatching(/bin\/nx-ameide-release\.js$/) },
    });
    expect(published.publishConfig?.directory).toBeUndefined();
    const files = execFileSync('tar', ['-tzf', plugin.tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files).toEqual(expect.arrayContaining(['package/src/index.js', 'package/src/cli/index.js', 'package/executors.json', 'package/generators.json', 'package/src/generators/sdk/schema.json']));
    expect(files.filter((f) => f.startsWith('package/src/generators/init/files/')).length).toBeGreaterThan(0); // init's workflow templates
    const notRuntime = files.filter((f) => /\.spec\.|\/testing\/|\/testing\.|\/tests\/|\.map$|(?<!\.d)\.ts$/.test(f));
    expect(notRuntime).toEqual([]);
  });

  it('its bin runs from the compiled JS, without TypeScript tooling', () => {
    const dir = join(temp, 'bin-check');
    mkdirSync(dir);
    execFileSync('tar', ['-xzf', plugin.tarball, '-C', dir]);
    const scratchModules = join(scratch!.dir, 'node_modules', '.pnpm', 'node_modules'); // semver, pep440: the runtime dependencies only
    const out = execFileSync(process.execPath, [join(dir, 'package', 'bin', 'nx-ameide-release.js'), 'context', '--cwd', scratch!.dir, '--ref', MAIN, '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: scratchModules, GITHUB_REF: '' },
    });
    expect(JSON.parse(out)).toMatchObject({ GIT_SHA: plugin.sha, CHANNEL: 'dev' });
  });
});

describe.each<PackageManager>(['npm', 'pnpm'])('a fresh %s workspace adopts the plugin', (pm) => {
  const names = {
    npm: { project: `acme-sdk-ts`, pkg: `@acme/${pm}-sdk-ts` },
    pypi: { project: 'acme-sdk-python', pkg: `acme-${pm}-sdk` },
    go: { project: 'acme-sdk-go', module: `github.com/acme/acme-${pm}-sdk-go` },
  };
  const images = [ociImageName(names.npm.pkg), ociImageName(names.pypi.pkg), ociImageName(names.go.module)];
  const projects = [names.npm.project, names.pypi.project, names.go.project].sort();
  let ws: FreshWorkspace;
  let acme: Registries;
  let goMirror: string;
  const shas: Record<string, string> = {};

  beforeAll(() => {
    // This team's destinations: its own OCI namespace, its Go module's mirror (a bare repo standing in for GitHub).
    goMirror = join(temp, `acme-${pm}-sdk-go.git`);
    execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', goMirror]);
    const n = Number(env.GIT_CONFIG_COUNT ?? '0');
    const teamEnv = {
      ...env,
      AMEIDE_OCI_NAMESPACE: 'acme',
      AMEIDE_GO_REMOTE: `https://${names.go.module}`,
      GIT_CONFIG_COUNT: String(n + 1),
      [`GIT_CONFIG_KEY_${n}`]: `url.${goMirror}.insteadOf`,
      [`GIT_CONFIG_VALUE_${n}`]: `https://${names.go.module}`,
    };
    acme = new Registries({ ...teamEnv, SANDBOX_GO_MIRROR: goMirror });
    ws = new FreshWorkspace(pm, plugin.tarball, teamEnv);
  }, 10 * 60 * 1000);

  afterAll(() => {
    if (ws) rmSync(dirname(ws.dir), { recursive: true, force: true });
  });

  it('installs the plugin from the local registry and runs init', () => {
    expect(ws.dir.startsWith(REPO_ROOT)).toBe(false);
    const installed = ws.readJson(`node_modules/${PLUGIN}/package.json`);
    expect(installed.version.replace(/\+.*$/, '')).toBe(plugin.version);
    expect(installed.gitHead).toBe(plugin.sha);
    // The installed CLI runs from the compiled JS (this workspace has no TypeScript loader).
    const ctx = JSON.parse(ws.run(join(ws.dir, 'node_modules', '.bin', 'nx-ameide-release'), ['context', '--ref', MAIN, '--format', 'json']));
    expect(ctx).toMatchObject({ GIT_SHA: ws.git('rev-parse', 'HEAD'), CHANNEL: 'dev' });
    ws.nx(['g', `${PLUGIN}:init`, '--no-interactive']);
    const nxJson = ws.readJson('nx.json');
    expect(nxJson.plugins.filter((p: any) => (typeof p === 'string' ? p : p.plugin) === PLUGIN)).toHaveLength(1);
    ws.readJson('package.json'); // still valid JSON after init
    shas.init = ws.commit('nx g @ameideio/nx-ameide-release:init');
  });

  it('adds an npm, a Python and a Go package with sdk, each with every release target and a passing test', () => {
    ws.nx(['g', `${PLUGIN}:sdk`, '--ecosystem', 'npm', '--name', names.npm.project, '--packageName', names.npm.pkg, '--no-interactive']);
    ws.nx(['g', `${PLUGIN}:sdk`, '--ecosystem', 'pypi', '--name', names.pypi.project, '--packageName', names.pypi.pkg, '--no-interactive']);
    ws.nx(['g', `${PLUGIN}:sdk`, '--ecosystem', 'go', '--name', names.go.project, '--modulePath', names.go.module, '--no-interactive']);
    for (const project of projects) {
      const shown = JSON.parse(ws.nx(['show', 'project', project, '--json']));
      expect(Object.keys(shown.targets)).toEqual(expect.arrayContaining([...RELEASE_TARGETS, 'test']));
    }
    expectOk(ws.runMany(MAIN, ['test'], [`--projects=${names.npm.project},${names.go.project}`]));
    shas.dev = ws.commit('three SDKs');
  });

  it('dev (main): pack, publish into the sandbox, ghcr, smoke', async () => {
    const run = ws.runMany(MAIN, ['pack', 'publish', 'ghcr']);
    expectOk(run);
    for (const project of projects) expect(ws.readJson(`dist/${project}/pack-manifest.json`).gitSha).toBe(shas.dev);
    const npmDoc = await acme.npmPackument(names.npm.pkg);
    const devVersion = npmDoc['dist-tags'].dev;
    expect(npmDoc.versions[devVersion].gitHead).toBe(shas.dev);
    const pyFiles = await acme.pypiFiles(names.pypi.pkg);
    expect(pyFiles.filter((f) => f.endsWith('.whl'))).toHaveLength(1);
    expect(pyFiles.filter((f) => f.endsWith('.tar.gz'))).toHaveLength(1);
    expect(acme.goTags()).toEqual({}); // dev publishes no Go version
    for (const image of images.slice(0, 2)) {
      const bySha = acme.inspect(image, shas.dev)!;
      expect(bySha.Labels['org.opencontainers.image.revision']).toBe(shas.dev);
      expect(acme.inspect(image, 'dev')!.Digest).toBe(bySha.Digest);
    }
    const smoke = ws.runMany(MAIN, ['smoke']);
    expectOk(smoke);
    expect(okProjects(smoke.output, 'smoke')).toEqual(expect.arrayContaining([names.npm.project, names.pypi.project]));
    expect(ws.git('status', '--porcelain')).toBe('');
  });

  it('dev (main): the Go SDK gets its :<sha> and :dev images too', () => {
    const bySha = acme.inspect(images[2], shas.dev);
    expect(bySha?.Labels['org.opencontainers.image.revision']).toBe(shas.dev);
    expect(acme.inspect(images[2], 'dev')?.Digest).toBe(bySha!.Digest);
  });

  it('release (v0.1.0 tag): every ecosystem published, Go tagged on its own mirror, images tagged, smoke ok', async () => {
    ws.tag('v0.1.0');
    const ref = 'refs/tags/v0.1.0';
    expectOk(ws.runMany(ref, ['pack', 'publish', 'ghcr']));
    const npmDoc = await acme.npmPackument(names.npm.pkg);
    expect(npmDoc['dist-tags'].latest).toBe('0.1.0');
    expect(npmDoc.versions['0.1.0'].gitHead).toBe(shas.dev);
    const stem = names.pypi.pkg.replace(/-/g, '_');
    expect(await acme.pypiFiles(names.pypi.pkg)).toEqual(expect.arrayContaining([`${stem}-0.1.0-py3-none-any.whl`, `${stem}-0.1.0.tar.gz`]));
    expect(acme.goTags()).toEqual({ 'v0.1.0': shas.dev });
    for (const image of images) {
      const release = acme.inspect(image, '0.1.0')!;
      expect(release.Labels['org.opencontainers.image.revision']).toBe(shas.dev);
      for (const tag of ['0.1', 'latest']) expect(acme.inspect(image, tag)!.Digest).toBe(release.Digest);
    }
    const smoke = ws.runMany(ref, ['smoke']);
    expectOk(smoke);
    expect(okProjects(smoke.output, 'smoke')).toEqual(projects);
  });

  it('no secret of the sandbox appears in any output', () => {
    const all = ws.outputs.join('\n');
    expect(ws.outputs.length).toBeGreaterThan(5);
    for (const secret of reg.secrets()) expect(all.includes(secret)).toBe(false);
  });
});
