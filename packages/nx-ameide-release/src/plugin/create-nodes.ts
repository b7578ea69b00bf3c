import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { CreateNodes, CreateNodesContextV2, CreateNodesResult } from '@nx/devkit';
import { DEFAULT_RELEASE_TAG, releaseTargets } from './targets';
import { detectEcosystem, releaseProjectOf } from './projects';
import { gitopsProject, type GitopsOptions } from './gitops';
import type { VersionOptions } from '../version/types';
import { mergeConfig, resolveDestinations, type DestinationsConfig } from '../destinations';
import { projectDestinationsConfig, readGoModule, readPackageName, readRepositoryUrl } from '../destinations/facts';

/*
 * The graph side of the plugin: Nx loads this on every command, so it reads a few small files and
 * nothing else: no git, no network, no process, and none of the version model (semver, pep440),
 * @nx/devkit only on an error. src/plugin/create-nodes.spec.ts checks the modules it loads.
 */

/**
 * createNodesFromFiles of @nx/devkit, without loading @nx/devkit (hundreds of modules) into the
 * graph: one result per file; errors are collected and thrown together, with the results, as Nx's
 * AggregateCreateNodesError (so one bad manifest names its file and the others still count).
 */
function eachFile<T>(
  fn: (file: string, options: T | undefined, context: CreateNodesContextV2 & { configFiles: readonly string[] }, idx: number) => CreateNodesResult,
  files: readonly string[],
  options: T | undefined,
  context: CreateNodesContextV2,
): Array<[string, CreateNodesResult]> {
  const results: Array<[string, CreateNodesResult]> = [];
  const errors: Array<[string, Error]> = [];
  files.forEach((file, idx) => {
    try {
      results.push([file, fn(file, options, { ...context, configFiles: files }, idx)]);
    } catch (e) {
      errors.push([file, e as Error]);
    }
  });
  if (errors.length) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { AggregateCreateNodesError } = require('@nx/devkit') as typeof import('@nx/devkit');
    throw new AggregateCreateNodesError(errors, results);
  }
  return results;
}

export interface PluginOptions extends VersionOptions {
  /** Nx tag that opts a project in (default `ameide:release`). */
  releaseTag?: string;
  /** Where every release project publishes; a project overrides it, AMEIDE_* variables override both (docs/destinations.md). */
  destinations?: DestinationsConfig;
  /** The GitOps pin check as a target (docs/gitops-check.md): `{ dirs, prodPaths?, project? }`. */
  gitops?: GitopsOptions;
}


/**
 * A project opts in by carrying the release tag; its ecosystem comes from its manifests,
 * so adding an SDK needs no nx.json edit. Reads one small JSON file per candidate: no git,
 * no network (createNodes runs on every nx command).
 */
export const createNodes: CreateNodes<PluginOptions> = [
  '**/{project.json,package.json}',
  (files, options, context) => {
    // The root package.json (a GHCR namespace can come from its `repository`) is read once per graph computation.
    let repo: { url: string | undefined } | undefined;
    const repositoryUrl = () => (repo ??= { url: readRepositoryUrl(context.workspaceRoot) }).url;
    // The roots with a project.json, from the file list Nx gives: a package.json beside one is not read at all
    // (project.json describes the project), and no existsSync is needed to know it.
    const projectJsonRoots = new Set(files.filter((f) => f.endsWith('project.json')).map((f) => dirname(f)));
    const results = eachFile(
      (file, opts, ctx): CreateNodesResult => {
        if (file.includes('node_modules/')) return {};
        const root = dirname(file);
        const hasProjectJson = projectJsonRoots.has(root);
        if (hasProjectJson && file.endsWith('package.json')) return {};
        const rootAbs = join(ctx.workspaceRoot, root);
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(join(ctx.workspaceRoot, file), 'utf8'));
        } catch {
          return {};
        }
        const project = releaseProjectOf(file, json, opts?.releaseTag ?? DEFAULT_RELEASE_TAG, hasProjectJson);
        const ecosystem = project && detectEcosystem(rootAbs);
        if (!project || !ecosystem) return {};
        const name = project.name;
        // Destinations as far as configuration and files tell: the environment is applied at run time
        // (the graph is cached and must not depend on it), so no AMEIDE_* variable is read here.
        const own = projectDestinationsConfig(file, json);
        const config = mergeConfig(opts?.destinations, own);
        const scoped = Boolean((opts?.destinations as DestinationsConfig | undefined)?.npm?.scope || (own as DestinationsConfig | undefined)?.npm?.scope);
        const resolution = resolveDestinations({
          ecosystem,
          workspace: opts?.destinations,
          project: own,
          facts: {
            project: name,
            projectFile: file,
            // A second small read only where a check needs it: the npm name when a scope is set.
            packageName: ecosystem === 'npm' ? (file.endsWith('package.json') ? (json as { name?: string }).name : scoped ? readPackageName(rootAbs) : undefined) : undefined,
            goModule: ecosystem === 'go' ? readGoModule(rootAbs) : undefined,
            repositoryUrl: repositoryUrl(),
          },
          env: {},
        });
        return { projects: { [root]: { targets: releaseTargets({ root, name, ecosystem, releaseTag: opts?.releaseTag, destinations: { config, resolution } }) } } };
      },
      files,
      options,
      context,
    );
    // The gitops-check project, from the options alone, once per workspace (with the root package.json).
    const gitops = files.includes('package.json') ? gitopsProject(options?.gitops) : null;
    if (!gitops) return results;
    return [...results, ['package.json', { projects: { [gitops.root]: { name: gitops.name, targets: gitops.targets } } }]];
  },
];

/** Nx 24 keeps createNodesV2 as a deprecated alias of createNodes. */
export const createNodesV2 = createNodes;

