#!/usr/bin/env node
// Prints the tag the local release demo uses: v0.1.0 in a repository without release tags,
// else the next patch of the highest vX.Y.Z tag (so the demo never trips the rollback guard).
const { execFileSync } = require('node:child_process');
const cwd = process.argv[2] || process.cwd();
const versions = execFileSync('git', ['tag', '--list', 'v*'], { cwd, encoding: 'utf8' })
  .split('\n')
  .map((t) => /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(t))
  .filter(Boolean)
  .map((m) => m.slice(1).map(Number))
  .sort((a, b) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2]);
const [major, minor, patch] = versions[0] ?? [0, 0, -1];
process.stdout.write(versions.length ? `v${major}.${minor}.${patch + 1}\n` : 'v0.1.0\n');
