#!/usr/bin/env node
// Benchmarks, each printed as a ratio against a baseline measured in the same run:
//   1. `nx run-many -t pack` from the cache vs the same packs with --skip-nx-cache (cold):
//      what the cacheable pack target saves on a re-run of one SHA.
//   2. `nx-ameide-release context --format digest` (Nx runs it as pack's runtime cache input on
//      every hash) vs `git rev-parse HEAD` + a bare `node` start: the floor any context must pay.
// Usage: node tools/bench/bench.js [runs=3]   (from the workspace root, after tools/setup.sh)
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const runs = Number(process.argv[2] || 3);
const env = { ...process.env, GITHUB_REF: 'refs/heads/main', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

function time(command, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd: root, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function measure(label, fn) {
  const samples = Array.from({ length: runs }, fn);
  const m = median(samples);
  console.log(`${label.padEnd(44)} median ${m.toFixed(0).padStart(7)} ms  (${samples.map((s) => s.toFixed(0)).join(', ')})`);
  return m;
}

const nx = join(root, 'node_modules', '.bin', 'nx');
const cli = join(root, 'packages', 'nx-ameide-release', 'bin', 'nx-ameide-release.js');
console.log(`runs per measurement: ${runs}; machine: ${require('node:os').cpus().length} cores`);

time(nx, ['run-many', '-t', 'pack']); // warm the cache once
const cold = measure('pack, 4 projects, --skip-nx-cache (baseline)', () => time(nx, ['run-many', '-t', 'pack', '--skip-nx-cache']));
const warm = measure('pack, 4 projects, from the Nx cache', () => time(nx, ['run-many', '-t', 'pack']));
console.log(`ratio cached/cold: ${(warm / cold).toFixed(3)}  (${(cold / warm).toFixed(1)}x faster)\n`);

const floor = measure('node -e "" + git rev-parse HEAD (baseline)', () => time(process.execPath, ['-e', '']) + time('git', ['rev-parse', 'HEAD']));
const digest = measure('nx-ameide-release context --format digest', () => time(process.execPath, [cli, 'context', '--format', 'digest']));
console.log(`ratio digest/floor: ${(digest / floor).toFixed(2)}`);
