#!/usr/bin/env node
// Benchmark 1: the version context vs the raw git calls it needs plus a bare `node` start.
//   node tools/bench/context.js [runs=15]
// On this repository and on a generated one with 20,000 commits and 5,000 vX.Y.Z tags (git
// fast-import, kept in the OS temp folder between runs). Baseline, per repository: `node -e ""` plus
// each git call a computed context needs, one after the other (shallow + git dir + HEAD + branch, the tags
// with their commits, status, HEAD's commit time; an ancestry check of the highest tag). A cache hit makes
// only the first three. Measured, interleaved:
//   - `context --format env` as every task after the first gets it (the context cache hit),
//   - the same with AMEIDE_CONTEXT_CACHE=off (computed from git: the first task of a checkout state),
//   - `context --format digest` (what Nx runs as pack's runtime cache input).
// Goal (issue 12): <= 1.5x the baseline.
const { existsSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { time, interleaved, table, machine } = require('./lib');
const { generate } = require('./gen-repo');

const root = join(__dirname, '..', '..');
const runs = Number(process.argv[2] || 15);
const cli = join(root, 'packages', 'nx-ameide-release', 'bin', 'nx-ameide-release.js');
const env = { ...process.env, GITHUB_REF: 'refs/heads/main' };
delete env.AMEIDE_CONTEXT_FILE;

const big = join(tmpdir(), 'ameide-bench-context-20000-5000');
if (!existsSync(join(big, '.git'))) {
  console.log(`generating ${big} (20,000 commits, 5,000 tags) ...`);
  generate(big, 20000, 5000);
}

// Compile up front (a stale build is rebuilt on first use; that is not what is measured).
time(process.execPath, [cli, 'context', '--format', 'env'], { env, cwd: root });
console.log(`machine: ${machine()}; ${runs} interleaved runs per measurement`);

// The calls a computed context makes: one parallel round for the state (the cache key), then the commit time
// and, when the repository has version tags, an ancestry check of the highest one (the common case: it is reachable).
const gitCalls = (dir) => {
  const top = require('node:child_process')
    .execFileSync('git', ['tag', '--list', 'v*', '--sort=-v:refname'], { cwd: dir, encoding: 'utf8' })
    .split('\n')[0];
  return [
    ['rev-parse', '--is-shallow-repository', '--absolute-git-dir', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD', '--'],
    ['for-each-ref', '--format=%(refname:strip=2) %(objectname) %(*objectname)', 'refs/tags'],
    ['status', '--porcelain'],
    ['show', '-s', '--format=%ct', 'HEAD^{commit}'],
    ...(top ? [['merge-base', '--is-ancestor', top, 'HEAD']] : []),
  ];
};

for (const [name, dir] of [
  ['this repository', root],
  ['generated: 20,000 commits, 5,000 tags', big],
]) {
  const opts = { env, cwd: dir };
  const GIT_CALLS = gitCalls(dir);
  const ctx = (extra = {}, format = 'env') => () => time(process.execPath, [cli, 'context', '--cwd', dir, '--format', format], { ...opts, env: { ...env, ...extra } });
  ctx()(); // the cache entry the warm runs read
  const m = interleaved(
    {
      baseline: () => time(process.execPath, ['-e', '']) + GIT_CALLS.reduce((sum, args) => sum + time('git', args, opts), 0),
      warm: ctx(),
      cold: ctx({ AMEIDE_CONTEXT_CACHE: 'off' }),
      digest: ctx({}, 'digest'),
    },
    runs,
  );
  const base = m.baseline.median;
  const goal = { text: '<= 1.5x', ok: (r) => r <= 1.5 };
  table(`version context, ${name}`, [
    [`node -e "" + the ${GIT_CALLS.length} git calls, one after the other (baseline)`, base, base],
    ['context --format env (context cache hit: every later task)', m.warm.median, base, goal],
    ['context --format env, AMEIDE_CONTEXT_CACHE=off (computed)', m.cold.median, base, goal],
    ['context --format digest (pack\'s runtime cache input)', m.digest.median, base, goal],
  ]);
}
