#!/usr/bin/env node
'use strict';
// The set-up's last step: every external program the tests, the sandbox and the targets call is
// there (tools/programs.js says which and how each is installed). Exit 1 naming each missing one.
//   node tools/check-programs.js [root]
const { resolve } = require('node:path');
const { checkPrograms, PROGRAMS } = require('./programs');

const root = resolve(process.argv[2] || `${__dirname}/..`);
const problems = checkPrograms({ root });
for (const p of problems) {
  process.stderr.write(`missing: ${p.name}: ${p.problem}\n         used by: ${p.usedBy}\n         fix: ${p.fix}\n`);
}
if (problems.length) process.exit(1);
process.stdout.write(`all ${PROGRAMS.length} programs and packages of tools/programs.js and the plugin's tool table are there\n`);
