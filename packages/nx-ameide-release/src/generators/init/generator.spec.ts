import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { FsTree, flushChanges } from 'nx/src/generators/tree';
import { ReleaseError } from '../../errors';
import initGenerator, { NAMED_INPUTS, WORKFLOW_PATH, prerequisitesText } from './generator';

const PLUGIN = '@ameideio/nx-ameide-release';
const pluginEntries = (tree: Tree) =>
  (readNxJson(tree)!.plugins ?? []).filter((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN);

/**
 * An empty Nx workspace on disk as `create-nx-workspace --preset=apps` leaves it: package.json,
 * the package manager's lockfile, an nx.json with no plugins and no named inputs.
 */
function emptyWorkspace(lockfile: string, packageJson: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ameide-init-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme', private: true, ...packageJson }, null, 2));
  writeFileSync(join(dir, lockfile), '');
  writeFileSync(join(dir, 'nx.json'), JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2));
  return dir;
}

let printed: string[] = [];
beforeEach(() => {
  printed = [];
  jest.spyOn(logger, 'info').mockImplementation((m) => void printed.push(String(m)));
});
afterEach(() => jest.restoreAllMocks());

async function initOnDisk(dir: string, options = {}) {
  const tree = new FsTree(dir, false);
  await initGenerator(tree, options);
  const changes = tree.listChanges();
  flushChanges(dir, changes);
  return changes.map((c) => `${c.type} ${c.path}`);
}

describe('init on an empty workspace (real files, Nx package-manager detection)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each([
    { pm: 'npm', lockfile: 'package-lock.json', install: 'npm ci', exec: 'npx nx affected -t lint test pack' },
    { pm: 'pnpm', lockfile: 'pnpm-lock.yaml', install: 'pnpm install --frozen-lockfile', exec: 'pnpm exec nx affected -t lint test pack' },
    { pm: 'yarn', lockfile: 'yarn.lock', install: 'yarn install', exec: 'yarn nx affected -t lint test pack' },
  ])('$pm: registers the plugin, adds the named inputs, writes the $pm workflow; a second run changes nothing', async ({ pm, lockfile, install, exec }) => {
    const dir = emptyWorkspace(lockfile);
    dirs.push(dir);
    expect((await initOnDisk(dir)).sort()).toEqual([`CREATE ${WORKFLOW_PATH}`, 'CREATE .gitignore', 'UPDATE nx.json']);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^\.venv\/$/m);

    const nxJson = JSON.parse(readFileSync(join(dir, 'nx.json'), 'utf8'));
    expect(nxJson.plugins).toEqual([{ plugin: PLUGIN, options: { releaseTag: 'ameide:release' } }]);
    expect(nxJson.namedInputs).toEqual(NAMED_INPUTS);
    const workflow = readFileSync(join(dir, WORKFLOW_PATH), 'utf8');
    expect(workflow).toContain(`(${pm}); regenerate`);
    expect(workflow).toContain(`      - run: ${install}`);
    expect(workflow).toContain(exec);
    expect(workflow).toContain(`cache: ${pm}`);
    expect(workflow.includes('pnpm/action-setup')).toBe(pm === 'pnpm');
    expect(workflow.includes('corepack enable')).toBe(pm === 'yarn');

    expect(printed.join('\n')).toMatch(/prerequisites[^]*\n  uv [^]*\n  go [^]*\n  cosign /);
    expect(await initOnDisk(dir)).toEqual([]);
  });

  it('pnpm without a packageManager field: the setup action gets a version; with one, it reads the field', async () => {
    const bare = emptyWorkspace('pnpm-lock.yaml');
    const pinned = emptyWorkspace('pnpm-lock.yaml', { packageManager: 'pnpm@10.34.9' });
    dirs.push(bare, pinned);
    await initOnDisk(bare);
    await initOnDisk(pinned);
    expect(readFileSync(join(bare, WORKFLOW_PATH), 'utf8')).toMatch(/pnpm\/action-setup@[0-9a-f]{40} # v\S+\n {8}with:\n {10}version: \d+ #/);
    expect(readFileSync(join(pinned, WORKFLOW_PATH), 'utf8')).not.toMatch(/^ {10}version:/m);
  });

  it('installs the pip requirements it finds into .venv next to uv', async () => {
    const dir = emptyWorkspace('package-lock.json');
    dirs.push(dir);
    mkdirSync(join(dir, 'tools'));
    writeFileSync(join(dir, 'tools', 'requirements-dev.txt'), 'pytest\n');
    await initOnDisk(dir);
    const workflow = readFileSync(join(dir, WORKFLOW_PATH), 'utf8');
    expect(workflow).toContain('.venv/bin/python -m pip install --quiet uv\n');
    expect(workflow).toContain('.venv/bin/python -m pip install --quiet -r tools/requirements-dev.txt\n');
  });
});

describe('init on an existing workspace', () => {
  it('keeps existing named inputs, plugins and .gitignore lines, and registers the plugin once', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('.gitignore', 'node_modules\n/.venv\ndist');
    const production = ['default', '!{projectRoot}/**/*.spec.ts'];
    updateNxJson(tree, { ...readNxJson(tree), plugins: ['@nx/js/typescript'], namedInputs: { production } });
    await initGenerator(tree, { packageManager: 'npm' });
    await initGenerator(tree, { packageManager: 'npm' });
    const nxJson = readNxJson(tree)!;
    expect(nxJson.namedInputs).toEqual({ production, default: NAMED_INPUTS.default });
    expect(nxJson.plugins![0]).toBe('@nx/js/typescript');
    expect(pluginEntries(tree)).toHaveLength(1);
    expect(tree.read('.gitignore', 'utf8')).toBe('node_modules\n/.venv\ndist');
  });

  it('adds .venv to a .gitignore that lacks it, keeping the rest', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('.gitignore', 'node_modules\ndist');
    await initGenerator(tree, { packageManager: 'npm' });
    await initGenerator(tree, { packageManager: 'npm' });
    expect(tree.read('.gitignore', 'utf8')).toMatch(/^node_modules\ndist\n# uv [^\n]*\n\.venv\/\n$/);
  });

  it('leaves a plugin entry the workspace already has as it is', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const entry = { plugin: PLUGIN, options: { releaseTag: 'release', mainBranch: 'trunk' } };
    updateNxJson(tree, { ...readNxJson(tree), plugins: [entry] });
    await initGenerator(tree, { packageManager: 'npm' });
    expect(pluginEntries(tree)).toEqual([entry]);
    // The dev channel follows the plugin's mainBranch: so does the trigger.
    expect(tree.read(WORKFLOW_PATH, 'utf8')).toContain('    branches: [trunk]\n');
  });

  it('keeps an existing workflow unless asked to overwrite it; skipWorkflow writes none', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(WORKFLOW_PATH, 'name: mine\n');
    await initGenerator(tree, { packageManager: 'npm' });
    expect(tree.read(WORKFLOW_PATH, 'utf8')).toBe('name: mine\n');
    await initGenerator(tree, { packageManager: 'npm', overwriteWorkflow: true });
    expect(tree.read(WORKFLOW_PATH, 'utf8')).toContain('name: cd-packages\n');

    const skipped = createTreeWithEmptyWorkspace();
    await initGenerator(skipped, { skipWorkflow: true });
    expect(skipped.exists(WORKFLOW_PATH)).toBe(false);
    expect(pluginEntries(skipped)).toHaveLength(1);
  });

  it.each([
    { what: 'a package manager the workflow does not know', options: { packageManager: 'bun' as never }, message: /uses bun/ },
    { what: 'a pip requirements file that does not exist', options: { packageManager: 'npm' as const, pythonRequirements: 'nope.txt' }, message: /nope\.txt/ },
    { what: 'a mainBranch that is no plain branch name', options: { packageManager: 'npm' as const }, mainBranch: 'main]\n  x: [', message: /mainBranch/ },
  ])('refuses $what before touching the tree', async ({ options, message, mainBranch }: { options: object; message: RegExp; mainBranch?: string }) => {
    const tree = createTreeWithEmptyWorkspace();
    if (mainBranch) updateNxJson(tree, { ...readNxJson(tree), plugins: [{ plugin: PLUGIN, options: { mainBranch } }] });
    const state = () => tree.listChanges().map((c) => `${c.type} ${c.path} ${c.content?.toString('utf8')}`);
    const before = state();
    const err = await initGenerator(tree, options).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseError);
    expect(String(err.message)).toMatch(message);
    expect(state()).toEqual(before);
  });
});

describe('prerequisites', () => {
  it('names each missing tool with how to get it, and where it found the others (uv also in .venv/bin)', () => {
    const root = mkdtempSync(join(tmpdir(), 'ameide-prereq-'));
    try {
      mkdirSync(join(root, '.venv', 'bin'), { recursive: true });
      writeFileSync(join(root, '.venv', 'bin', 'uv'), '');
      chmodSync(join(root, '.venv', 'bin', 'uv'), 0o755);
      const text = prerequisitesText(root, { PATH: join(root, 'empty'), GOPATH: join(root, 'gopath') });
      expect(text).toContain(`uv      found: ${join(root, '.venv', 'bin', 'uv')}`);
      expect(text).toMatch(/go {6}MISSING .*\n {10}get it: https:\/\/go\.dev\/dl\//);
      expect(text).toMatch(/cosign {2}MISSING .*\n {10}get it: go install github\.com\/sigstore\/cosign\/v3\/cmd\/cosign@v3\.1\.3/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
