import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_CONFIG_KEY } from '.';
import { parseGoMod } from '../gomod';

/**
 * The few files destinations are derived from, read by createNodes and by the executors.
 * Every reader returns undefined when the file is absent or unreadable: a missing fact
 * becomes a refusal naming the option to set (src/destinations.ts), never a crash here.
 */

/** The root package.json `repository` (a string, or its `url`). */
export function readRepositoryUrl(workspaceRoot: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));
    const repo: unknown = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    return typeof repo === 'string' && repo ? repo : undefined;
  } catch {
    return undefined;
  }
}

/** The module path of `<rootAbs>/go.mod`. */
export function readGoModule(rootAbs: string): string | undefined {
  try {
    return parseGoMod(readFileSync(join(rootAbs, 'go.mod'), 'utf8')).module ?? undefined;
  } catch {
    return undefined;
  }
}

/** The `name` of `<rootAbs>/package.json`. */
export function readPackageName(rootAbs: string): string | undefined {
  try {
    const name: unknown = JSON.parse(readFileSync(join(rootAbs, 'package.json'), 'utf8')).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The file that holds a project's own configuration: project.json when there is one, else package.json. */
export function projectConfigFile(workspaceRoot: string, projectRoot: string): string {
  const pj = join(projectRoot, 'project.json');
  return existsSync(join(workspaceRoot, pj)) ? pj : join(projectRoot, 'package.json');
}

/** A project's own destinations: project.json `metadata["nx-ameide-release"].destinations`, package.json `nx.metadata[…]`. */
export function projectDestinationsConfig(file: string, json: any): unknown {
  const metadata = file.endsWith('project.json') ? json?.metadata : json?.nx?.metadata;
  return metadata?.[PROJECT_CONFIG_KEY]?.destinations;
}
