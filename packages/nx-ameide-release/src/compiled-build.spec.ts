import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** bin/compiled.js: which build the CLI, the plugin entry and the executors load (plain JS, so required as is). */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const compiled = require('../bin/compiled.js');
const BIN = join(__dirname, '..', 'bin');

function write(dir: string, rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

/** A package folder like this one: sources, a test, a testing helper, the manifests. */
function fakePackage(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'compiled-build-')), 'packages', 'plug');
  write(dir, 'src/index.ts', 'export const a = 1;\n');
  write(dir, 'src/index.spec.ts', 'test\n');
  write(dir, 'src/git/testing.ts', 'helper\n');
  write(dir, 'src/executors/pack/schema.json', '{}\n');
  write(dir, 'package.json', '{"name":"plug"}\n');
  write(dir, 'README.md', 'readme\n');
  return dir;
}

/** The stamp scripts/build.js writes: the times first, then the contents. */
function stamp(out: string, dir: string): void {
  const snapshot = compiled.statSnapshot(dir);
  write(out, compiled.STAMP, JSON.stringify({ sources: compiled.sourceFingerprint(dir), snapshot }));
}

const readSnapshot = (out: string) => JSON.parse(readFileSync(join(out, compiled.STAMP), 'utf8')).snapshot;

describe('the compiled build and its stamp', () => {
  it('a build whose stamp matches the sources is used; none at all is named', () => {
    const dir = fakePackage();
    const out = join(dir, 'node_modules', '.cache', 'build');
    expect(compiled.staleness(dir, out)).toMatch(/^no compiled build at /);
    stamp(out, dir);
    expect(compiled.staleness(dir, out)).toBeNull();
  });

  it.each([
    ['a source edited', 'src/index.ts', 'export const a = 2;\n'],
    ['a source added', 'src/new.ts', 'export {};\n'],
    ['a schema edited', 'src/executors/pack/schema.json', '{"x":1}\n'],
    ['the package manifest edited', 'package.json', '{"name":"plug","main":"x"}\n'],
  ])('%s makes the build stale', (_what, rel, text) => {
    const dir = fakePackage();
    const out = join(dir, 'node_modules', '.cache', 'build');
    stamp(out, dir);
    write(dir, rel, text);
    expect(compiled.staleness(dir, out)).toMatch(/^the sources changed since the build at /);
  });

  it.each([
    ['a test edited', 'src/index.spec.ts'],
    ['a testing helper edited', 'src/git/testing.ts'],
    ['the README edited', 'README.md'],
    ['node_modules touched', 'node_modules/semver/index.js'],
  ])('%s does not (jest runs the sources; nothing compiled changes)', (_what, rel) => {
    const dir = fakePackage();
    const out = join(dir, 'node_modules', '.cache', 'build');
    stamp(out, dir);
    write(dir, rel, 'changed\n');
    expect(compiled.staleness(dir, out)).toBeNull();
  });
});

describe('the quick check (one stat per input and folder, no walk, no hash)', () => {
  it('holds for the build just stamped, and covers the inputs and every folder but not tests or node_modules', () => {
    const dir = fakePackage();
    write(dir, 'node_modules/semver/index.js', 'x\n');
    const out = join(dir, 'node_modules', '.cache', 'build');
    stamp(out, dir);
    const snapshot = readSnapshot(out);
    expect(compiled.snapshotHolds(snapshot, dir)).toBe(true);
    expect(snapshot.files.map((f: [string]) => f[0]).sort()).toEqual(['package.json', 'src/executors/pack/schema.json', 'src/index.ts']);
    expect(snapshot.dirs.map((d: [string]) => d[0]).sort()).toEqual(['', 'src', 'src/executors', 'src/executors/pack', 'src/git']);
  });

  it.each([
    ['a source edited (same size)', (dir: string) => write(dir, 'src/index.ts', 'export const a = 9;\n')],
    ['a file added in a folder', (dir: string) => write(dir, 'src/executors/new.ts', 'export {};\n')],
    ['a folder added', (dir: string) => mkdirSync(join(dir, 'src', 'more'))],
    ['an input\'s time moved, contents unchanged', (dir: string) => utimesSync(join(dir, 'package.json'), new Date(), new Date(Date.now() - 86_400_000))],
  ])('fails when %s: the contents decide then', (_what, change) => {
    const dir = fakePackage();
    const out = join(dir, 'node_modules', '.cache', 'build');
    stamp(out, dir);
    change(dir);
    expect(compiled.snapshotHolds(readSnapshot(out), dir)).toBe(false);
  });

  it('after times moved on unchanged sources the build stays fresh and the stamp takes the new times (quick again next time)', () => {
    const dir = fakePackage();
    const out = join(dir, 'node_modules', '.cache', 'build');
    stamp(out, dir);
    utimesSync(join(dir, 'src', 'index.ts'), new Date(), new Date(Date.now() - 86_400_000));
    write(dir, 'src/index.spec.ts', 'a test edited\n');
    expect(compiled.snapshotHolds(readSnapshot(out), dir)).toBe(false);
    expect(compiled.staleness(dir, out)).toBeNull();
    expect(compiled.snapshotHolds(readSnapshot(out), dir)).toBe(true);
  });

  it('an edited source is never refreshed into the stamp: it stays stale', () => {
    const dir = fakePackage();
    const out = join(dir, 'node_modules', '.cache', 'build');
    stamp(out, dir);
    write(dir, 'src/index.ts', 'export const a = 7;\n');
    expect(compiled.staleness(dir, out)).toMatch(/^the sources changed/);
    expect(compiled.staleness(dir, out)).toMatch(/^the sources changed/);
  });
});

describe('which code runs (a copy of bin/compiled.js in a package layout)', () => {
  function layout(withCompiledSrc: boolean): string {
    const dir = fakePackage();
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(BIN, 'compiled.js'), join(dir, 'bin', 'compiled.js'));
    if (withCompiledSrc) write(dir, 'src/index.js', 'exports.where = "published";\n');
    return dir;
  }
  const run = (dir: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['-e', `const c = require(${JSON.stringify(join(dir, 'bin', 'compiled.js'))}); console.log(c.compiledRoot())`], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  it('the published package (src/index.js beside bin/) runs its own JavaScript, with no check', () => {
    const dir = layout(true);
    const r = run(dir);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(dir);
  });

  it('in a source checkout, a fresh runtime build is what runs', () => {
    const dir = layout(false);
    stamp(join(dir, 'node_modules', '.cache', 'nx-ameide-release-build'), dir);
    const r = run(dir);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, 'node_modules', '.cache', 'nx-ameide-release-build'));
  });

  it('a stale build is refused with the command that builds it when AMEIDE_NO_AUTOBUILD is set (never run silently)', () => {
    const dir = layout(false);
    stamp(join(dir, 'node_modules', '.cache', 'nx-ameide-release-build'), dir);
    write(dir, 'src/index.ts', 'export const a = 3;\n');
    const r = run(dir, { AMEIDE_NO_AUTOBUILD: '1' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('the sources changed since the build');
    expect(r.stderr).toContain('node packages/nx-ameide-release/scripts/build.js --runtime');
  });

  it('a stale build is rebuilt before anything loads (and a failing build is an error, not old code)', () => {
    const dir = layout(false);
    stamp(join(dir, 'node_modules', '.cache', 'nx-ameide-release-build'), dir);
    write(dir, 'src/index.ts', 'export const a = 4;\n');
    // A build script that fails: the fake package has no compiler.
    write(dir, 'scripts/build.js', 'process.stderr.write("tsc: boom\\n"); process.exit(2);\n');
    const r = run(dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('tsc: boom');
    expect(r.stderr).toMatch(/Command failed: .*build\.js --runtime/);
  });
});
