#!/usr/bin/env node
// What a fresh Nx workspace needs to install the plugin from a registry: nx and @nx/devkit at this
// repository's versions, and the plugin's own runtime dependencies. One list, read by
// tools/setup.sh (which fills the npm and pnpm caches with it, online) and by the adoption e2e
// (which then installs offline).
//
//   node packages/nx-ameide-release/tests/e2e/fresh-workspace-deps.js   # prints a package.json
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

function freshDevDependencies(root = REPO_ROOT) {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const plugin = JSON.parse(readFileSync(join(root, 'packages', 'nx-ameide-release', 'package.json'), 'utf8'));
  const deps = {};
  for (const name of ['nx', '@nx/devkit']) deps[name] = rootPkg.devDependencies[name];
  Object.assign(deps, plugin.dependencies);
  return deps;
}

/** package.json of a workspace that only fills the caches (no plugin: it comes from the local registry in the test). */
function cacheWarmingManifest(root = REPO_ROOT) {
  return { name: 'ameide-fresh-workspace-cache', version: '0.0.0', private: true, devDependencies: freshDevDependencies(root) };
}

module.exports = { freshDevDependencies, cacheWarmingManifest };

if (require.main === module) process.stdout.write(`${JSON.stringify(cacheWarmingManifest(), null, 2)}\n`);
