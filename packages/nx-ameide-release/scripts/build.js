#!/usr/bin/env node
// Builds the publishable plugin package into dist/packages/nx-ameide-release:
// compiled JS + declarations, package.json pointing at the JS, executors/generators
// manifests with their schemas, the bin and the README. The source package.json keeps
// `main: ./src/index.ts` so Nx loads the plugin from source inside this workspace.
// `node scripts/build.js [outDir]`: another output folder (a test builds into a temp folder).
const { execFileSync } = require('node:child_process');
const { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } = require('node:fs');
const { join, relative, resolve, sep } = require('node:path');

const pkgDir = join(__dirname, '..');
const root = join(pkgDir, '..', '..');
const out = process.argv[2] ? resolve(process.argv[2]) : join(root, 'dist', 'packages', 'nx-ameide-release');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', join(pkgDir, 'tsconfig.lib.json'), '--outDir', out], {
  stdio: 'inherit',
});

function copyMatching(dir, test) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) copyMatching(p, test);
    else if (test(p)) {
      const dest = join(out, relative(pkgDir, p));
      mkdirSync(join(dest, '..'), { recursive: true });
      cpSync(p, dest);
    }
  }
}
// Besides the JS: executor schemas, generator templates, and the programs in other languages that
// the code reads at run time (src/**/programs/<name>/, e.g. the Go smoke's consumer program).
copyMatching(join(pkgDir, 'src'), (p) => p.endsWith('schema.json') || p.includes(`${join('generators', '')}`) && p.includes(`${join('files', '')}`) || relative(pkgDir, p).split(sep).includes('programs'));
for (const f of ['executors.json', 'generators.json', 'README.md', 'bin']) cpSync(join(pkgDir, f), join(out, f), { recursive: true });

const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
pkg.main = './src/index.js';
pkg.types = './src/index.d.ts';
writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`built ${relative(root, out)}`);
