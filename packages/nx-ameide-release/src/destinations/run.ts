import { join } from 'node:path';
import { ReleaseError } from '../errors';
import { refusalsFor, resolveDestinations, shown, type DestinationKind, type DestinationRefusal, type DestinationResolution, type Destinations } from './index';
import { projectConfigFile, readGoModule, readPackageName, readRepositoryUrl } from './facts';
import type { Env } from './registries';

/**
 * One project's destinations at run time: its target's `destinations` option (nx.json merged with the
 * project's own), the environment on top, derivations from its files. `names` overrides the package /
 * module name read from the project's manifest (the pack manifest's name: what is really uploaded).
 */
export function projectDestinations(a: {
  workspaceRoot: string;
  projectRoot: string;
  project: string;
  ecosystem: string;
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
 * The destinations one task uses, resolved now (once per task, by the pipeline): the environment
 * (AMEIDE_*) over the `destinations` option (nx.json merged with the project's own) over what can
 * be derived. Refuses, before any side effect, when one of `kinds` cannot be resolved or the npm
 * package is outside the configured scope. Logs where each kind goes.
 */
export function taskDestinations(a: {
  workspaceRoot: string;
  projectRoot: string;
  project: string;
  ecosystem: string;
  config: unknown;
  /** The pack manifest's name: what is really uploaded. */
  name: string;
  kinds: DestinationKind[];
  env: Env;
  log: (line: string) => void;
}): Destinations {
  const res = projectDestinations(a);
  assertDestinations(refusalsFor(res, a.kinds));
  for (const kind of a.kinds) {
    const d = res.destinations[kind] as Record<string, string> | undefined;
    if (!d) continue;
    const parts = Object.entries(d).map(([k, v]) => `${k} ${shown(v)} (${res.from[`${kind}.${k}`]})`);
    a.log(`destination ${kind}: ${parts.join(', ')}`);
  }
  return res.destinations;
}
