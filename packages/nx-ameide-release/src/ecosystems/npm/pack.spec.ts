import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import type { PackInput } from '../../core/contract';
import { packNpm } from './pack';
import { createFixtureWorkspace, fixtureContext, type FixtureWorkspace } from './testing/fixture-workspace';

jest.setTimeout(120000);

function packedManifest(tgz: string): Record<string, any> {
  return JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
}

function input(root: string, projectRoot: string, project: string, sha: string, over = {}): PackInput {
  const outDir = join(root, 'dist', project);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  return { workspaceRoot: root, projectRoot, project, context: fixtureContext({ GIT_SHA: sha, ...over }), outDir, log: () => undefined };
}

describe('packNpm on a real pnpm workspace in a temp git repo', () => {
  let ws: FixtureWorkspace;
  let sha: string;
  const cleanup: string[] = [];
  beforeAll(() => {
    ws = createFixtureWorkspace();
    sha = ws.git('rev-parse', 'HEAD');
    cleanup.push(ws.root);
  });
  afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('builds, stamps version + gitHead, rewrites workspace: ranges, and leaves the repository untouched', async () => {
    const manifest = await packNpm(input(ws.root, 'packages/sdk', 'sdk', sha));
    const version = `0.1.0-dev.20251113153211+g${sha.slice(0, 7)}`;
    expect(manifest).toMatchObject({ project: 'sdk', name: '@fx/sdk', ecosystem: 'npm', version, gitSha: sha, channel: 'dev' });
    expect(manifest.files).toHaveLength(1);
    expect(manifest.files[0].file).toMatch(/^dist\/sdk\/fx-sdk-0\.1\.0-dev\.20251113153211.*\.tgz$/);
    expect(manifest.files[0].kind).toBe('tgz');
    const tgz = join(ws.root, manifest.files[0].file);
    const pkg = packedManifest(tgz);
    expect(pkg.version).toBe(version);
    expect(pkg.gitHead).toBe(sha);
    expect(pkg.dependencies).toEqual({ '@fx/cfg': '^0.1.0-dev.20251113153211' });
    expect(pkg.devDependencies).toEqual({ '@fx/cfg': '0.1.0-dev.20251113153211' });
    expect(JSON.stringify(pkg)).not.toContain('workspace:');
    // the build output is in the tarball (build ran before the copy)
    const list = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n');
    expect(list).toContain('package/dist/index.js');
    // the repository keeps its placeholder and its ranges; git sees nothing changed
    expect(ws.git('status', '--porcelain')).toBe('');
    expect(ws.git('show', 'HEAD:packages/sdk/package.json')).toContain('"workspace:^"');
  });

  it('is reproducible: a second clone packed later, with other mtimes, yields the same sha256', async () => {
    const first = await packNpm(input(ws.root, 'packages/cfg', 'cfg', sha));
    const other = mkdtempSync(join(tmpdir(), 'ameide-npm-clone-'));
    cleanup.push(other);
    execFileSync('git', ['clone', '-q', ws.root, other]);
    await new Promise((r) => setTimeout(r, 1200));
    const later = new Date(Date.now() + 86400000);
    utimesSync(join(other, 'packages/cfg/lib/index.js'), later, later);
    const second = await packNpm(input(other, 'packages/cfg', 'cfg', sha));
    expect(second.files[0].sha256).toBe(first.files[0].sha256);
    expect(second.files[0].file).toBe(first.files[0].file);
    const sdk1 = await packNpm(input(ws.root, 'packages/sdk', 'sdk', sha));
    const sdk2 = await packNpm(input(other, 'packages/sdk', 'sdk', sha));
    expect(sdk2.files[0].sha256).toBe(sdk1.files[0].sha256);
  });

  it('the build channel still packs, with the context version', async () => {
    const m = await packNpm(input(ws.root, 'packages/cfg', 'cfg', sha, { CHANNEL: 'build', NPM_VERSION: '0.1.0-build.1' }));
    expect(m.channel).toBe('build');
    expect(packedManifest(join(ws.root, m.files[0].file)).version).toBe('0.1.0-build.1');
  });

  it('publishConfig.directory: packs the build output folder with the stamped manifest, only the files it lists', async () => {
    const dir = join(ws.root, 'packages', 'plug');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'index.ts'), 'export const x = 1;\n');
    const manifest = {
      name: '@fx/plug',
      version: '0.0.0',
      main: './src/index.ts',
      files: ['src', '!**/*.spec.*'],
      publishConfig: { access: 'public', directory: '../../out/plug', main: './src/index.js' },
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    const plugInput = () => ({ ...input(ws.root, 'packages/plug', 'plug', sha), builtByNx: true });
    // Not built yet: a clear refusal naming the build.
    await expect(packNpm(plugInput())).rejects.toThrow(/publishConfig\.directory out\/plug does not exist after the build[\s\S]*nx run plug:build/);
    const out = join(ws.root, 'out', 'plug');
    mkdirSync(join(out, 'src'), { recursive: true });
    writeFileSync(join(out, 'src', 'index.js'), 'exports.x = 1;\n');
    writeFileSync(join(out, 'src', 'index.spec.js'), 'test;\n');
    writeFileSync(join(out, 'package.json'), JSON.stringify({ name: '@fx/plug', version: '9.9.9' }));
    const m = await packNpm(plugInput());
    const tgz = join(ws.root, m.files[0].file);
    const list = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(list).toEqual(['package/package.json', 'package/src/index.js']);
    const pkg = packedManifest(tgz);
    expect(pkg).toMatchObject({ name: '@fx/plug', version: m.version, gitHead: sha, main: './src/index.js', publishConfig: { access: 'public' } });
    expect(pkg.publishConfig.directory).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(ws.root, 'out'), { recursive: true, force: true });
  });

  it.each([
    ['a version other than the placeholder', { version: '1.0.0' }, /version is "1\.0\.0"/],
    ['a workspace: range to a package the workspace lacks', { dependencies: { '@fx/gone': 'workspace:^' } }, /missing dependency version for workspace: range/],
  ])('refuses %s before writing anything', async (_n, change, message) => {
    const bad = createFixtureWorkspace();
    cleanup.push(bad.root);
    const file = join(bad.root, 'packages/sdk/package.json');
    const pkg = JSON.parse(execFileSync('cat', [file], { encoding: 'utf8' }));
    writeFileSync(file, JSON.stringify({ ...pkg, ...change }, null, 2));
    const badSha = bad.commit('bad manifest');
    const inp = input(bad.root, 'packages/sdk', 'sdk', badSha);
    const err = await packNpm(inp).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(err.message).toMatch(message);
    expect(err.message).toContain('packages/sdk/package.json');
    expect(readdirSync(inp.outDir)).toEqual([]);
    expect(existsSync(join(bad.root, 'packages/sdk/dist'))).toBe(false); // the build did not run
  });
});
