import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BuiltInPackageEcosystem as Ecosystem } from '../ecosystems';

/**
 * Which manifest makes a directory a release project: the one rule createNodes (reading the
 * work tree) and the release notes (reading a tagged tree through git) both apply.
 */

/** The Nx name and tags a manifest declares: project.json `name`/`tags`, package.json `nx.name ?? name`/`nx.tags`. */
export function readProjectTags(file: string, json: any): { name?: string; tags: string[] } {
  if (file.endsWith('project.json')) return { name: json?.name, tags: Array.isArray(json?.tags) ? json.tags : [] };
  return { name: json?.nx?.name ?? json?.name, tags: Array.isArray(json?.nx?.tags) ? json.nx.tags : [] };
}

/**
 * The release project a manifest file declares, or null. A root with a project.json is
 * described by it (`hasProjectJson`): its package.json is not read twice.
 */
export function releaseProjectOf(
  file: string,
  json: unknown,
  releaseTag: string,
  hasProjectJson: boolean,
): { name: string } | null {
  if (file.includes('node_modules/')) return null;
  if (file.endsWith('package.json') && hasProjectJson) return null;
  const { name, tags } = readProjectTags(file, json);
  return name && tags.includes(releaseTag) ? { name } : null;
}

/** Which ecosystem a project root releases to, from the manifests it holds. */
export function detectEcosystem(rootAbs: string): Ecosystem | null {
  if (existsSync(join(rootAbs, 'go.mod'))) return 'go';
  if (existsSync(join(rootAbs, 'pyproject.toml'))) return 'pypi';
  if (existsSync(join(rootAbs, 'package.json'))) return 'npm';
  return null;
}
