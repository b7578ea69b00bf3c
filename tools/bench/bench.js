#!/usr/bin/env node
// Every benchmark of this side (docs/performance.md), one after the other, each printing its table:
//   node tools/bench/bench.js        (pnpm bench)
// Or one at a time: node tools/bench/context.js | graph.js | pack.js [runs]. The publish-side
// benchmarks are tools/bench/publish*.js.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

let status = 0;
for (const script of ['context.js', 'graph.js', 'pack.js']) {
  console.log(`\n==> tools/bench/${script}`);
  const r = spawnSync(process.execPath, [join(__dirname, script)], { stdio: 'inherit' });
  if (r.status !== 0) status = 1;
}
process.exit(status);
