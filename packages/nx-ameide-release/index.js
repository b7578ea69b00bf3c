// The Nx plugin entry inside this repository (package.json `main`): the compiled plugin, rebuilt
// first when its sources changed (bin/compiled.js). The published package's main is src/index.js.
'use strict';
const compiled = require('./bin/compiled');

let plugin = compiled.load('src/index');

/**
 * The Nx daemon keeps this module loaded across edits: every graph computation checks the build
 * again (a hash of ~100 small files) and, after a rebuild, drops the old modules and loads the new.
 */
function current() {
  const before = compiled.compiledRoot();
  compiled.resetCheck();
  if (compiled.staleness()) {
    compiled.compiledRoot();
    for (const id of Object.keys(require.cache)) if (id.startsWith(before)) delete require.cache[id];
    plugin = compiled.load('src/index');
  }
  return plugin;
}

const createNodes = [plugin.createNodes[0], (...args) => current().createNodes[1](...args)];

// The rest of the public API forwards lazily: the graph never loads what only executors use.
const api = { createNodes, createNodesV2: createNodes };
for (const key of Object.keys(plugin)) {
  if (!(key in api)) Object.defineProperty(api, key, { enumerable: true, get: () => plugin[key] });
}
module.exports = api;
