import type { RegistryTrace } from '../../core/registry-trace';
import { npmRegistry } from '../../destinations/registries';
import { getPackument } from './registry-client';

/** npm: the packument's versions, each with its gitHead and the dist-tags pointing at it. */
export const npmTrace: RegistryTrace = {
  kind: 'npm',
  async list(t, version) {
    const registry = npmRegistry(t.env, t.destinations);
    const doc = await getPackument(registry, t.name);
    if (!doc) return [];
    return Object.entries(doc.versions)
      .filter(([v]) => version === undefined || v === version)
      .map(([v, meta]) => ({
        ecosystem: 'npm' as const,
        project: t.project,
        name: t.name,
        version: v,
        gitSha: meta.gitHead ?? null,
        registry: registry.url,
        tags: Object.entries(doc['dist-tags']).filter(([, tv]) => tv === v).map(([tag]) => tag).sort(),
      }));
  },
};
