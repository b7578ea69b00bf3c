// Where the compiled plugin lives, for the CLI, the Nx plugin entry and (through package.json) the
// executors and generators. Plain CommonJS on purpose: it runs before anything is compiled.
//
// - In the published package (and the build output) `src/*.js` sits next to this folder: that is used.
// - In this repository the package folder holds TypeScript only. What runs is the same build the package
//   publishes (scripts/build.js), kept in packages/nx-ameide-release/node_modules/.cache/nx-ameide-release-build. Its `build-stamp.json` records a
//   sha256 of the build's inputs and the times of the inputs and their folders; when they changed, or the
//   build is missing, it is rebuilt here before anything loads (one process at a time, under a lock), so old
//   code never runs silently. Checking a fresh build costs one stat per input and folder (no walk, no hash).
//   AMEIDE_NO_AUTOBUILD=1 refuses instead of rebuilding.
'use strict';
// crypto and child_process load only when the quick check fails (a fresh build needs neither).
const { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

const pkgDir = join(__dirname, '..');
const root = join(pkgDir, '..', '..');
/**
 * The build the repository runs: not Nx's `build` output (dist/, which a cache restore rewrites in the
 * middle of a run) but a folder below the package's own node_modules, where Node finds the package's
 * dependencies (semver, yaml, ...) and which git, Nx and jest ignore.
 */
const RUNTIME_DIR = join(pkgDir, 'node_modules', '.cache', 'nx-ameide-release-build');
const STAMP = 'build-stamp.json';

/** Files whose change changes the build: sources (no tests), schemas, templates, manifests, tsconfigs, bin, the build script. */
function isBuildInput(path) {
  const rel = path.split(sep).join('/');
  if (rel.startsWith('src/')) return !/\.spec\.ts$/.test(rel) && !rel.split('/').includes('testing') && !/(^|\/)testing\.ts$/.test(rel);
  return rel.startsWith('bin/') || ['executors.json', 'generators.json', 'package.json', 'tsconfig.json', 'tsconfig.lib.json', 'scripts/build.js'].includes(rel);
}

/** Every file below `dir` (node_modules aside); `dirs` collects the folders walked. */
function listFiles(dir, out, dirs = []) {
  dirs.push(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(p, out, dirs);
    else out.push(p);
  }
  return out;
}

function buildInputs(dir, dirs) {
  const files = listFiles(dir, [], dirs)
    .map((p) => relative(dir, p))
    .filter(isBuildInput)
    .sort()
    .map((rel) => join(dir, rel));
  const base = join(dir, '..', '..', 'tsconfig.base.json');
  if (existsSync(base)) files.push(base);
  return files;
}

/** sha256 over the build's inputs (paths and contents) in the package at `dir`, plus the workspace's tsconfig.base.json. */
function sourceFingerprint(dir = pkgDir) {
  const h = require('node:crypto').createHash('sha256');
  for (const file of buildInputs(dir)) h.update(`${relative(dir, file).split(sep).join('/')}\0`).update(readFileSync(file)).update('\0');
  return h.digest('hex');
}

/**
 * What the quick check compares: size and time of every input, and the time of every folder
 * walked (a file added, removed or renamed in a folder changes the folder's time), paths relative
 * to `dir`. Taken by scripts/build.js before it compiles.
 */
function statSnapshot(dir = pkgDir) {
  const dirs = [];
  const files = buildInputs(dir, dirs).map((file) => {
    const st = statSync(file);
    return [relative(dir, file), st.size, st.mtimeMs];
  });
  return { files, dirs: dirs.map((d) => [relative(dir, d), statSync(d).mtimeMs]) };
}

/** True when every input and folder of the snapshot still has its size and time: the build is fresh. */
function snapshotHolds(snapshot, dir = pkgDir) {
  if (!snapshot || !Array.isArray(snapshot.files) || !Array.isArray(snapshot.dirs) || snapshot.files.length === 0) return false;
  try {
    for (const [rel, mtimeMs] of snapshot.dirs) if (statSync(join(dir, rel)).mtimeMs !== mtimeMs) return false;
    for (const [rel, size, mtimeMs] of snapshot.files) {
      const st = statSync(join(dir, rel));
      if (st.size !== size || st.mtimeMs !== mtimeMs) return false;
    }
  } catch {
    return false; // an input or folder is gone
  }
  return true;
}

function readStamp(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, STAMP), 'utf8'));
  } catch {
    return null;
  }
}

/** null when the build at `out` matches the sources at `dir`, else why not. */
function staleness(dir = pkgDir, out = RUNTIME_DIR) {
  const stamp = readStamp(out);
  if (!stamp) return `no compiled build at ${relative(process.cwd(), out) || out}`;
  if (snapshotHolds(stamp.snapshot, dir)) return null;
  // Times moved (a fresh clone, a restored cache, a file touched or added and removed): the contents decide.
  // Times first, contents second: an edit between the two shows in the contents now or in the times next time.
  const snapshot = statSnapshot(dir);
  if (stamp.sources !== sourceFingerprint(dir)) return `the sources changed since the build at ${relative(process.cwd(), out) || out}`;
  refreshSnapshot(out, stamp, snapshot);
  return null;
}

/** The same sources with other times: the stamp takes the new times, so the next check is quick again. */
function refreshSnapshot(out, stamp, snapshot) {
  const file = join(out, STAMP);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    require('node:fs').writeFileSync(tmp, JSON.stringify({ ...stamp, snapshot }));
    require('node:fs').renameSync(tmp, file); // atomic: a parallel check reads the old stamp or the new
  } catch {
    try { require('node:fs').rmSync(tmp, { force: true }); } catch { /* a read-only build: the check stays slow, never wrong */ }
  }
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Build into RUNTIME_DIR under a lock; a process that finds the lock taken waits for that build instead. */
function rebuild(reason) {
  const lock = `${RUNTIME_DIR}.lock`;
  mkdirSync(join(RUNTIME_DIR, '..'), { recursive: true });
  const deadline = Date.now() + 5 * 60 * 1000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // A lock left by a killed build is taken over after the longest build we allow.
      const age = (() => { try { return Date.now() - statSync(lock).mtimeMs; } catch { return 0; } })();
      if (age > 5 * 60 * 1000) { try { rmdirSync(lock); } catch { /* another process took it */ } continue; }
      if (Date.now() > deadline) throw new Error(`nx-ameide-release: waited 5 minutes for the build lock ${lock}; remove it if no build runs (rmdir ${lock})`);
      sleep(200);
      if (!staleness()) return;
    }
  }
  try {
    if (!staleness()) return; // built by the process that held the lock
    // Said on a terminal; in CI and tests the build's own errors are what matters (stdout stays the command's).
    if (process.stderr.isTTY) process.stderr.write(`nx-ameide-release: ${reason}: compiling the plugin (node ${relative(process.cwd(), join(pkgDir, 'scripts', 'build.js')) || 'scripts/build.js'} --runtime) ...\n`);
    require('node:child_process').execFileSync(process.execPath, [join(pkgDir, 'scripts', 'build.js'), '--runtime'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmdirSync(lock);
  }
}

let checked = false;

/**
 * The folder holding the compiled package (`src/index.js`, `src/cli/index.js`, ...), built first when
 * it is missing or older than the sources. Checked once per process.
 */
function compiledRoot(env = process.env) {
  if (existsSync(join(pkgDir, 'src', 'index.js'))) return pkgDir;
  if (!checked) {
    const why = staleness();
    if (why) {
      if (/^(1|true|yes)$/i.test(env.AMEIDE_NO_AUTOBUILD || '')) {
        throw new Error(`nx-ameide-release: ${why}, and AMEIDE_NO_AUTOBUILD is set: build it (node packages/nx-ameide-release/scripts/build.js --runtime) or unset AMEIDE_NO_AUTOBUILD`);
      }
      rebuild(why);
      const still = staleness();
      if (still) throw new Error(`nx-ameide-release: ${still} after building: run node packages/nx-ameide-release/scripts/build.js --runtime and read its errors`);
    }
    checked = true;
  }
  return RUNTIME_DIR;
}

/** require() a module of the compiled package, e.g. load('src/cli/index'). */
function load(rel) {
  return require(join(compiledRoot(), rel));
}

module.exports = { compiledRoot, load, sourceFingerprint, statSnapshot, snapshotHolds, staleness, isBuildInput, RUNTIME_DIR, STAMP, resetCheck: () => (checked = false) };
