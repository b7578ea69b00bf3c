#!/usr/bin/env node
// Prints the tag the local release demo uses: v0.1.0 in a repository without release tags,
// else the next patch of the highest vX.Y.Z tag (so the demo never trips the rollback guard).
const { execFileSync } = require('node:child_process');
const semver = require('semver');
const cwd = process.argv[2] || process.cwd();
const tags = execFileSync('git', ['tag', '--list', 'v*'], { cwd, encoding: 'utf8' })
  .split('\n')
  .filter((t) => /^v\d+\.\d+\.\d+$/.test(t) && semver.valid(t.slice(1)));
const highest = tags.map((t) => t.slice(1)).sort(semver.rcompare)[0];
process.stdout.write(`v${highest ? semver.inc(highest, 'patch') : '0.1.0'}\n`);
