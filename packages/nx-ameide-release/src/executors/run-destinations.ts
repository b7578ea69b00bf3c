import { join } from 'node:path';
import type { ProjectConfiguration, TaskGraph } from '@nx/devkit';
import { ReleaseError } from '../errors';
import type { Ecosystem } from '../ecosystems/types';
import { refusalsFor, resolveDestinations, type DestinationKind, type DestinationRefusal, type DestinationResolution } from '../destinations';
import { projectConfigFile, readGoModule, readPackageName, readRepositoryUrl } from '../destination-facts';
import type { Env } from '../registries';

/** The destination kinds each release target uses. */
const TARGET_KINDS: Record<string, (ecosystem: Ecosystem) => DestinationKind[]> = {
  publish: (e) => [e],
  smoke: (e) => [e],
  ghcr: () => ['oci'],
};

/**
 * One project's destinations at run time: its target's `destinations` option (nx.json merged with the
 * project's own), the environment on top, derivations from its files. `names` overrides the package /
 * module name read from the project's manifest (the pack manifest's name: what is really uploaded).
 */
export function projectDestinations(a: {
  workspaceRoot: string;
  projectRoot: string;
  project: string;
  ecosystem: Ecosystem;
  config: unknown;
  env: Env;
  name?: string;
}): DestinationResolution {
  const rootAbs = join(a.workspaceRoot, a.projectRoot);
  const name = (read: () => string | undefined) => a.name ?? (a.projectRoot ? read() : undefined);
  return resolveDestinations({
    ecosystem: a.ecosystem,
    project: a.config,
    projectLabel: 'nx.json / the project configuration',
    facts: {
      project: a.project,
      projectFile: a.projectRoot ? projectConfigFile(a.workspaceRoot, a.projectRoot) : undefined,
      packageName: a.ecosystem === 'npm' ? name(() => readPackageName(rootAbs)) : undefined,
      goModule: a.ecosystem === 'go' ? name(() => readGoModule(rootAbs)) : undefined,
      repositoryUrl: readRepositoryUrl(a.workspaceRoot),
    },
    env: a.env,
  });
}

/** The refusals of every publish, ghcr and smoke task in this Nx run (from the task graph the executor is given). */
export function runDestinationRefusals(
  taskGraph: TaskGraph | undefined,
  projects: Record<string, ProjectConfiguration>,
  workspaceRoot: string,
  env: Env,
): DestinationRefusal[] {
  const out = new Map<string, DestinationRefusal>();
  for (const task of Object.values(taskGraph?.tasks ?? {})) {
    const kinds = TARGET_KINDS[task.target.target];
    const p = projects[task.target.project];
    const options = p?.targets?.[task.target.target]?.options as { ecosystem?: Ecosystem; destinations?: unknown } | undefined;
    if (!kinds || !p || !options?.ecosystem) continue;
    const res = projectDestinations({ workspaceRoot, projectRoot: p.root, project: task.target.project, ecosystem: options.ecosystem, config: options.destinations, env });
    for (const r of refusalsFor(res, kinds(options.ecosystem))) out.set(r.what, r);
  }
  return [...out.values()];
}

/** Throws one ReleaseError listing every refusal (what, then each fix), or returns. */
export function assertDestinations(refusals: DestinationRefusal[], lead = ''): void {
  if (refusals.length === 0) return;
  throw new ReleaseError(
    `${lead}${refusals.length === 1 && !lead ? refusals[0].what : `${refusals.length} destination(s) cannot be used:\n  - ${refusals.map((r) => r.what).join('\n  - ')}`}`,
    refusals.map((r) => r.fix).join('\n  fix: '),
    'destinations',
  );
}

/**
 * Every publish task checks the destinations of every release task in the run before it uploads
 * anything: a package outside the scope, or an image without a namespace, stops the whole run.
 */
export function assertRunDestinations(taskGraph: TaskGraph | undefined, projects: Record<string, ProjectConfiguration>, workspaceRoot: string, env: Env): void {
  assertDestinations(runDestinationRefusals(taskGraph, projects, workspaceRoot, env), 'this run cannot publish anything: ');
}
