import type { RegistryTrace, TracedArtifact } from '../../core/registry-trace';
import { pypiRegistry } from '../../destinations/registries';
import { listProjectFiles } from './simple-index';
import { remoteGitSha } from './publish';
import { normalizeProjectName, resolvePythonTools } from './commands';

/** The version a wheel or sdist file name carries (PEP 427 / PEP 625), or null for another file. */
export function versionOfDistFile(filename: string): string | null {
  if (filename.endsWith('.whl')) return filename.split('-')[1] ?? null;
  const stem = /^(.*)\.(tar\.gz|zip)$/.exec(filename)?.[1];
  if (!stem || !stem.includes('-')) return null;
  return stem.slice(stem.lastIndexOf('-') + 1);
}

/** PyPI: the simple index's files of the project, each downloaded and its recorded SHA read (never installed). */
export const pypiTrace: RegistryTrace = {
  kind: 'pypi',
  async list(t, version) {
    const registry = pypiRegistry(t.env, t.destinations);
    const files = await listProjectFiles(registry, normalizeProjectName(t.name));
    const tools = resolvePythonTools(t.workspaceRoot, process.env);
    const out: TracedArtifact[] = [];
    for (const f of files) {
      const v = versionOfDistFile(f.filename);
      if (!v || (version !== undefined && v !== version)) continue;
      const gitSha = await remoteGitSha(tools, registry, f);
      out.push({ ecosystem: 'pypi', project: t.project, name: t.name, version: v, gitSha, registry: registry.indexUrl, tags: [], file: f.filename });
    }
    return out;
  },
};
