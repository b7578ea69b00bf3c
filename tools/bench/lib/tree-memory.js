'use strict';
/**
 * The memory high-water mark of a process tree, for the benchmarks: every `intervalMs` it reads
 * /proc/<pid>/stat of every process, keeps those descending from `rootPid`, and records the sum of
 * their resident sets (and the largest single one). Linux only: elsewhere `stop()` returns nulls.
 * A sample sees the processes alive at that instant, so a process shorter than the interval may be
 * missed: the figure is a lower bound of the true peak (at 100 ms it misses little of an Nx run,
 * whose task processes live for seconds). Processes that leave the tree (re-parented to init) are
 * no longer counted.
 *
 *   const m = watchTree(child.pid);  ...  const { peakTreeBytes, peakProcessBytes, samples } = m.stop();
 *   const m = watchTree(() => [...running]);  // several trees at once (the raw baseline's parallel calls)
 */
const fs = require('node:fs');

const PAGE = 4096; // Linux x86_64/arm64 page size; /proc/<pid>/stat gives rss in pages

/** One pass over /proc: Map pid -> { ppid, rss bytes }. */
function processTable() {
  const table = new Map();
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // after comm: state(0) ppid(1) ... rss is field 24 of proc(5), i.e. index 21 here
      table.set(Number(e), { ppid: Number(f[1]), rss: Number(f[21]) * PAGE });
    } catch {
      /* the process ended between readdir and read */
    }
  }
  return table;
}

/** Resident bytes of the roots (a pid or a list) and their descendants now: { tree, largest, processes }. */
function treeRss(roots, table = processTable()) {
  if (!table) return null;
  const children = new Map();
  for (const [pid, p] of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  let tree = 0;
  let largest = 0;
  let processes = 0;
  const stack = [].concat(roots).filter((pid) => table.has(pid));
  while (stack.length) {
    const pid = stack.pop();
    const rss = table.get(pid).rss;
    tree += rss;
    largest = Math.max(largest, rss);
    processes += 1;
    for (const c of children.get(pid) || []) stack.push(c);
  }
  return { tree, largest, processes };
}

function watchTree(roots, intervalMs = 100) {
  const rootsNow = typeof roots === 'function' ? roots : () => roots;
  let peakTree = 0;
  let peakProcess = 0;
  let peakProcesses = 0;
  let samples = 0;
  let supported = fs.existsSync('/proc/self/stat');
  const sample = () => {
    const now = supported ? treeRss(rootsNow()) : null;
    if (!now) {
      supported = false;
      return;
    }
    samples += 1;
    peakTree = Math.max(peakTree, now.tree);
    peakProcess = Math.max(peakProcess, now.largest);
    peakProcesses = Math.max(peakProcesses, now.processes);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    /** Stops sampling; call it before the root process is reaped, or right after its exit (then the last sample stands). */
    stop() {
      clearInterval(timer);
      return supported
        ? { peakTreeBytes: peakTree, peakProcessBytes: peakProcess, peakProcesses, samples }
        : { peakTreeBytes: null, peakProcessBytes: null, peakProcesses: null, samples };
    },
  };
}

module.exports = { watchTree, treeRss, processTable };
