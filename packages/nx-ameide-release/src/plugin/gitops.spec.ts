import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateNodesContextV2 } from '@nx/devkit';
import { createNodes } from '../index';

/** The gitops-check target as createNodes infers it from nx.json's plugin options alone (no registry, no git). */
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nodes-gitops-'));
  mkdirSync(join(root, 'packages/cfg'), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'ws', private: true }));
  writeFileSync(join(root, 'packages/cfg/package.json'), JSON.stringify({ name: '@x/cfg', version: '0.0.0', nx: { name: 'cfg', tags: ['ameide:release'] } }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function infer(options: object) {
  const ctx: CreateNodesContextV2 = { workspaceRoot: root, nxJsonConfiguration: {} };
  const results = await createNodes[1](['package.json', 'packages/cfg/package.json'], options, ctx);
  return Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})));
}

describe('the inferred gitops-check target', () => {
  it.each([
    {
      name: 'dirs under one folder: a gitops project there, its options from nx.json',
      gitops: { dirs: ['deploy/overlays/prod', 'deploy/overlays/dev/'], prodPaths: ['**/prod/**'] },
      root: 'deploy/overlays',
      project: 'gitops',
      options: { dirs: ['deploy/overlays/prod', 'deploy/overlays/dev'], prodPaths: ['**/prod/**'] },
    },
    {
      name: 'one dir, default prod/staging globs (left to the check), a project name of its own',
      gitops: { dirs: ['./k8s'], project: 'deploy' },
      root: 'k8s',
      project: 'deploy',
      options: { dirs: ['k8s'] },
    },
    {
      name: 'dirs sharing no folder: the project sits at the first',
      gitops: { dirs: ['k8s', 'helm'] },
      root: 'k8s',
      project: 'gitops',
      options: { dirs: ['k8s', 'helm'] },
    },
  ])('$name', async ({ gitops, root: at, project, options }) => {
    const projects = await infer({ gitops });
    expect(Object.keys(projects).sort()).toEqual([at, 'packages/cfg'].sort());
    expect(projects[at].name).toBe(project);
    const target = projects[at].targets!['gitops-check'];
    expect(target).toMatchObject({ executor: '@ameideio/nx-ameide-release:gitops-check', cache: false, options });
    expect(target.metadata?.description).toMatch(/ameide\.io\/image-sha/);
    // the release project's own targets are untouched
    expect(Object.keys(projects['packages/cfg'].targets!)).toContain('publish');
  });

  it.each([
    { name: 'no gitops option', options: {} },
    { name: 'no dirs', options: { gitops: { prodPaths: ['**/prod/**'] } } },
    { name: 'dirs not a list of folders (createNodes must not throw: every nx command would fail)', options: { gitops: { dirs: 'deploy' } } },
    { name: 'only empty dirs', options: { gitops: { dirs: ['', './'] } } },
  ])('no target: $name', async ({ options }) => {
    expect(Object.keys(await infer(options))).toEqual(['packages/cfg']);
  });
});
