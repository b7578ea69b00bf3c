#!/usr/bin/env node
// Totals the reports of every suite run by tools/test-all.sh and prints one line
// `N passed, N failed`. A suite whose report is missing counts as one failure,
// so a suite that crashed before reporting can never pass silently.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const dir = process.argv[2];
const expected = ['jest-plugin.json', 'jest-configuration.json', 'jest-sdk-ts.json', 'pytest.xml', 'go-test.json', 'actionlint.xml', 'depcruise.json', 'jest-e2e.json'];
let passed = 0;
let failed = 0;
for (const name of expected) {
  const file = join(dir, name);
  if (!existsSync(file)) {
    console.log(`${name}: no report (the suite did not run to the end)`);
    failed += 1;
    continue;
  }
  const text = readFileSync(file, 'utf8');
  let p = 0;
  let f = 0;
  if (name === 'depcruise.json') { // dependency-cruiser: one test per rule, failed when it has a violation
    const r = JSON.parse(text).summary;
    const broken = new Set(r.violations.filter((v) => v.rule.severity === 'error').map((v) => v.rule.name));
    f = broken.size;
    p = r.ruleSetUsed.forbidden.length - f;
  } else if (name.endsWith('.json') && name.startsWith('jest')) {
    const r = JSON.parse(text);
    p = r.numPassedTests;
    f = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  } else if (name.endsWith('.xml')) { // JUnit: pytest, tools/lint-workflows.js
    const m = /<testsuite [^>]*>/.exec(text)[0];
    const attr = (k) => Number((new RegExp(`\\b${k}="(\\d+)"`).exec(m) || [0, 0])[1]);
    f = attr('failures') + attr('errors');
    p = attr('tests') - f - attr('skipped');
  } else {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const ev = JSON.parse(line);
      if (!ev.Test) continue;
      if (ev.Action === 'pass') p += 1;
      if (ev.Action === 'fail') f += 1;
    }
  }
  console.log(`${name}: ${p} passed, ${f} failed`);
  passed += p;
  failed += f;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
