#!/usr/bin/env node
// Runs the CLI from compiled JS when built (published package), else from the TypeScript source.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
if (!existsSync(join(__dirname, '..', 'src', 'cli.js'))) require('@swc-node/register');
require('../src/cli').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`nx-ameide-release: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  },
);
