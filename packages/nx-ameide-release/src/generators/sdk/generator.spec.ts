import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readJson, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { createNodes } from '../../index';
import { releaseTargets } from '../../plugin/targets';
import sdkGenerator, { goPackageName, type SdkOptions } from './generator';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..', '..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The tree as files on disk (createNodes and the generated tests read real files). */
function materialize(tree: Tree): string {
  const dir = mkdtempSync(join(tmpdir(), 'ameide-sdk-gen-'));
  dirs.push(dir);
  for (const change of tree.listChanges()) {
    if (change.type === 'DELETE' || !change.content) continue;
    mkdirSync(dirname(join(dir, change.path)), { recursive: true });
    writeFileSync(join(dir, change.path), change.content);
  }
  return dir;
}

/** Runs the plugin's createNodes on the generated project's project.json, as Nx would. */
async function inferredTargets(dir: string, projectJson: string, pluginOptions: Record<string, unknown> = {}) {
  const results = await createNodes[1]([projectJson], pluginOptions, { workspaceRoot: dir, nxJsonConfiguration: {} } as any);
  return results.flatMap(([, r]) => Object.entries(r.projects ?? {}));
}

function runIn(cwd: string, command: string, args: string[]) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const has = (cmd: string) => spawnSync(cmd, ['version'], { encoding: 'utf8' }).status === 0;

describe('sdk generator', () => {
  const cases: Array<{ why: string; options: SdkOptions; root: string; manifest: string; files: string[] }> = [
    {
      why: 'npm: package.json at 0.0.0, CommonJS source with buildInfo(), a node --test test',
      options: { ecosystem: 'npm', name: 'acme-sdk-ts', packageName: '@acme/acme-sdk-ts' },
      root: 'packages/acme-sdk-ts',
      manifest: 'package.json',
      files: ['src/index.js', 'src/index.d.ts', 'test/index.test.js', 'README.md', 'project.json'],
    },
    {
      why: 'pypi: hatchling pyproject at 0.0.0, _build_info.py placeholders, a pytest test',
      options: { ecosystem: 'pypi', name: 'acme-sdk-python', packageName: 'acme-sdk' },
      root: 'packages/acme-sdk-python',
      manifest: 'pyproject.toml',
      files: ['src/acme_sdk/__init__.py', 'src/acme_sdk/_build_info.py', 'tests/test_build_info.py', 'README.md', 'project.json'],
    },
    {
      why: 'go: go.mod with the module path, buildinfo.go with the sourceSHA placeholder, a go test',
      options: { ecosystem: 'go', name: 'acme-sdk-go', modulePath: 'github.com/acme/acme-sdk-go', directory: 'sdks/go' },
      root: 'sdks/go',
      manifest: 'go.mod',
      files: ['buildinfo.go', 'buildinfo_test.go', 'README.md', 'project.json'],
    },
  ];

  it.each(cases)('$why', async ({ options, root, manifest, files }) => {
    const tree = createTreeWithEmptyWorkspace();
    await sdkGenerator(tree, options);
    for (const f of [manifest, ...files]) expect(tree.exists(`${root}/${f}`)).toBe(true);
    const project = readJson(tree, `${root}/project.json`);
    expect(project).toMatchObject({ name: options.name, tags: ['ameide:release'] });
    expect(project.targets.test.executor).toBe('nx:run-commands');
    const text = tree.read(`${root}/${manifest}`, 'utf8')!;
    if (manifest === 'package.json') expect(JSON.parse(text)).toMatchObject({ name: '@acme/acme-sdk-ts', version: '0.0.0', files: ['src'], engines: { node: '>=20' } });
    if (manifest === 'pyproject.toml') expect(text).toMatch(/^name = "acme-sdk"\nversion = "0\.0\.0"$/m);
    if (manifest === 'go.mod') expect(text).toBe('module github.com/acme/acme-sdk-go\n\ngo 1.22\n');
    expect(readNxJson(tree)).toEqual(readNxJson(createTreeWithEmptyWorkspace())); // no nx.json edit

    // The plugin's own createNodes, on the generated files, gives the project every release target.
    const dir = materialize(tree);
    const projects = await inferredTargets(dir, `${root}/project.json`);
    expect(projects).toHaveLength(1);
    const [inferredRoot, node] = projects[0];
    expect(inferredRoot).toBe(root);
    const ecosystem = options.ecosystem as 'npm' | 'pypi' | 'go';
    expect(Object.keys(node.targets!).sort()).toEqual(Object.keys(releaseTargets({ root, name: options.name, ecosystem })).sort());
    expect(node.targets!.pack.options).toEqual({ ecosystem });
  });

  it('the generated tests are real and pass: node --test, pytest, go test', async () => {
    const tree = createTreeWithEmptyWorkspace();
    for (const c of cases) await sdkGenerator(tree, c.options);
    const dir = materialize(tree);
    const npm = runIn(join(dir, 'packages/acme-sdk-ts'), process.execPath, ['--test']);
    expect(npm.output).toMatch(/# pass 1/);
    expect(npm.code).toBe(0);
    const python = join(REPO_ROOT, '.venv', 'bin', 'python');
    if (existsSync(python)) {
      const py = runIn(join(dir, 'packages/acme-sdk-python'), python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider']);
      expect(py.output).toMatch(/1 passed/);
      expect(py.code).toBe(0);
    }
    if (has('go')) {
      const go = runIn(join(dir, 'sdks/go'), 'go', ['test', './...']);
      expect(go.output).toMatch(/^ok\s+github\.com\/acme\/acme-sdk-go/m);
      expect(go.code).toBe(0);
    }
    // A broken placeholder makes the generated test fail: it checks something.
    writeFileSync(join(dir, 'packages/acme-sdk-ts/package.json'), JSON.stringify({ name: '@acme/acme-sdk-ts', version: '1.2.3' }));
    expect(runIn(join(dir, 'packages/acme-sdk-ts'), process.execPath, ['--test']).code).not.toBe(0);
  }, 120_000);

  it("uses the plugin's configured releaseTag from nx.json", async () => {
    const tree = createTreeWithEmptyWorkspace();
    updateNxJson(tree, { ...readNxJson(tree), plugins: [{ plugin: '@ameideio/nx-ameide-release', options: { releaseTag: 'acme:release' } }] });
    await sdkGenerator(tree, { ecosystem: 'npm', name: 'acme-ts' });
    expect(readJson(tree, 'packages/acme-ts/project.json').tags).toEqual(['acme:release']);
    const dir = materialize(tree);
    expect(await inferredTargets(dir, 'packages/acme-ts/project.json', { releaseTag: 'acme:release' })).toHaveLength(1);
    expect(await inferredTargets(dir, 'packages/acme-ts/project.json')).toHaveLength(0);
  });

  it.each<[string, SdkOptions, RegExp]>([
    ['an unknown ecosystem', { ecosystem: 'maven' as any, name: 'x' }, /--ecosystem is "maven"[\s\S]*fix: choose npm, pypi or go/],
    ['a project name with a space', { ecosystem: 'npm', name: 'acme sdk' }, /not a valid Nx project name/],
    ['an npm name with capitals', { ecosystem: 'npm', name: 'x', packageName: '@Acme/X' }, /not a valid npm package name[\s\S]*--packageName/],
    ['a Go package without a module path', { ecosystem: 'go', name: 'x' }, /needs its module path[\s\S]*fix: pass --modulePath/],
    ['a Go module path without a host', { ecosystem: 'go', name: 'x', modulePath: 'acme-sdk' }, /is not a Go module path/],
    ['a directory outside the workspace', { ecosystem: 'npm', name: 'x', directory: '../x' }, /not a folder inside the workspace/],
  ])('refuses %s before writing anything', async (_why, options, message) => {
    const tree = createTreeWithEmptyWorkspace();
    const before = tree.listChanges().length;
    await expect(sdkGenerator(tree, options)).rejects.toThrow(message);
    expect(tree.listChanges()).toHaveLength(before);
  });

  it('refuses an existing project name or a non-empty directory', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await sdkGenerator(tree, { ecosystem: 'npm', name: 'acme' });
    await expect(sdkGenerator(tree, { ecosystem: 'pypi', name: 'acme' })).rejects.toThrow(/a project named acme already exists/);
    await expect(sdkGenerator(tree, { ecosystem: 'pypi', name: 'other', directory: 'packages/acme' })).rejects.toThrow(/packages\/acme already exists and is not empty/);
  });

  it.each([
    ['github.com/acme/acme-sdk-go', 'acmesdk'],
    ['github.com/acme/go-widgets/v2', 'widgets'],
    ['example.com/x/2fa', 'sdk2fa'],
  ])('Go package name of %s is %s', (modulePath, pkg) => expect(goPackageName(modulePath)).toBe(pkg));
});
