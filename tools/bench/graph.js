#!/usr/bin/env node
// Benchmark 2: graph inference. `nx show projects` on generated workspaces of 10, 100 and 500
// release projects, with the plugin in nx.json and without it (the baseline, same run, same
// projects): the plugin's share of the command, per size, and its cost per project.
// A third workspace has a no-op plugin instead (a .js file matching the same manifests and
// inferring nothing): what Nx charges for any plugin in nx.json (with isolation, one more worker
// process that loads Nx's plugin runtime), so the table also shows the share beyond that.
//   node tools/bench/graph.js [runs=7] [sizes=10,100,500]
// Each workspace: N project.json + package.json pairs tagged ameide:release (a third Go, a third
// PyPI, a third npm), nx and the plugin linked from this repository's node_modules, a git commit.
// Nx runs without daemon and without its graph cache (NX_CACHE_PROJECT_GRAPH=false), so every run
// infers the graph. Goal (issue 12): share < 10% at 500, and linear.
const { execFileSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { time, interleaved, table, machine } = require('./lib');

const root = join(__dirname, '..', '..');
const runs = Number(process.argv[2] || 7);
const sizes = (process.argv[3] || '10,100,500').split(',').map(Number);
const PLUGIN = '@ameideio/nx-ameide-release';

/** mode: 'none' (baseline), 'noop' (a plugin that infers nothing), 'plugin' (this plugin). */
function workspace(n, mode) {
  const dir = mkdtempSync(join(tmpdir(), `ameide-bench-graph-${n}-`));
  const write = (rel, value) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  };
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  write('package.json', { name: 'bench', private: true });
  write('.gitignore', 'node_modules/\n.nx/\ndist/\n');
  // The no-op plugin by absolute path: plain JS, so Nx registers no transpiler for it (as for this plugin's compiled entry).
  write('noop-plugin.js', "exports.createNodesV2 = ['**/{project.json,package.json}', (files) => files.map((f) => [f, {}])];\n");
  const plugins = {
    none: [],
    noop: [join(dir, 'noop-plugin.js')],
    plugin: [{ plugin: PLUGIN, options: { destinations: { oci: { registry: 'ghcr.io', namespace: 'bench' } } } }],
  }[mode];
  write('nx.json', { plugins });
  for (let i = 0; i < n; i++) {
    const name = `p${i}`;
    write(`packages/${name}/project.json`, { name, tags: ['ameide:release'] });
    const kind = i % 3;
    if (kind === 0) write(`packages/${name}/go.mod`, `module example.com/bench/${name}\n\ngo 1.22\n`);
    if (kind === 1) write(`packages/${name}/pyproject.toml`, `[project]\nname = "bench-${name}"\nversion = "0.0.0"\n`);
    write(`packages/${name}/package.json`, { name: `@bench/${name}`, version: '0.0.0' });
  }
  const git = (...args) => execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@l', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@l' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  return dir;
}

const nx = join(root, 'node_modules', '.bin', 'nx');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_CACHE_PROJECT_GRAPH: 'false', NX_ISOLATE_PLUGINS: process.env.NX_ISOLATE_PLUGINS ?? 'true' };
const show = (dir, expected) => () => {
  const ms = time(nx, ['show', 'projects'], { cwd: dir, env });
  return ms;
};

console.log(`machine: ${machine()}; nx ${execFileSync(nx, ['--version'], { encoding: 'utf8', env }).match(/\d+\.\d+\.\d+/)?.[0]}; ${runs} interleaved runs per measurement`);
const dirs = [];
const rows = [];
const shares = [];
try {
  for (const n of sizes) {
    const without = workspace(n, 'none');
    const noop = workspace(n, 'noop');
    const withPlugin = workspace(n, 'plugin');
    dirs.push(without, noop, withPlugin);
    // The plugin must infer every project, and the count must match: otherwise the timing means nothing.
    const listed = execFileSync(nx, ['show', 'projects', '--with-target', 'pack'], { cwd: withPlugin, env, encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    if (listed.length !== n) throw new Error(`expected ${n} projects with a pack target, nx listed ${listed.length}`);
    show(without)(); // warm the file system cache
    show(noop)();
    const m = interleaved({ without: show(without), noop: show(noop), with: show(withPlugin) }, runs);
    const share = (m.with.median - m.without.median) / m.with.median;
    const beyondNoop = (m.with.median - m.noop.median) / m.with.median;
    shares.push([n, m.with.median - m.without.median]);
    rows.push([`${String(n).padStart(3)} projects: nx show projects, no plugin (baseline)`, m.without.median, m.without.median]);
    rows.push([`${String(n).padStart(3)} projects: a no-op plugin (Nx's cost of a plugin)`, m.noop.median, m.without.median]);
    rows.push([`${String(n).padStart(3)} projects: with the plugin (share ${(share * 100).toFixed(1)}%)`, m.with.median, m.without.median, n === 500 ? { text: 'share < 10%', ok: () => share < 0.1 } : undefined]);
    rows.push([`${String(n).padStart(3)} projects: the plugin beyond a no-op plugin (${(beyondNoop * 100).toFixed(1)}%)`, m.with.median, m.noop.median]);
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
table('graph inference (nx show projects)', rows);
if (shares.length >= 2) {
  const [[n0, d0], [n1, d1]] = [shares[0], shares[shares.length - 1]];
  const perProject = (d1 - d0) / (n1 - n0);
  console.log(`plugin cost: ~${(d0 - perProject * n0).toFixed(0)} ms fixed + ${perProject.toFixed(2)} ms per project (from ${n0} and ${n1} projects)`);
}
