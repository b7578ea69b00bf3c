import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { PLUGIN } from '../../plugin/targets';

export interface InitOptions {
  skipWorkflow?: boolean;
  overwriteWorkflow?: boolean;
}

export const WORKFLOW_PATH = '.github/workflows/cd-packages.yml';

/** Registers the plugin once (idempotent) and writes the CD workflow unless one exists. */
export default async function initGenerator(tree: Tree, options: InitOptions = {}) {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const registered = plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN);
  if (!registered) {
    nxJson.plugins = [...plugins, { plugin: PLUGIN, options: {} }];
    updateNxJson(tree, nxJson);
  }
  if (!options.skipWorkflow && (options.overwriteWorkflow || !tree.exists(WORKFLOW_PATH))) {
    tree.write(WORKFLOW_PATH, readFileSync(join(__dirname, 'files', 'cd-packages.yml'), 'utf8'));
  }
}
