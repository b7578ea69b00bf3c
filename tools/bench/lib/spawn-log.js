'use strict';
/**
 * Loaded with `node --require` (through NODE_OPTIONS, so every Node process of a run - nx, its
 * task runners, the executors, the plugin worker - loads it): appends one JSON line per child
 * process to $PUBBENCH_SPAWN_LOG: { cmd, sub, ms, ppid }. `sub` is git's subcommand, cosign's
 * command, or node's script name. Only for the benchmarks: it observes, it changes nothing.
 * Processes Nx starts from its native (Rust) side are not seen.
 */
const file = process.env.PUBBENCH_SPAWN_LOG;
if (file) {
  const fs = require('node:fs');
  const path = require('node:path');
  const cp = require('node:child_process');
  const describe = (command, args) => {
    const cmd = path.basename(String(command));
    const a = Array.isArray(args) ? args.map(String) : [];
    let sub = '';
    if (cmd === 'git') sub = a.find((x, i) => !x.startsWith('-') && !(i > 0 && (a[i - 1] === '-C' || a[i - 1] === '-c'))) || '';
    else if (cmd === 'cosign' || cmd === 'uv' || cmd === 'npm' || cmd === 'pnpm' || cmd === 'skopeo') sub = a.find((x) => !x.startsWith('-')) || '';
    else if (cmd === 'node' || cmd === process.execPath || cmd.startsWith('node')) {
      const withValue = new Set(['-r', '--require', '--conditions', '-C', '--import', '--loader', '--max-old-space-size']);
      const script = a.find((x, i) => !x.startsWith('-') && !(i > 0 && withValue.has(a[i - 1])));
      sub = script ? path.basename(script) : '';
    }
    return { cmd: cmd.startsWith('node') ? 'node' : cmd, sub };
  };
  const write = (rec) => {
    try {
      fs.appendFileSync(file, `${JSON.stringify({ ...rec, ppid: process.pid })}\n`);
    } catch {
      /* a benchmark log must never break the run it observes */
    }
  };
  const wrapAsync = (name) => {
    const orig = cp[name];
    cp[name] = function wrapped(command, args, ...rest) {
      const start = process.hrtime.bigint();
      const d = name === 'fork' ? { cmd: 'node', sub: path.basename(String(command)) } : describe(command, args);
      const child = orig.call(this, command, args, ...rest);
      child.once('exit', () => write({ ...d, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
      return child;
    };
  };
  const wrapSync = (name) => {
    const orig = cp[name];
    cp[name] = function wrapped(command, args, ...rest) {
      const start = process.hrtime.bigint();
      try {
        return orig.call(this, command, args, ...rest);
      } finally {
        write({ ...describe(command, args), ms: Number(process.hrtime.bigint() - start) / 1e6 });
      }
    };
  };
  ['spawn', 'execFile', 'fork'].forEach(wrapAsync);
  ['spawnSync', 'execFileSync'].forEach(wrapSync);
}
