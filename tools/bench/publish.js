#!/usr/bin/env node
'use strict';
// Benchmarks 3 and 4 of issue 12 (publish side), one command:
//   node tools/bench/publish.js [rounds=3]          (from the workspace root, after tools/setup.sh)
//
// In a scratch clone of HEAD (never this working copy), on the dev channel (GITHUB_REF=refs/heads/main),
// with pack replayed from the Nx cache (warmed once), per round, in an order that rotates each round:
//   plugin   fresh sandbox registries behind counting proxies; `nx run-many -t publish ghcr` of the four
//            payload packages (first run), then the same command again (re-run of a published SHA);
//   raw      fresh sandbox registries behind the same proxies; the raw tool calls doing the same uploads:
//            npm publish (2 tarballs), uv publish (wheel + sdist), skopeo copy (4 OCI layouts, exported once
//            from the plugin's images) and cosign sign (4 digests), each timed alone;
//   floor    `nx run-many -t bench-noop` over the same four projects (nx:noop, committed in the scratch clone).
// Prints medians and the ratios of benchmark 3 (time beyond Nx's floor vs the slowest raw path and the sum)
// and 4 (re-run vs first run, bytes uploaded on the re-run), the registry requests, and the child processes
// of each plugin run (NODE_OPTIONS --require lib/spawn-log.js). Cleans up its clone and every sandbox.
const fs = require('node:fs');
const path = require('node:path');
const wb = require('./lib/workbench.js');

const rounds = Number(process.argv[2] || 3);
const PROJECTS = ['configuration', 'ameide_sdk_ts', 'ameide_sdk_python', 'ameide_sdk_go'];
const GITHUB_REF = 'refs/heads/main';

function addNoopTarget(ws) {
  for (const p of PROJECTS) {
    const file = path.join(ws, 'packages', p, 'project.json');
    const pj = JSON.parse(fs.readFileSync(file, 'utf8'));
    pj.targets = { ...(pj.targets || {}), 'bench-noop': { executor: 'nx:noop' } };
    fs.writeFileSync(file, `${JSON.stringify(pj, null, 2)}\n`);
  }
}

const nxArgs = (targets) => ['run-many', '-t', ...targets, `--projects=${PROJECTS.join(',')}`, '--outputStyle=static'];

function cleanResults(ws) {
  // results of an earlier round (other registries) must not be read as this round's
  fs.rmSync(path.join(ws, 'dist', 'release'), { recursive: true, force: true });
  for (const p of PROJECTS) for (const f of ['publish-result.json', 'ghcr-result.json']) fs.rmSync(path.join(ws, 'dist', p, f), { force: true });
}

/** What the raw tools upload, from the pack manifests and the prep run's images. */
function readArtifacts(ws, top, prep) {
  const arts = {};
  for (const p of PROJECTS) {
    const manifest = JSON.parse(fs.readFileSync(path.join(ws, 'dist', p, 'pack-manifest.json'), 'utf8'));
    const ghcr = JSON.parse(fs.readFileSync(path.join(ws, 'dist', p, 'ghcr-result.json'), 'utf8'));
    const repo = ghcr.image.split('/').slice(1).join('/');
    const layout = path.join(top, 'layouts', p);
    fs.mkdirSync(path.dirname(layout), { recursive: true });
    // the same image, bytes unchanged: copied out of the prep registry into an OCI layout once
    wb.must('skopeo', ['copy', '-q', '--preserve-digests', '--src-tls-verify=false', `docker://${prep.env.SANDBOX_OCI_REGISTRY}/${repo}@${ghcr.digest}`, `oci:${layout}:img`]);
    arts[p] = { ecosystem: manifest.ecosystem, files: manifest.files.map((f) => path.join(ws, f.file)), repo, digest: ghcr.digest, layout, sha: manifest.gitSha };
  }
  return arts;
}

/** The raw calls of one project, in the order its own chain needs them. */
function rawCalls(p, a, reg, top) {
  const env = reg.env;
  const calls = [];
  if (a.ecosystem === 'npm') {
    for (const f of a.files.filter((x) => x.endsWith('.tgz'))) {
      calls.push({ what: 'npm publish', cmd: 'npm', args: ['publish', f, '--registry', reg.proxies.npm.url, '--tag', 'dev', '--access', 'public'], cwd: top,
        env: { NPM_CONFIG_USERCONFIG: path.join(top, 'npmrc'), NPM_TOKEN: wb.sandbox.readSecretFile(env.NPM_TOKEN_FILE) } });
    }
  }
  if (a.ecosystem === 'pypi') {
    calls.push({ what: 'uv publish', cmd: path.join(wb.root, '.venv', 'bin', 'uv'), args: ['publish', '--publish-url', reg.proxies.pypi.url, '--trusted-publishing', 'never', ...a.files], cwd: top,
      env: { UV_PUBLISH_USERNAME: env.PYPI_USERNAME, UV_PUBLISH_PASSWORD: wb.sandbox.readSecretFile(env.PYPI_PASSWORD_FILE) } });
  }
  const image = `${reg.proxies.oci.hostPort}/${a.repo}`;
  calls.push({ what: 'skopeo copy', cmd: 'skopeo', args: ['copy', '-q', '--preserve-digests', '--dest-tls-verify=false', `oci:${a.layout}:img`, `docker://${image}:${a.sha}`], cwd: top, env: {} });
  calls.push({ what: 'cosign sign', cmd: 'cosign', args: ['sign', '--key', env.COSIGN_KEY, '--tlog-upload=false', '--allow-http-registry', '-y', `${image}@${a.digest}`], cwd: top,
    env: { COSIGN_PASSWORD: wb.sandbox.readSecretFile(env.COSIGN_PASSWORD_FILE) } });
  return calls;
}

const uploadBytes = (stats) => Object.values(stats).reduce((s, x) => s + x.uploadBytes, 0);
const requests = (stats) => Object.values(stats).reduce((s, x) => s + x.requests, 0);
const perRegistry = (stats) => Object.entries(stats).map(([k, x]) => `${k} ${x.requests}`).join(', ');

async function main() {
  console.log(`publish benchmark (issue 12, #3 and #4): ${rounds} round(s); machine: ${wb.machine()}`);
  const { top, ws, cleanup } = wb.scratch('publish', addNoopTarget);
  const regs = [];
  wb.onInterrupt(async () => {
    for (const reg of regs) await reg.down().catch(() => {});
    cleanup();
  });
  const samples = { plugin: [], rerun: [], floor: [], raw: [] };
  try {
    fs.writeFileSync(path.join(top, 'npmrc'), ''); // filled per round: the registry's port changes
    const envFor = (reg) => wb.baseEnv(ws, { ...reg.env, GITHUB_REF });

    // prep: pack into the Nx cache, one publish to learn the images, their layouts exported once
    const prep = await wb.registries(top, 'prep');
    regs.push(prep);
    await wb.run('nx', nxArgs(['pack']), { cwd: ws, env: envFor(prep) });
    await wb.run('nx', nxArgs(['publish', 'ghcr']), { cwd: ws, env: envFor(prep) });
    const arts = readArtifacts(ws, top, prep); // straight from the prep registry, not through its proxy
    await prep.down();
    regs.pop();
    await wb.run('nx', nxArgs(['bench-noop']), { cwd: ws, env: wb.baseEnv(ws, { GITHUB_REF }) }); // warm

    const steps = {
      async plugin(i) {
        const reg = await wb.registries(top, `plugin${i}`);
        regs.push(reg);
        cleanResults(ws);
        const env = envFor(reg);
        const first = await wb.run('nx', nxArgs(['publish', 'ghcr']), { cwd: ws, env, spawnLog: path.join(top, 'spawns-first.jsonl') });
        const firstStats = reg.stats();
        if (uploadBytes(firstStats) === 0) throw new Error('the first run uploaded nothing: the proxies are not in the path');
        reg.reset();
        const again = await wb.run('nx', nxArgs(['publish', 'ghcr']), { cwd: ws, env, spawnLog: path.join(top, 'spawns-rerun.jsonl') });
        const againStats = reg.stats();
        await reg.down();
        regs.splice(regs.indexOf(reg), 1);
        samples.plugin.push({ ms: first.ms, cpu: first.cpu, stats: firstStats, spawns: first.spawns });
        samples.rerun.push({ ms: again.ms, cpu: again.cpu, stats: againStats, spawns: again.spawns });
      },
      async raw(i) {
        const reg = await wb.registries(top, `raw${i}`);
        regs.push(reg);
        fs.writeFileSync(path.join(top, 'npmrc'), `//${reg.proxies.npm.hostPort}/:_authToken=\${NPM_TOKEN}\n`);
        const perProject = {};
        const perCall = {};
        const cpuProject = {};
        for (const p of PROJECTS) {
          perProject[p] = 0;
          cpuProject[p] = 0;
          for (const c of rawCalls(p, arts[p], reg, top)) {
            const r = await wb.run(c.cmd, c.args, { cwd: c.cwd, env: { ...wb.baseEnv(ws), ...c.env } });
            perProject[p] += r.ms;
            cpuProject[p] += r.cpu || 0;
            perCall[c.what] = (perCall[c.what] || 0) + r.ms;
          }
        }
        const stats = reg.stats();
        await reg.down();
        regs.splice(regs.indexOf(reg), 1);
        const sum = Object.values(perProject).reduce((s, x) => s + x, 0);
        const slowest = Object.entries(perProject).sort((a, b) => b[1] - a[1])[0];
        const cpuSum = Object.values(cpuProject).reduce((a, x) => a + x, 0);
        const cpuMax = Math.max(...Object.values(cpuProject));
        samples.raw.push({ sum, max: slowest[1], slowest: slowest[0], perProject, perCall, stats, cpu: cpuSum, cpuMax });
      },
      async floor() {
        const r = await wb.run('nx', nxArgs(['bench-noop']), { cwd: ws, env: wb.baseEnv(ws, { GITHUB_REF }) });
        samples.floor.push({ ms: r.ms, cpu: r.cpu });
      },
    };
    const order = ['plugin', 'raw', 'floor'];
    for (let i = 0; i < rounds; i++) {
      const rot = order.slice(i % 3).concat(order.slice(0, i % 3));
      for (const s of rot) await steps[s](i);
      process.stdout.write(`round ${i + 1}/${rounds}: plugin ${wb.fmtMs(samples.plugin[i].ms)}, re-run ${wb.fmtMs(samples.rerun[i].ms)}, raw sum ${wb.fmtMs(samples.raw[i].sum)} / slowest ${wb.fmtMs(samples.raw[i].max)} (${samples.raw[i].slowest}), floor ${wb.fmtMs(samples.floor[i].ms)}\n`);
    }
    report(samples);
  } finally {
    for (const reg of regs) await reg.down().catch(() => {});
    cleanup();
  }
}

function report(s) {
  const m = (xs) => wb.median(xs);
  const plugin = m(s.plugin.map((x) => x.ms));
  const rerun = m(s.rerun.map((x) => x.ms));
  const floor = m(s.floor.map((x) => x.ms));
  const rawSum = m(s.raw.map((x) => x.sum));
  const rawMax = m(s.raw.map((x) => x.max));
  const beyond = m(s.plugin.map((x, i) => x.ms - s.floor[i].ms));
  console.log(`\nmedians of ${s.plugin.length} interleaved round(s)\n`);
  console.log(wb.table(['measure', 'median', 'samples'], [
    ['plugin: nx run-many -t publish ghcr (first run)', wb.fmtMs(plugin), s.plugin.map((x) => (x.ms / 1000).toFixed(2)).join(' ')],
    ['plugin: same command again (re-run of the SHA)', wb.fmtMs(rerun), s.rerun.map((x) => (x.ms / 1000).toFixed(2)).join(' ')],
    ['Nx floor: nx run-many -t bench-noop (nx:noop)', wb.fmtMs(floor), s.floor.map((x) => (x.ms / 1000).toFixed(2)).join(' ')],
    ['raw: sum of all raw calls', wb.fmtMs(rawSum), s.raw.map((x) => (x.sum / 1000).toFixed(2)).join(' ')],
    ['raw: slowest project path', wb.fmtMs(rawMax), s.raw.map((x) => `${(x.max / 1000).toFixed(2)}(${x.slowest})`).join(' ')],
    ...Object.keys(s.raw[0].perCall).map((k) => [`raw: ${k} (all projects)`, wb.fmtMs(m(s.raw.map((x) => x.perCall[k]))), '']),
  ]));
  const goal = (ok) => (ok ? 'met' : 'NOT met');
  const r3 = beyond / rawMax;
  const r4 = rerun / plugin;
  const rerunUp = Math.max(...s.rerun.map((x) => uploadBytes(x.stats)));
  console.log('\n' + wb.table(['ratio', 'value', 'goal'], [
    ['#3 (first run - Nx floor) / slowest raw path', r3.toFixed(2), `<= 1.3: ${goal(r3 <= 1.3)}`],
    ['#3 (first run - Nx floor) / sum of raw calls', (beyond / rawSum).toFixed(2), ''],
    ['#3 first run / slowest raw path (floor included)', (plugin / rawMax).toFixed(2), ''],
    ['#4 re-run / first run', r4.toFixed(2), `<= 0.2: ${goal(r4 <= 0.2)}`],
    ['#4 bytes uploaded by the re-run (max of rounds)', wb.fmtBytes(rerunUp), `0: ${goal(rerunUp === 0)}`],
  ]));
  const cpu = (xs, k = 'cpu') => m(xs.map((x) => x[k]));
  const cpuBeyond = m(s.plugin.map((x, i) => x.cpu - s.floor[i].cpu));
  console.log('\nCPU seconds (user + system of the whole process tree; steadier than wall time on a loaded machine)\n');
  console.log(wb.table(['measure', 'median CPU', 'samples'], [
    ['plugin first run', `${cpu(s.plugin).toFixed(1)} s`, s.plugin.map((x) => x.cpu.toFixed(1)).join(' ')],
    ['plugin re-run', `${cpu(s.rerun).toFixed(1)} s`, s.rerun.map((x) => x.cpu.toFixed(1)).join(' ')],
    ['Nx floor (bench-noop)', `${cpu(s.floor).toFixed(1)} s`, s.floor.map((x) => x.cpu.toFixed(1)).join(' ')],
    ['raw: sum of all raw calls', `${cpu(s.raw).toFixed(1)} s`, s.raw.map((x) => x.cpu.toFixed(1)).join(' ')],
    ['raw: most CPU of one project path', `${cpu(s.raw, 'cpuMax').toFixed(1)} s`, s.raw.map((x) => x.cpuMax.toFixed(1)).join(' ')],
    ['ratio (first - floor) / raw sum', (cpuBeyond / cpu(s.raw)).toFixed(2), ''],
    ['ratio re-run / first run', (cpu(s.rerun) / cpu(s.plugin)).toFixed(2), ''],
  ]));
  const reqRow = (label, xs) => [label, String(m(xs.map((x) => requests(x.stats)))), wb.fmtBytes(m(xs.map((x) => uploadBytes(x.stats)))),
    wb.fmtBytes(m(xs.map((x) => Object.values(x.stats).reduce((a, y) => a + y.downloadBytes, 0)))), perRegistry(xs[0].stats)];
  console.log('\nregistry traffic through the counting proxies (medians; per registry: first round)\n');
  console.log(wb.table(['run', 'requests', 'uploaded', 'downloaded', 'per registry'], [reqRow('plugin first run', s.plugin), reqRow('plugin re-run', s.rerun), reqRow('raw calls', s.raw)]));
  for (const [label, x] of [['plugin first run', s.plugin[0]], ['plugin re-run', s.rerun[0]]]) {
    console.log(`\nrequests of the ${label} (round 1), by registry, method and path shape:`);
    for (const [reg, st] of Object.entries(x.stats)) {
      const shapes = {};
      for (const e of st.log) {
        const shape = `${e.method} ${e.path.replace(/sha256[:-][0-9a-f]{64}/g, '<digest>').replace(/[0-9a-f]{40}/g, '<sha>').replace(/\?.*$/, '?…').replace(/uploads\/[0-9a-f-]{36}/, 'uploads/<uuid>')} -> ${e.status}`;
        shapes[shape] = (shapes[shape] || 0) + 1;
      }
      for (const [k, n] of Object.entries(shapes).sort((a, b) => b[1] - a[1])) console.log(`  ${reg.padEnd(4)} ${String(n).padStart(3)} x ${k}`);
    }
    const by = wb.spawnSummary(x.spawns || []);
    const total = (x.spawns || []).length;
    console.log(`child processes of the ${label} (round 1, seen by lib/spawn-log.js): ${total}`);
    for (const [k, v] of Object.entries(by).sort((a, b) => b[1].n - a[1].n)) console.log(`  ${String(v.n).padStart(4)} x ${k.padEnd(40)} ${(v.ms / 1000).toFixed(2)} s summed`);
  }
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
