import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { createNodesFromFiles, type CreateNodes, type CreateNodesResult } from '@nx/devkit';
import type { Ecosystem } from './ecosystems/types';
import { DEFAULT_RELEASE_TAG, releaseTargets } from './plugin/targets';
import type { VersionOptions } from './version/types';

export interface PluginOptions extends VersionOptions {
  /** Nx tag that opts a project in (default `ameide:release`). */
  releaseTag?: string;
}

/** Which ecosystem a project root releases to, from the manifests it holds. */
export function detectEcosystem(rootAbs: string): Ecosystem | null {
  if (existsSync(join(rootAbs, 'go.mod'))) return 'go';
  if (existsSync(join(rootAbs, 'pyproject.toml'))) return 'pypi';
  if (existsSync(join(rootAbs, 'package.json'))) return 'npm';
  return null;
}

function readTags(file: string, json: any): { name?: string; tags: string[] } {
  if (file.endsWith('project.json')) return { name: json.name, tags: json.tags ?? [] };
  return { name: json.nx?.name ?? json.name, tags: json.nx?.tags ?? [] };
}

/**
 * A project opts in by carrying the release tag; its ecosystem comes from its manifests,
 * so adding an SDK needs no nx.json edit. Reads one small JSON file per candidate: no git,
 * no network (createNodes runs on every nx command).
 */
export const createNodes: CreateNodes<PluginOptions> = [
  '**/{project.json,package.json}',
  (files, options, context) =>
    createNodesFromFiles(
      (file, opts, ctx): CreateNodesResult => {
        if (file.includes('node_modules/')) return {};
        const root = dirname(file);
        const rootAbs = join(ctx.workspaceRoot, root);
        // A root with project.json is described by it; its package.json (if any) is not read twice.
        if (file.endsWith('package.json') && existsSync(join(rootAbs, 'project.json'))) return {};
        let json: any;
        try {
          json = JSON.parse(readFileSync(join(ctx.workspaceRoot, file), 'utf8'));
        } catch {
          return {};
        }
        const { name, tags } = readTags(file, json);
        if (!tags.includes(opts?.releaseTag ?? DEFAULT_RELEASE_TAG)) return {};
        const ecosystem = detectEcosystem(rootAbs);
        if (!ecosystem || !name) return {};
        return { projects: { [root]: { targets: releaseTargets({ root, name, ecosystem, releaseTag: opts?.releaseTag }) } } };
      },
      files,
      options,
      context,
    ),
];

/** Nx 24 keeps createNodesV2 as a deprecated alias of createNodes. */
export const createNodesV2 = createNodes;

export * from './version/types';
export * from './ecosystems/types';
export type { GitFacts } from './version/facts';
export { computeContext } from './version/compute';
export { resolveContext, formatContext, contextDigest } from './context';
export { isAncestor } from './git';
