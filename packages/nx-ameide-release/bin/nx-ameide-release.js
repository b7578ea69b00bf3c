#!/usr/bin/env node
// The CLI, always from compiled JavaScript: the package's own src/cli/index.js when installed, the
// repository's runtime build (rebuilt first when the sources changed) here; see compiled.js.
let cli;
try {
  cli = require('./compiled').load('src/cli/index');
} catch (err) {
  process.stderr.write(`${err && err.message ? err.message : err}\n`);
  process.exit(1);
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`nx-ameide-release: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  },
);
