import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateNodesContextV2 } from '@nx/devkit';
import { createNodes, createNodesV2 } from './index';

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nodes-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

async function infer(root: string, files: string[], options = {}) {
  const ctx: CreateNodesContextV2 = { workspaceRoot: root, nxJsonConfiguration: {} };
  const results = await createNodes[1](files, options, ctx);
  return Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})));
}

const tagged = (name: string) => JSON.stringify({ name, tags: ['ameide:release'] });

describe('createNodes', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('infers the five release targets on every tagged project, with the ecosystem from its manifest', async () => {
    root = workspace({
      'packages/sdk_go/project.json': tagged('sdk_go'),
      'packages/sdk_go/go.mod': 'module example.com/x\n',
      'packages/sdk_py/project.json': tagged('sdk_py'),
      'packages/sdk_py/pyproject.toml': '[project]\nname="x"\nversion="0.0.0"\n',
      'packages/cfg/package.json': JSON.stringify({ name: '@x/cfg', version: '0.0.0', nx: { name: 'cfg', tags: ['ameide:release'] } }),
    });
    const projects = await infer(root, ['packages/sdk_go/project.json', 'packages/sdk_py/project.json', 'packages/cfg/package.json']);
    expect(Object.keys(projects).sort()).toEqual(['packages/cfg', 'packages/sdk_go', 'packages/sdk_py']);
    expect(Object.keys(projects['packages/sdk_go'].targets!)).toEqual(['version', 'pack', 'preflight', 'publish', 'ghcr', 'smoke']);
    expect(projects['packages/sdk_go'].targets!.pack.options).toEqual({ ecosystem: 'go' });
    expect(projects['packages/sdk_py'].targets!.pack.options).toEqual({ ecosystem: 'pypi' });
    expect(projects['packages/cfg'].targets!.publish.options).toEqual({ ecosystem: 'npm', destinations: {} });
    expect(projects['packages/cfg'].targets!.pack.outputs).toEqual(['{workspaceRoot}/dist/cfg']);
    expect(projects['packages/cfg'].targets!.publish.dependsOn).toEqual([
      { target: 'pack', params: 'forward' },
      { target: 'publish', dependencies: true, params: 'forward' },
      { target: 'preflight', projects: 'tag:ameide:release', params: 'forward' },
    ]);
    expect(projects['packages/cfg'].targets!.pack.dependsOn).toEqual(['build', '^build']);
    expect(projects['packages/cfg'].targets!.pack.cache).toBe(true);
    for (const t of Object.values(projects['packages/cfg'].targets!)) expect(t.metadata?.description).toBeTruthy();
  });

  it('leaves untagged projects, node_modules and unreadable manifests alone', async () => {
    root = workspace({
      'packages/tool/project.json': JSON.stringify({ name: 'tool', tags: ['type:tool'] }),
      'packages/tool/package.json': JSON.stringify({ name: 'tool' }),
      'node_modules/x/package.json': JSON.stringify({ name: 'x', nx: { tags: ['ameide:release'] } }),
      'packages/broken/project.json': '{ not json',
    });
    const projects = await infer(root, ['packages/tool/project.json', 'node_modules/x/package.json', 'packages/broken/project.json']);
    expect(projects).toEqual({});
  });

  it('honours a custom release tag from the plugin options', async () => {
    root = workspace({
      'libs/a/project.json': JSON.stringify({ name: 'a', tags: ['publish:yes'] }),
      'libs/a/package.json': JSON.stringify({ name: 'a', version: '0.0.0' }),
    });
    expect(Object.keys(await infer(root, ['libs/a/project.json']))).toEqual([]);
    const custom = await infer(root, ['libs/a/project.json'], { releaseTag: 'publish:yes' });
    expect(Object.keys(custom)).toEqual(['libs/a']);
    // the run-wide preflight gate follows the configured tag
    expect(custom['libs/a'].targets!.publish.dependsOn).toContainEqual({ target: 'preflight', projects: 'tag:publish:yes', params: 'forward' });
  });

  it('puts the configured destinations into publish/ghcr/smoke options and the resolved ones into their metadata', async () => {
    root = workspace({
      'package.json': JSON.stringify({ name: 'ws', repository: 'github:Acme/mono' }),
      'packages/go/project.json': tagged('go'),
      'packages/go/go.mod': 'module github.com/acme/sdk-go/v2\n',
      'packages/cfg/project.json': JSON.stringify({
        name: 'cfg',
        tags: ['ameide:release'],
        metadata: { 'nx-ameide-release': { destinations: { npm: { access: 'restricted' } } } },
      }),
      'packages/cfg/package.json': JSON.stringify({ name: '@other/cfg', version: '0.0.0' }),
    });
    const options = { destinations: { npm: { scope: '@acme', registry: 'https://npm.acme.dev' } } };
    const prev = process.env.AMEIDE_NPM_REGISTRY;
    process.env.AMEIDE_NPM_REGISTRY = 'http://127.0.0.1:1/'; // the graph never reads the environment (it is cached)
    const projects = await infer(root, ['packages/go/project.json', 'packages/cfg/project.json'], options).finally(() => {
      if (prev === undefined) delete process.env.AMEIDE_NPM_REGISTRY;
      else process.env.AMEIDE_NPM_REGISTRY = prev;
    });
    const go = projects['packages/go'].targets!;
    expect(go.publish.options).toEqual({ ecosystem: 'go', destinations: {} });
    expect(go.publish.metadata).toMatchObject({
      destinations: { go: { remote: 'https://github.com/acme/sdk-go', branch: 'main' } },
      destinationsFrom: { 'go.remote': 'go.mod module path' },
    });
    expect(go.ghcr.metadata).toMatchObject({ destinations: { oci: { registry: 'ghcr.io', namespace: 'acme' } } });
    expect(go.pack.options).toEqual({ ecosystem: 'go' });

    const cfg = projects['packages/cfg'].targets!;
    expect(cfg.publish.options).toEqual({ ecosystem: 'npm', destinations: { npm: { scope: '@acme', registry: 'https://npm.acme.dev', access: 'restricted' } } });
    expect(cfg.smoke.options).toEqual(cfg.publish.options);
    expect(cfg.publish.metadata!.destinations).toEqual({ npm: { registry: 'https://npm.acme.dev/', scope: '@acme', access: 'restricted' } });
    expect(cfg.publish.metadata!.destinationsRefused).toEqual([expect.stringMatching(/@other\/cfg is outside the scope @acme[\s\S]*AMEIDE_NPM_SCOPE/)]);
  });

  it('keeps createNodesV2 as an alias', () => {
    expect(createNodesV2).toBe(createNodes);
  });
});
