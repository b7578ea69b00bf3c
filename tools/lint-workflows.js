#!/usr/bin/env node
// actionlint over the repository's workflows and over every workflow `init` can write (rendered
// into a temporary directory), one test case per file, as a JUnit report tools/count-results.js totals:
//
//   node tools/lint-workflows.js [<reports-dir>]     (writes <reports-dir>/actionlint.xml)
//
// actionlint runs shellcheck on `run:` scripts when shellcheck is on PATH (tools/setup.sh installs both).
const { spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
process.chdir(root);
const reports = process.argv[2];

function onPath(tool) {
  return spawnSync('sh', ['-c', 'command -v "$0"', tool], { encoding: 'utf8' }).status === 0;
}

async function main() {
  if (!onPath('actionlint')) {
    console.error('actionlint is not on PATH: run `bash tools/setup.sh`, then export PATH="$(go env GOPATH)/bin:$PATH"');
    return 1;
  }
  if (!onPath('shellcheck')) console.log('note: shellcheck is not on PATH, so run: scripts are not checked (apt-get install shellcheck)');

  require('@swc-node/register');
  const { renderWorkflowVariants } = require('../packages/nx-ameide-release/src/generators/init/testing/variants.ts');
  const { logger } = require('@nx/devkit');
  logger.info = () => undefined; // init's prerequisites list, printed once per variant
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-workflows-'));
  try {
    const files = readdirSync('.github/workflows')
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join('.github/workflows', f));
    mkdirSync(join(tmp, 'init'));
    for (const v of await renderWorkflowVariants()) {
      const file = join(tmp, 'init', v.name);
      writeFileSync(file, v.text);
      files.push(file);
    }

    const cases = [];
    const t0 = process.hrtime.bigint();
    for (const file of files) {
      const t = process.hrtime.bigint();
      const r = spawnSync('actionlint', ['-no-color', file], { encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const name = file.startsWith(tmp) ? `init: ${relative(join(tmp, 'init'), file)}` : file;
      const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim();
      cases.push({ name, ms, ok: r.status === 0, output });
      console.log(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${name} (${ms.toFixed(0)} ms)`);
      if (r.status !== 0) console.log(output.replace(/^/gm, '     '));
    }
    const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const failed = cases.filter((c) => !c.ok).length;
    console.log(`actionlint: ${cases.length - failed} of ${cases.length} files clean, ${totalMs.toFixed(0)} ms in all`);
    if (reports) writeFileSync(join(reports, 'actionlint.xml'), junit(cases, totalMs));
    return failed > 0 ? 1 : 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function junit(cases, totalMs) {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const failed = cases.filter((c) => !c.ok).length;
  const body = cases
    .map((c) => {
      const head = `  <testcase classname="actionlint" name="${esc(c.name)}" time="${(c.ms / 1000).toFixed(3)}"`;
      return c.ok ? `${head}/>` : `${head}>\n    <failure message="actionlint reported problems">${esc(c.output)}</failure>\n  </testcase>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="actionlint" tests="${cases.length}" failures="${failed}" errors="0" skipped="0" time="${(totalMs / 1000).toFixed(3)}">\n${body}\n</testsuite>\n`;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
