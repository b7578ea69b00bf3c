#!/usr/bin/env node
'use strict';
// The scale benchmark (issue 20, item 1), one command:
//   node tools/bench/scale.js [sizes=5,25,100] [--rounds=1] [--parallel=3] [--batch] [--keep]
// (from the workspace root, after tools/setup.sh). `--batch` or NX_BATCH_MODE=true in the caller's
// environment adds the plugin's runs in Nx batch mode (NX_BATCH_MODE=true) beside the per-task runs;
// the per-task runs never inherit NX_BATCH_MODE.
//
// For each size N: a generated workspace of N release projects (lib/scale-workspace.js: npm with
// workspace dependencies between some, PyPI, Go modules with and without /v2, an image each), on the
// dev channel (GITHUB_REF=refs/heads/main), pack replayed from the Nx cache (packed once, timed), and
// the sandbox registries (tools/sandbox) behind counting proxies (lib/count-proxy.js):
//   cold     `nx run-many -t publish ghcr` on fresh registries, the first run of this SHA on this clone:
//            it also makes every image's SBOM (cdxgen), which later runs of the clone reuse;
//            its images are copied out (OCI layouts) for the raw baseline; then, per round, interleaved:
//   first    the same command on fresh registries (SBOMs made): the plugin's first dev publish + ghcr;
//   raw      fresh registries; the raw tools doing the same uploads and signatures, one chain per
//            project, --parallel chains at a time (Nx's parallelism), a package after the workspace
//            packages it depends on: npm publish / uv publish, skopeo copy of the image to :<sha> and
//            to :dev, cosign sign, cosign attest of the SLSA provenance and of the CycloneDX SBOM (the
//            predicates the plugin attested). The dev channel pushes no Go tag: the plugin pushes
//            nothing to a Go mirror on dev (the module zip goes into the image), so neither does raw;
//   re-run   the first run's command again on its registries (a re-run of the published SHA; dist/
//            results removed before each run, as on a fresh CI runner);
//   batch    (with --batch) first and re-run with NX_BATCH_MODE=true on their own fresh registries.
// Prints, per N: wall times and ratios, registry requests per project, child processes per project
// (lib/spawn-log.js; Nx's native side unseen), memory high-water mark of the process tree
// (lib/tree-memory.js, sampled every 100 ms), CPU seconds; then the issue's goals at the largest N.
// Cleans up its workspaces and every sandbox (--keep keeps the workspaces and prints where).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const wb = require('./lib/workbench.js');
const { scaleWorkspace } = require('./lib/scale-workspace.js');

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '1' },
    parallel: { type: 'string', default: '3' },
    batch: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = (positionals[0] || '5,25,100').split(',').map((s) => Number(s.trim()));
const rounds = Number(flags.rounds);
const parallel = Number(flags.parallel);
const batch = flags.batch || process.env.NX_BATCH_MODE === 'true';
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !(rounds >= 1) || !(parallel >= 1)) {
  console.error('usage: node tools/bench/scale.js [sizes=5,25,100] [--rounds=1] [--parallel=3] [--batch] [--keep]');
  process.exit(2);
}
const GITHUB_REF = 'refs/heads/main';

const uploadBytes = (stats) => Object.values(stats).reduce((s, x) => s + x.uploadBytes, 0);
const requests = (stats) => Object.values(stats).reduce((s, x) => s + x.requests, 0);
const perRegistry = (stats) => Object.entries(stats).map(([k, x]) => `${k} ${x.requests}`).join(', ');
const mib = (b) => (b == null ? 'n/a' : `${(b / 2 ** 20).toFixed(0)} MiB`);

/** At most `limit` of `items` through `fn` at once; resolves when all are done (the first error rejects). */
async function pool(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Which executors declare a batchImplementation (none means batch mode runs each task as before). */
function batchExecutors() {
  const file = path.join(wb.root, 'packages', 'nx-ameide-release', 'executors.json');
  const ex = JSON.parse(fs.readFileSync(file, 'utf8')).executors || {};
  return Object.entries(ex).filter(([, v]) => v.batchImplementation).map(([k]) => k);
}

function cleanResults(ws, projects) {
  // each run records its own results; a run on other registries must not find an earlier run's
  fs.rmSync(path.join(ws, 'dist', 'release'), { recursive: true, force: true });
  for (const p of projects) for (const f of ['publish-result.json', 'ghcr-result.json']) fs.rmSync(path.join(ws, 'dist', p.name, f), { force: true });
}

/**
 * What the raw tools upload, from the cold run: the packed files (pack manifests), each image copied
 * out of the cold run's registry into an OCI layout (bytes and digest unchanged), and the two
 * predicates the plugin attested (dist/release/<project>/).
 */
async function rawInputs(dir, ws, projects, cold) {
  const arts = {};
  await pool(projects, parallel, async (p) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ws, 'dist', p.name, 'pack-manifest.json'), 'utf8'));
    const ghcr = JSON.parse(fs.readFileSync(path.join(ws, 'dist', p.name, 'ghcr-result.json'), 'utf8'));
    const repo = ghcr.image.split('/').slice(1).join('/');
    const own = path.join(dir, 'raw', p.name);
    fs.mkdirSync(own, { recursive: true });
    const layout = path.join(own, 'layout');
    await wb.run('skopeo', ['copy', '-q', '--preserve-digests', '--src-tls-verify=false', `docker://${cold.env.SANDBOX_OCI_REGISTRY}/${repo}@${ghcr.digest}`, `oci:${layout}:img`], { cwd: own, env: process.env });
    const evidence = path.join(ws, 'dist', 'release', p.name);
    const provenance = path.join(own, 'provenance.json');
    fs.writeFileSync(provenance, JSON.stringify(JSON.parse(fs.readFileSync(path.join(evidence, 'provenance.intoto.json'), 'utf8')).predicate));
    const sbom = path.join(own, 'sbom.json');
    fs.copyFileSync(path.join(evidence, 'sbom.cdx.json'), sbom);
    arts[p.name] = { ecosystem: manifest.ecosystem, files: manifest.files.map((f) => path.join(ws, f.file)), repo, digest: ghcr.digest, layout, sha: manifest.gitSha, provenance, sbom };
  });
  return arts;
}

/** The raw calls of one project's chain, in order: its package, then the image, its signature and attestations. */
function rawChain(a, reg, dir) {
  const env = reg.env;
  const calls = [];
  const npmrc = path.join(dir, 'raw', 'npmrc');
  if (a.ecosystem === 'npm') {
    for (const f of a.files.filter((x) => x.endsWith('.tgz'))) {
      calls.push({ what: 'npm publish', cmd: 'npm', args: ['publish', f, '--registry', reg.proxies.npm.url, '--tag', 'dev', '--access', 'public'],
        env: { NPM_CONFIG_USERCONFIG: npmrc, NPM_TOKEN: wb.sandbox.readSecretFile(env.NPM_TOKEN_FILE) } });
    }
  }
  if (a.ecosystem === 'pypi') {
    calls.push({ what: 'uv publish', cmd: path.join(wb.root, '.venv', 'bin', 'uv'), args: ['publish', '--publish-url', reg.proxies.pypi.url, '--trusted-publishing', 'never', ...a.files],
      env: { UV_PUBLISH_USERNAME: env.PYPI_USERNAME, UV_PUBLISH_PASSWORD: wb.sandbox.readSecretFile(env.PYPI_PASSWORD_FILE) } });
  }
  const image = `${reg.proxies.oci.hostPort}/${a.repo}`;
  calls.push({ what: 'skopeo copy', cmd: 'skopeo', args: ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${a.layout}:img`, `docker://${image}:${a.sha}`], env: {} });
  calls.push({ what: 'skopeo copy (dev tag)', cmd: 'skopeo', args: ['copy', '-q', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${image}@${a.digest}`, `docker://${image}:dev`], env: {} });
  const cosignEnv = { COSIGN_PASSWORD: wb.sandbox.readSecretFile(env.COSIGN_PASSWORD_FILE) };
  const cosignFlags = ['--key', env.COSIGN_KEY, '--tlog-upload=false', '--allow-insecure-registry', '--allow-http-registry'];
  calls.push({ what: 'cosign sign', cmd: 'cosign', args: ['sign', '--yes', ...cosignFlags, `${image}@${a.digest}`], env: cosignEnv });
  calls.push({ what: 'cosign attest', cmd: 'cosign', args: ['attest', '--yes', '--type', 'slsaprovenance1', '--predicate', a.provenance, ...cosignFlags, `${image}@${a.digest}`], env: cosignEnv });
  calls.push({ what: 'cosign attest', cmd: 'cosign', args: ['attest', '--yes', '--type', 'cyclonedx', '--predicate', a.sbom, ...cosignFlags, `${image}@${a.digest}`], env: cosignEnv });
  return calls;
}

/** The raw baseline: one chain per project, `parallel` at a time, a package after its workspace dependencies' packages. */
async function runRaw(dir, ws, projects, arts, reg) {
  fs.writeFileSync(path.join(dir, 'raw', 'npmrc'), `//${reg.proxies.npm.hostPort}/:_authToken=\${NPM_TOKEN}\n`);
  const spawnDir = path.join(dir, 'raw', 'spawns');
  fs.mkdirSync(spawnDir, { recursive: true });
  const published = new Map(projects.map((p) => {
    let done;
    const promise = new Promise((r) => (done = r));
    return [p.name, { promise, done }];
  }));
  const active = new Set();
  const mem = wb.watchTree(() => [...active]);
  const perCall = {};
  let calls = 0;
  let spawned = 0;
  let n = 0;
  const cpu0 = wb.childCpuSeconds();
  const start = process.hrtime.bigint();
  let memory;
  try {
    await pool(projects, parallel, async (p) => {
      for (const d of p.dependsOn || []) await published.get(d).promise;
      const chain = rawChain(arts[p.name], reg, dir);
      // a package's dependents wait for its upload, not for its image and signatures
      const packageCall = chain.findIndex((c) => c.what === 'npm publish' || c.what === 'uv publish');
      if (packageCall === -1) published.get(p.name).done();
      for (let i = 0; i < chain.length; i++) {
        const c = chain[i];
        const r = await wb.run(c.cmd, c.args, { cwd: path.join(dir, 'raw'), env: { ...wb.baseEnv(ws), ...c.env }, spawnLog: path.join(spawnDir, `${n++}.jsonl`),
          onStart: (pid) => active.add(pid), onEnd: (pid) => active.delete(pid) });
        perCall[c.what] = (perCall[c.what] || 0) + r.ms;
        calls += 1;
        spawned += r.spawns.length;
        if (i === packageCall) published.get(p.name).done();
      }
    });
  } finally {
    memory = mem.stop();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu1 = wb.childCpuSeconds();
  return { ms, cpu: cpu0 === null ? null : cpu1 - cpu0, stats: reg.stats(), perCall, calls, processes: calls + spawned, memory };
}

async function measureSize(top, n, regs) {
  const dir = path.join(top, `n${n}`);
  fs.mkdirSync(path.join(dir, 'raw'), { recursive: true });
  const { ws, projects } = scaleWorkspace(dir, n);
  const counts = projects.reduce((c, p) => ({ ...c, [p.ecosystem]: (c[p.ecosystem] || 0) + 1 }), {});
  const deps = projects.filter((p) => p.dependsOn).length;
  console.log(`\nN = ${n}: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}; ${deps} npm package(s) depend on another; ${projects.filter((p) => /\/v\d+$/.test(p.goModule || '')).length} Go module(s) with /v2; load ${os.loadavg()[0].toFixed(2)}`);
  const envFor = (reg, mode) => {
    const env = wb.baseEnv(ws, { ...(reg ? reg.env : {}), GITHUB_REF });
    delete env.NX_BATCH_MODE;
    if (mode === 'batch') env.NX_BATCH_MODE = 'true';
    return env;
  };
  const nxArgs = (targets) => ['run-many', '-t', ...targets, `--parallel=${parallel}`, '--outputStyle=static'];
  const up = async (label) => {
    const reg = await wb.registries(dir, label);
    regs.push(reg);
    return reg;
  };
  const down = async (reg) => {
    regs.splice(regs.indexOf(reg), 1);
    await reg.down();
  };
  const pluginRun = async (reg, mode, label) => {
    cleanResults(ws, projects);
    reg.reset();
    const r = await wb.run('nx', nxArgs(['publish', 'ghcr']), { cwd: ws, env: envFor(reg, mode), spawnLog: path.join(dir, `spawns-${label}.jsonl`), memory: true });
    return { ms: r.ms, cpu: r.cpu, stats: reg.stats(), processes: r.spawns.length, spawns: r.spawns, memory: r.memory };
  };

  const pack = await wb.run('nx', nxArgs(['pack']), { cwd: ws, env: envFor(null, 'per-task') });
  process.stdout.write(`  pack (cold, not in the figures): ${wb.fmtMs(pack.ms)}\n`);
  const coldReg = await up('cold');
  const cold = await pluginRun(coldReg, 'per-task', 'cold');
  if (uploadBytes(cold.stats) === 0) throw new Error('the cold run uploaded nothing: the proxies are not in the path');
  const cdxgen = cold.spawns.filter((s) => s.cmd === 'cdxgen' || /cdxgen/.test(s.sub || ''));
  process.stdout.write(`  cold first run (SBOMs made: ${cdxgen.length} cdxgen, ${(cdxgen.reduce((s, x) => s + x.ms, 0) / 1000).toFixed(1)} s summed): ${wb.fmtMs(cold.ms)}\n`);
  const arts = await rawInputs(dir, ws, projects, coldReg);
  await down(coldReg);

  const modes = batch ? ['per-task', 'batch'] : ['per-task'];
  const samples = { raw: [], ...Object.fromEntries(modes.flatMap((m) => [[`${m} first`, []], [`${m} re-run`, []]])) };
  for (let round = 0; round < rounds; round++) {
    const regOf = {};
    for (const m of modes) {
      regOf[m] = await up(`${m}-${round}`);
      samples[`${m} first`].push(await pluginRun(regOf[m], m, `${m}-first-${round}`));
    }
    const rawReg = await up(`raw-${round}`);
    samples.raw.push(await runRaw(dir, ws, projects, arts, rawReg));
    await down(rawReg);
    for (const m of modes) {
      samples[`${m} re-run`].push(await pluginRun(regOf[m], m, `${m}-rerun-${round}`));
      await down(regOf[m]);
    }
    const last = (k) => samples[k][samples[k].length - 1];
    process.stdout.write(`  round ${round + 1}/${rounds}: ${modes.map((m) => `${m}: first ${wb.fmtMs(last(`${m} first`).ms)}, re-run ${wb.fmtMs(last(`${m} re-run`).ms)}`).join('; ')}; raw ${wb.fmtMs(last('raw').ms)} (load ${os.loadavg()[0].toFixed(2)})\n`);
  }
  return { n, counts, deps, pack, cold, samples, modes, load: os.loadavg()[0] };
}

function medianOf(xs, f) {
  const v = xs.map(f).filter((x) => x !== null && x !== undefined);
  return v.length ? wb.median(v) : null;
}

function report(results) {
  const rows = [];
  for (const r of results) {
    const raw = r.samples.raw;
    const rawMs = medianOf(raw, (x) => x.ms);
    for (const m of r.modes) {
      const first = r.samples[`${m} first`];
      const again = r.samples[`${m} re-run`];
      const firstMs = medianOf(first, (x) => x.ms);
      const againMs = medianOf(again, (x) => x.ms);
      rows.push([
        String(r.n), m, wb.fmtMs(firstMs), wb.fmtMs(rawMs), `${(firstMs / rawMs).toFixed(2)}x`, wb.fmtMs(againMs), `${(againMs / firstMs).toFixed(2)}x`,
        `${(medianOf(first, (x) => requests(x.stats)) / r.n).toFixed(1)} / ${(medianOf(again, (x) => requests(x.stats)) / r.n).toFixed(1)} / ${(medianOf(raw, (x) => requests(x.stats)) / r.n).toFixed(1)}`,
        `${(medianOf(first, (x) => x.processes) / r.n).toFixed(1)} / ${(medianOf(again, (x) => x.processes) / r.n).toFixed(1)} / ${(medianOf(raw, (x) => x.processes) / r.n).toFixed(1)}`,
        `${mib(medianOf(first, (x) => x.memory && x.memory.peakTreeBytes))} / ${mib(medianOf(raw, (x) => x.memory && x.memory.peakTreeBytes))}`,
      ]);
    }
  }
  console.log(`\nscale: dev publish + ghcr, --parallel=${parallel}, medians of ${rounds} round(s); machine: ${wb.machine()}\n`);
  console.log(wb.table(['N', 'mode', 'plugin first', 'raw', 'first/raw', 're-run', 're-run/first', 'requests/project first/re-run/raw', 'processes/project first/re-run/raw', 'memory peak first/raw'], rows));

  const detail = [];
  for (const r of results) {
    const raw = r.samples.raw;
    for (const m of r.modes) {
      const first = r.samples[`${m} first`];
      const again = r.samples[`${m} re-run`];
      const cpu = (xs) => { const c = medianOf(xs, (x) => x.cpu); return c === null ? 'n/a' : `${c.toFixed(1)} s`; };
      detail.push([String(r.n), m, wb.fmtMs(r.cold.ms), cpu(first), cpu(again), cpu(raw),
        wb.fmtBytes(medianOf(first, (x) => uploadBytes(x.stats))), wb.fmtBytes(Math.max(...again.map((x) => uploadBytes(x.stats)))), wb.fmtBytes(medianOf(raw, (x) => uploadBytes(x.stats))),
        mib(medianOf(first, (x) => x.memory && x.memory.peakProcessBytes)), r.load.toFixed(1)]);
    }
  }
  console.log('\n' + wb.table(['N', 'mode', 'cold first (SBOMs made)', 'CPU first', 'CPU re-run', 'CPU raw', 'uploaded first', 'uploaded re-run (max)', 'uploaded raw', 'largest process first', 'load after'], detail));

  for (const r of results) {
    const x = (k) => r.samples[k][0];
    console.log(`\nN = ${r.n}, round 1: requests by registry: ${r.modes.map((m) => `${m} first: ${perRegistry(x(`${m} first`).stats)}; ${m} re-run: ${perRegistry(x(`${m} re-run`).stats)}`).join('; ')}; raw: ${perRegistry(x('raw').stats)}`);
    console.log(`  raw calls: ${x('raw').calls} (${Object.entries(x('raw').perCall).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}, summed)`);
    for (const m of r.modes) {
      const by = wb.spawnSummary(x(`${m} first`).spawns);
      console.log(`  ${m} first run's child processes: ${x(`${m} first`).processes}: ${Object.entries(by).sort((a, b) => b[1].n - a[1].n).slice(0, 8).map(([k, v]) => `${v.n} ${k}`).join(', ')}`);
    }
  }

  const big = results[results.length - 1];
  const small = results[0];
  const goal = (ok) => (ok ? 'met' : 'NOT met');
  const lines = [];
  for (const m of big.modes) {
    const f = medianOf(big.samples[`${m} first`], (x) => x.ms);
    const raw = medianOf(big.samples.raw, (x) => x.ms);
    const again = medianOf(big.samples[`${m} re-run`], (x) => x.ms);
    const againUp = Math.max(...big.samples[`${m} re-run`].map((x) => uploadBytes(x.stats)));
    const reqPlugin = medianOf(big.samples[`${m} first`], (x) => requests(x.stats)) / big.n;
    const reqRaw = medianOf(big.samples.raw, (x) => requests(x.stats)) / big.n;
    lines.push([`${m}: first run / raw at N = ${big.n}`, `${(f / raw).toFixed(2)}x`, `<= 1.3x: ${goal(f / raw <= 1.3)}`]);
    lines.push([`${m}: re-run / first run at N = ${big.n}`, `${(again / f).toFixed(2)}x`, `<= 0.2x: ${goal(again / f <= 0.2)}`]);
    lines.push([`${m}: bytes uploaded by the re-run at N = ${big.n}`, wb.fmtBytes(againUp), `0: ${goal(againUp === 0)}`]);
    lines.push([`${m}: registry requests per project, first run vs raw + 1`, `${reqPlugin.toFixed(1)} vs ${(reqRaw + 1).toFixed(1)}`, `<=: ${goal(reqPlugin <= reqRaw + 1)}`]);
    if (big !== small) {
      const fs0 = medianOf(small.samples[`${m} first`], (x) => x.ms);
      const lin = f / (fs0 * (big.n / small.n));
      lines.push([`${m}: linear: first run at ${big.n} / (${big.n / small.n} x first run at ${small.n})`, `${lin.toFixed(2)}`, `within 10 %: ${goal(Math.abs(lin - 1) <= 0.1)}`]);
    }
  }
  console.log('\n' + wb.table(['goal (issue 20)', 'value', 'verdict'], lines));
}

async function main() {
  console.log(`scale benchmark (issue 20): sizes ${sizes.join(', ')}, ${rounds} round(s), --parallel=${parallel}, modes: per-task${batch ? ' + batch (NX_BATCH_MODE=true)' : ''}; machine: ${wb.machine()}`);
  if (batch) {
    const have = batchExecutors();
    console.log(have.length ? `batch implementations: ${have.join(', ')}` : 'note: no executor of the plugin declares a batchImplementation yet: in batch mode Nx runs each task as in the per-task mode');
  }
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'ameide-bench-scale.'));
  const regs = [];
  const cleanup = async () => {
    for (const reg of regs.splice(0)) await reg.down().catch(() => {});
    if (flags.keep) console.log(`kept: ${top}`);
    else fs.rmSync(top, { recursive: true, force: true });
  };
  wb.onInterrupt(cleanup);
  const results = [];
  try {
    for (const n of sizes) results.push(await measureSize(top, n, regs));
    report(results);
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
