// Shared by the benchmarks: timing of real processes, interleaved runs, medians, a ratio table.
const { spawnSync } = require('node:child_process');
const { cpus } = require('node:os');

/** Wall time of one process in ms; throws with its output when it fails. */
function time(command, args, opts = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs every measurement `runs` times, interleaved (a, b, c, a, b, c, ...) so load on a shared
 * machine falls on all of them alike; returns the medians by name.
 */
function interleaved(measurements, runs) {
  const samples = Object.fromEntries(Object.keys(measurements).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, fn] of Object.entries(measurements)) samples[k].push(fn());
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, { median: median(xs), samples: xs }]));
}

/** Prints `rows` ([label, ms, baselineMs, goal?]) as a table with the ratio to the baseline. */
function table(title, rows) {
  console.log(`\n${title}`);
  console.log(`${'measurement'.padEnd(58)} ${'median ms'.padStart(10)} ${'ratio'.padStart(7)}  goal`);
  for (const [label, ms, base, goal] of rows) {
    const ratio = base ? (ms / base).toFixed(2) : '';
    const verdict = goal ? `${goal.text} ${goal.ok(ms / base) ? 'met' : 'NOT met'}` : '';
    console.log(`${label.padEnd(58)} ${ms.toFixed(0).padStart(10)} ${ratio.padStart(7)}  ${verdict}`);
  }
}

function machine() {
  const v = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim().split('\n')[0] : 'n/a';
  };
  return `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${v('git', ['--version'])}`;
}

module.exports = { time, median, interleaved, table, machine };
