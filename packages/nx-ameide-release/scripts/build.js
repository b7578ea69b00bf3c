#!/usr/bin/env node
// Builds the plugin package: compiled JS + declarations, package.json pointing at the JS,
// executors/generators manifests with their schemas, the bin and the README.
//   node scripts/build.js            -> dist/packages/nx-ameide-release (what the plugin's pack publishes)
//   node scripts/build.js <outDir>   -> another folder (a test builds into a temp folder)
//   node scripts/build.js --runtime  -> node_modules/.cache/nx-ameide-release-build (what this repository
//                                       runs: the same build, apart from Nx's build output; see bin/compiled.js)
// The output is built in a temporary folder and swapped in whole, with a build-stamp.json recording the
// sha256 of the inputs (bin/compiled.js compares it with the sources before loading anything).
const { execFileSync } = require('node:child_process');
const { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync, statSync } = require('node:fs');
const { join, relative, resolve, sep } = require('node:path');
const { RUNTIME_DIR, STAMP, sourceFingerprint, statSnapshot } = require('../bin/compiled');

const pkgDir = join(__dirname, '..');
const root = join(pkgDir, '..', '..');
const outArg = process.argv.slice(2).find((a) => !a.startsWith('--'));
const out = process.argv.includes('--runtime') ? RUNTIME_DIR : outArg ? resolve(outArg) : join(root, 'dist', 'packages', 'nx-ameide-release');
const tmp = `${out}.tmp-${process.pid}`;
// Before compiling: an edit during the build leaves a stamp that no longer matches, so it is rebuilt next time.
// Times first, contents second: an edit between the two shows as a time mismatch, then a content check.
// The folder holding the build exists before the times are taken (creating it must not move a time of the package).
mkdirSync(join(out, '..'), { recursive: true });
const snapshot = statSnapshot(pkgDir);
const sources = sourceFingerprint(pkgDir);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', join(pkgDir, 'tsconfig.lib.json'), '--outDir', tmp], {
    stdio: 'inherit',
  });

  function copyMatching(dir, test) {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) copyMatching(p, test);
      else if (test(p)) {
        const dest = join(tmp, relative(pkgDir, p));
        mkdirSync(join(dest, '..'), { recursive: true });
        cpSync(p, dest);
      }
    }
  }
  // Besides the JS: executor schemas, generator templates, and the programs in other languages that
  // the code reads at run time (src/**/programs/<name>/, e.g. the Go smoke's consumer program).
  copyMatching(join(pkgDir, 'src'), (p) => p.endsWith('schema.json') || (p.includes(`${join('generators', '')}`) && p.includes(`${join('files', '')}`)) || relative(pkgDir, p).split(sep).includes('programs'));
  for (const f of ['executors.json', 'generators.json', 'README.md', 'bin']) cpSync(join(pkgDir, f), join(tmp, f), { recursive: true });

  // The source package.json points Nx at the runtime build; the built one at its own files.
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  Object.assign(pkg, { main: './src/index.js', types: './src/index.d.ts', executors: './executors.json', generators: './generators.json' });
  writeFileSync(join(tmp, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  // Not in the package's `files`: never published.
  writeFileSync(join(tmp, STAMP), `${JSON.stringify({ sources, snapshot })}\n`);

  const old = `${out}.old-${process.pid}`;
  if (existsSync(out)) renameSync(out, old);
  renameSync(tmp, out);
  rmSync(old, { recursive: true, force: true });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`built ${relative(root, out)}`);
