/** The names the plugin is known by, defined once (a leaf: imports nothing). */

/** The npm name of the plugin: nx.json `plugins[].plugin`, the executors' prefix. */
export const PLUGIN_NAME = '@ameideio/nx-ameide-release';

/** Where a project's artifacts go: dist/<project>/ (pack-manifest.json lists them). */
export function distDir(project: string): string {
  return `dist/${project}`;
}

/** dist/<project>/pack-manifest.json, workspace-relative. */
export const packManifestPath = (project: string): string => `${distDir(project)}/pack-manifest.json`;
