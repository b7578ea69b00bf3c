#!/usr/bin/env node
'use strict';
// Benchmark 6 of issue 12: the npm half side by side with Nx Release, one command:
//   node tools/bench/publish-nx-release.js [rounds=3]     (from the workspace root, after tools/setup.sh)
//
// In a scratch clone of HEAD (never this working copy) that gets, committed there only, an Nx Release
// configuration for the two npm packages (fixed group, no git commit/tag, no changelog, no lock-file
// update) and @nx/js (Nx Release's JS half; this workspace does not depend on it). Per round, in an order
// that rotates, each side gets fresh sandbox registries behind the counting proxies (lib/count-proxy.js):
//   plugin      `nx run-many -t pack publish -p configuration,ameide_sdk_ts` on the dev channel, pack
//               replayed from the Nx cache (warmed once for every release project: each publish waits for every
//               release project's preflight, which depends on its pack; build is cached for both sides);
//   nx-release  `nx release version <the plugin's NPM_VERSION without +build>` then
//               `nx release publish --registry <proxy> --tag dev`; package.json files restored afterwards.
// Prints wall-time medians, the ratio and the npm registry requests of each side (and, for the plugin,
// the requests its preflight of the other release projects sends to the other registries), and the child
// processes each side's Node processes started (lib/spawn-log.js).
const fs = require('node:fs');
const path = require('node:path');
const wb = require('./lib/workbench.js');

const rounds = Number(process.argv[2] || 3);
const NPM_PROJECTS = ['configuration', 'ameide_sdk_ts'];
const GITHUB_REF = 'refs/heads/main';
// @nx/js is published in lock-step with nx, but the npm registry this machine reaches holds @nx/js 23.3.1 as
// its newest while the workspace runs nx 24.0.6; PUBBENCH_NX_JS overrides (e.g. once 24.0.6 is available).
const NX_JS = process.env.PUBBENCH_NX_JS || '23.3.1';

function addNxRelease(ws) {
  const file = path.join(ws, 'nx.json');
  const nx = JSON.parse(fs.readFileSync(file, 'utf8'));
  nx.release = {
    projects: NPM_PROJECTS,
    projectsRelationship: 'fixed',
    version: {
      git: { commit: false, tag: false, stageChanges: false },
      currentVersionResolver: 'disk',
      preserveLocalDependencyProtocols: true,
      versionActionsOptions: { skipLockFileUpdate: true },
    },
  };
  fs.writeFileSync(file, `${JSON.stringify(nx, null, 2)}\n`);
  // the one package fetched for this benchmark (from the pnpm store when it is there); publishing goes to the sandbox only
  wb.must('pnpm', ['add', '-D', '-w', `@nx/js@${NX_JS}`, '--prefer-offline', '--silent'], { cwd: ws });
}

async function main() {
  console.log(`Nx Release side by side (issue 12, #6): ${rounds} round(s); @nx/js ${NX_JS}; machine: ${wb.machine()}`);
  const { top, ws, cleanup } = wb.scratch('nx-release', addNxRelease);
  const regs = [];
  wb.onInterrupt(async () => {
    for (const reg of regs) await reg.down().catch(() => {});
    cleanup();
  });
  const samples = { plugin: [], nxr: [] };
  const nxrc = path.join(top, 'npmrc');
  try {
    const envFor = (reg) => wb.baseEnv(ws, { ...reg.env, GITHUB_REF });
    const ctx = await wb.run(process.execPath, [path.join(ws, 'packages', 'nx-ameide-release', 'bin', 'nx-ameide-release.js'), 'context', '--format', 'env'], { cwd: ws, env: wb.baseEnv(ws, { GITHUB_REF }) });
    const m = /^(?:export )?NPM_VERSION=['"]?([^'"\s]+)/m.exec(ctx.out);
    if (!m) throw new Error(`no NPM_VERSION in the context output:\n${ctx.out}`);
    const version = m[1].replace(/\+.*$/, ''); // npm drops build metadata; Nx Release gets the version the registry stores
    console.log(`version published by both sides: ${version}`);

    const warm = await wb.registries(top, 'warm');
    regs.push(warm);
    // Every release project's pack, not only the two measured: each publish waits for the preflight of every release
    // project, which depends on that project's pack, so the measured run replays all of them from the cache.
    await wb.run('nx', ['run-many', '-t', 'pack', 'build', '--outputStyle=static'], { cwd: ws, env: envFor(warm) });
    await warm.down();
    regs.pop();

    const sides = {
      async plugin(i) {
        const reg = await wb.registries(top, `plugin${i}`);
        regs.push(reg);
        fs.rmSync(path.join(ws, 'dist', 'release'), { recursive: true, force: true });
        const r = await wb.run('nx', ['run-many', '-t', 'pack', 'publish', `--projects=${NPM_PROJECTS.join(',')}`, '--outputStyle=static'], { cwd: ws, env: envFor(reg), spawnLog: path.join(top, `spawns-plugin${i}.jsonl`) });
        const stats = reg.stats();
        await reg.down();
        regs.splice(regs.indexOf(reg), 1);
        if (stats.npm.uploadBytes === 0) throw new Error('the plugin uploaded nothing to npm: the proxy is not in the path');
        samples.plugin.push({ ms: r.ms, cpu: r.cpu, stats, spawns: r.spawns });
      },
      async nxr(i) {
        const reg = await wb.registries(top, `nxr${i}`);
        regs.push(reg);
        fs.writeFileSync(nxrc, `//${reg.proxies.npm.hostPort}/:_authToken=\${NPM_TOKEN}\n`);
        const env = { ...wb.baseEnv(ws), NPM_CONFIG_USERCONFIG: nxrc, NPM_TOKEN: wb.sandbox.readSecretFile(reg.env.NPM_TOKEN_FILE) };
        try {
          const v = await wb.run('nx', ['release', 'version', version], { cwd: ws, env, spawnLog: path.join(top, `spawns-nxr-version${i}.jsonl`) });
          const p = await wb.run('nx', ['release', 'publish', '--registry', reg.proxies.npm.url, '--tag', 'dev'], { cwd: ws, env, spawnLog: path.join(top, `spawns-nxr-publish${i}.jsonl`) });
          const stats = reg.stats();
          if (stats.npm.uploadBytes === 0) throw new Error('Nx Release uploaded nothing: the proxy is not in the path');
          samples.nxr.push({ ms: v.ms + p.ms, cpu: v.cpu + p.cpu, version: v.ms, publish: p.ms, stats, spawns: [...(v.spawns || []), ...(p.spawns || [])] });
        } finally {
          wb.must('git', ['-C', ws, 'checkout', '-q', '--', '.']);
          await reg.down();
          regs.splice(regs.indexOf(reg), 1);
        }
      },
    };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 ? ['nxr', 'plugin'] : ['plugin', 'nxr'];
      for (const s of order) await sides[s](i);
      console.log(`round ${i + 1}/${rounds}: plugin ${wb.fmtMs(samples.plugin[i].ms)}, nx release ${wb.fmtMs(samples.nxr[i].ms)} (version ${wb.fmtMs(samples.nxr[i].version)} + publish ${wb.fmtMs(samples.nxr[i].publish)})`);
    }
    report(samples);
  } finally {
    for (const reg of regs) await reg.down().catch(() => {});
    cleanup();
  }
}

function report(s) {
  const med = (xs) => wb.median(xs);
  const plugin = med(s.plugin.map((x) => x.ms));
  const nxr = med(s.nxr.map((x) => x.ms));
  const npmReq = (xs) => med(xs.map((x) => x.stats.npm.requests));
  const others = (x) => Object.entries(x.stats).filter(([k]) => k !== 'npm').map(([k, v]) => `${k} ${v.requests}`).join(', ');
  console.log(`\nmedians of ${s.plugin.length} interleaved round(s)\n`);
  console.log(wb.table(['side', 'wall', 'samples', 'npm requests', 'npm uploaded', 'other registries (round 1)'], [
    ['plugin: nx run-many -t pack publish (2 npm projects)', wb.fmtMs(plugin), s.plugin.map((x) => (x.ms / 1000).toFixed(2)).join(' '), String(npmReq(s.plugin)), wb.fmtBytes(med(s.plugin.map((x) => x.stats.npm.uploadBytes))), others(s.plugin[0])],
    ['Nx Release: nx release version + publish', wb.fmtMs(nxr), s.nxr.map((x) => (x.ms / 1000).toFixed(2)).join(' '), String(npmReq(s.nxr)), wb.fmtBytes(med(s.nxr.map((x) => x.stats.npm.uploadBytes))), others(s.nxr[0])],
    ['  of which nx release version', wb.fmtMs(med(s.nxr.map((x) => x.version))), '', '', '', ''],
    ['  of which nx release publish', wb.fmtMs(med(s.nxr.map((x) => x.publish))), '', '', '', ''],
  ]));
  const cpuP = med(s.plugin.map((x) => x.cpu));
  const cpuN = med(s.nxr.map((x) => x.cpu));
  console.log(`\nCPU seconds (user + system of the process tree): plugin ${cpuP.toFixed(1)} s (${s.plugin.map((x) => x.cpu.toFixed(1)).join(' ')}), Nx Release ${cpuN.toFixed(1)} s (${s.nxr.map((x) => x.cpu.toFixed(1)).join(' ')}): ratio ${(cpuP / cpuN).toFixed(2)}`);
  const ratio = plugin / nxr;
  console.log(`\nratio plugin / Nx Release (wall): ${ratio.toFixed(2)} (goal: < 1, ${ratio < 1 ? 'met' : 'NOT met'}); npm requests ${npmReq(s.plugin)} vs ${npmReq(s.nxr)} (goal: fewer, ${npmReq(s.plugin) < npmReq(s.nxr) ? 'met' : 'NOT met'})`);
  for (const [label, x] of [['plugin', s.plugin[0]], ['Nx Release', s.nxr[0]]]) {
    const shapes = {};
    for (const e of x.stats.npm.log) {
      const k = `${e.method} ${e.path.replace(/\?.*$/, '?…')} -> ${e.status}`;
      shapes[k] = (shapes[k] || 0) + 1;
    }
    console.log(`npm requests of ${label} (round 1):`);
    for (const [k, n] of Object.entries(shapes).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(3)} x ${k}`);
  }
  // Child processes started by the Node processes of each side (lib/spawn-log.js; Nx's native side is not seen).
  for (const [label, x] of [['plugin', s.plugin[0]], ['Nx Release', s.nxr[0]]]) {
    const spawns = x.spawns || [];
    console.log(`child processes of ${label} (round 1, seen by lib/spawn-log.js): ${spawns.length}`);
    for (const [k, v] of Object.entries(wb.spawnSummary(spawns)).sort((a, b) => b[1].n - a[1].n)) console.log(`  ${String(v.n).padStart(4)} x ${k.padEnd(40)} ${(v.ms / 1000).toFixed(2)} s summed`);
  }
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
