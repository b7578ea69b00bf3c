'use strict';
/**
 * Shared plumbing of the publish benchmarks (tools/bench/publish*.js):
 *   scratch()        a clone of HEAD in a temp folder (never this working copy), pnpm install --offline,
 *                    its own Nx cache folder; optional edits committed there (e.g. a no-op target);
 *   registries()     a fresh sandbox (tools/sandbox) with a counting proxy (lib/count-proxy.js) in front
 *                    of npm, pypi and oci, and the env that points the plugin (AMEIDE_*) at the proxies;
 *   run()            a command timed (wall ms), async so the proxies keep serving in this process;
 *                    with the spawn log (lib/spawn-log.js) through NODE_OPTIONS; `memory: true` samples
 *                    its process tree's resident set (lib/tree-memory.js); `onStart(pid)` / `onEnd(pid)`;
 *   median(), table().
 * Everything lives under one temp folder removed by cleanup(); sandboxes are stopped by their down().
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const sandbox = require('../../sandbox/sandbox.js');
const { startProxy } = require('./count-proxy.js');
const { watchTree } = require('./tree-memory.js');

const root = path.join(__dirname, '..', '..', '..');
const goBin = (() => {
  const r = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  return r.status === 0 ? path.join(r.stdout.trim(), 'bin') : null;
})();

function must(command, args, opts = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout || ''}${r.stderr || ''}${r.error ? r.error.message : ''}`);
  return r.stdout;
}

/** Base env of every measured command: no daemon, no cloud, static output, the sandbox's tools on PATH. */
function baseEnv(ws, extra = {}) {
  const PATH = [goBin, path.join(ws, 'node_modules', '.bin'), process.env.PATH].filter(Boolean).join(path.delimiter);
  const env = { ...process.env, PATH, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_CACHE_DIRECTORY: path.join(ws, '..', 'nx-cache'),
    AMEIDE_UV: path.join(root, '.venv', 'bin', 'uv'), AMEIDE_PYTHON: path.join(root, '.venv', 'bin', 'python'), ...extra };
  // Never inherit a workspace sandbox or registry settings from the caller's shell.
  for (const k of Object.keys(env)) if (/^(AMEIDE_(NPM|PYPI|OCI|GO)_|SANDBOX_|GIT_CONFIG_|COSIGN_|NPM_TOKEN|PYPI_|OCI_AUTH)/.test(k) && !(k in extra)) delete env[k];
  return env;
}

/** A clone of HEAD under a new temp folder; `edit(ws)` may change files, which are then committed there. */
function scratch(label, edit) {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), `ameide-bench-${label}.`));
  const ws = path.join(top, 'ws');
  must('git', ['clone', '-q', '--no-local', root, ws]);
  must('git', ['-C', ws, 'remote', 'remove', 'origin']);
  must('pnpm', ['install', '--frozen-lockfile', '--offline', '--silent'], { cwd: ws });
  if (edit) {
    edit(ws);
    must('git', ['-C', ws, 'add', '-A']);
    must('git', ['-C', ws, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', `bench: ${label}`]);
  }
  return { top, ws, cleanup: () => fs.rmSync(top, { recursive: true, force: true }) };
}

/** Fresh registries (all sandbox services) behind counting proxies. */
async function registries(top, label) {
  const dir = fs.mkdtempSync(path.join(top, `sb-${label}.`));
  fs.rmSync(dir, { recursive: true }); // up() wants a missing or empty folder
  const env = await sandbox.up({ root, dir, services: ['npm', 'pypi', 'oci', 'go', 'cosign'] });
  const proxies = {};
  try {
    proxies.npm = await startProxy(env.SANDBOX_NPM_URL, 'npm');
    proxies.pypi = await startProxy(env.SANDBOX_PYPI_URL, 'pypi');
    proxies.oci = await startProxy(`http://${env.SANDBOX_OCI_REGISTRY}/`, 'oci');
  } catch (err) {
    await sandbox.down(env);
    throw err;
  }
  const pluginEnv = {
    ...env,
    AMEIDE_NPM_REGISTRY: proxies.npm.url,
    AMEIDE_PYPI_UPLOAD_URL: proxies.pypi.url,
    AMEIDE_PYPI_INDEX_URL: `${proxies.pypi.url}simple/`,
    AMEIDE_OCI_REGISTRY: proxies.oci.hostPort,
  };
  return {
    env: pluginEnv,
    proxies,
    reset: () => Object.values(proxies).forEach((p) => p.reset()),
    stats: () => Object.fromEntries(Object.entries(proxies).map(([k, p]) => [k, p.stats()])),
    async down() {
      await Promise.all(Object.values(proxies).map((p) => p.close()));
      await sandbox.down(env);
    },
  };
}

/**
 * CPU seconds (user + system) of this process's waited-for children so far, from /proc/self/stat
 * (cutime + cstime: a child's own children count once it has waited for them). Linux only; null elsewhere.
 * Under a loaded machine this is the steadier figure: wall time there measures the neighbours too.
 */
function childCpuSeconds() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100; // fields 16, 17 of proc(5); USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Runs a command (argument array, no shell); resolves { ms, cpu, out, spawns, memory } or rejects with its output. */
function run(command, args, { cwd, env, spawnLog, allowFail = false, memory = false, onStart, onEnd } = {}) {
  const childEnv = { ...env };
  if (spawnLog) {
    fs.rmSync(spawnLog, { force: true });
    childEnv.PUBBENCH_SPAWN_LOG = spawnLog;
    childEnv.NODE_OPTIONS = `${env.NODE_OPTIONS || ''} --require ${path.join(__dirname, 'spawn-log.js')}`.trim();
  }
  return new Promise((resolve, reject) => {
    const cpu0 = childCpuSeconds();
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const mem = memory && child.pid ? watchTree(child.pid) : null;
    let peak = null;
    if (onStart && child.pid) onStart(child.pid);
    child.once('exit', () => {
      if (mem) peak = mem.stop();
      if (onEnd && child.pid) onEnd(child.pid);
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const cpu1 = childCpuSeconds();
      const cpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
      if (code !== 0 && !allowFail) return reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}) in ${cwd}:\n${out.slice(-6000)}`));
      resolve({ ms, cpu, out, code, spawns: spawnLog ? readSpawnLog(spawnLog) : null, memory: peak });
    });
  });
}

function readSpawnLog(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Spawn log summarised per command name: count and summed wall ms (nested calls overlap). */
function spawnSummary(spawns) {
  const by = {};
  for (const s of spawns) {
    const key = s.cmd === 'git' || s.cmd === 'node' || s.cmd === 'cosign' ? `${s.cmd} ${s.sub || ''}`.trim() : s.cmd;
    by[key] = by[key] || { n: 0, ms: 0 };
    by[key].n += 1;
    by[key].ms += s.ms || 0;
  }
  return by;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function table(head, rows) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

const fmtMs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtBytes = (b) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0] ? cpus[0].model : '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** On SIGINT/SIGTERM: run `cleanup` (stop this run's sandboxes, remove its clone), then exit 130. */
function onInterrupt(cleanup) {
  let done = false;
  const handler = async (sig) => {
    if (done) return;
    done = true;
    console.error(`\n${sig}: stopping this benchmark's sandboxes and removing its scratch clone`);
    await cleanup();
    process.exit(130);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

module.exports = { watchTree, onInterrupt, childCpuSeconds, root, goBin, must, baseEnv, scratch, registries, run, readSpawnLog, spawnSummary, median, table, fmtMs, fmtBytes, machine, sandbox };
