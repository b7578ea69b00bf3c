#!/usr/bin/env node
// Benchmark 5: the cached `pack` replay vs a cold pack, on this repository's five release projects.
//   node tools/bench/pack.js [runs=5]
// Cold: `nx run-many -t pack --skip-nx-cache`; cached: the same from the Nx cache (a fresh cache
// folder of its own, so other clones' entries do not count). To see what dominates the replay, the
// same run also measures Nx's own floor (`nx show projects`: start + graph) and the context digest
// (pack's runtime cache input, run once per hash computation). Goal (issue 12): cached <= 0.1x cold.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { time, interleaved, table, machine } = require('./lib');

const root = join(__dirname, '..', '..');
const runs = Number(process.argv[2] || 5);
const cacheDir = mkdtempSync(join(tmpdir(), 'ameide-bench-pack-cache-'));
const env = { ...process.env, GITHUB_REF: 'refs/heads/main', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_CACHE_DIRECTORY: cacheDir };
delete env.AMEIDE_CONTEXT_FILE;
const nx = join(root, 'node_modules', '.bin', 'nx');
const cli = join(root, 'packages', 'nx-ameide-release', 'bin', 'nx-ameide-release.js');
const opts = { cwd: root, env };

try {
  console.log(`machine: ${machine()}; ${runs} interleaved runs per measurement`);
  time(nx, ['run-many', '-t', 'pack', '--outputStyle=static'], opts); // fills the cache (and builds what pack depends on)
  const m = interleaved(
    {
      cold: () => time(nx, ['run-many', '-t', 'pack', '--skip-nx-cache', '--outputStyle=static'], opts),
      cached: () => time(nx, ['run-many', '-t', 'pack', '--outputStyle=static'], opts),
      floor: () => time(nx, ['show', 'projects'], opts),
      digest: () => time(process.execPath, [cli, 'context', '--format', 'digest'], opts),
    },
    runs,
  );
  const cold = m.cold.median;
  table('pack of the release projects (nx run-many -t pack)', [
    ['pack, --skip-nx-cache (cold, baseline)', cold, cold],
    ['pack from the Nx cache (replay)', m.cached.median, cold, { text: '<= 0.1x', ok: (r) => r <= 0.1 }],
    ['  of which Nx start + graph (nx show projects)', m.floor.median, cold],
    ['  of which the context digest (runtime cache input)', m.digest.median, cold],
  ]);
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
