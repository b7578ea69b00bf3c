import { goModProblems } from './index';
import { parseGoMod, replaces, retractionOf } from '../../gomod';
import { checkFilePath, checkModulePath, escapeModulePath, modulePseudoVersion, splitPathVersion } from './module';
import { dosDateTime, hash1, isVendoredPackage, readZip, writeZip } from './modzip';

const M = 'github.com/ameideio/ameide-sdk-go';
const gomod = (body: string, module = M) => `module ${module}\n\ngo 1.22\n${body}`;
const problems = (text: string, version: string) => goModProblems(parseGoMod(text), version).map((p) => p.what).join('\n');

describe('go.mod guards', () => {
  const rows: { name: string; text: string; version: string; error: RegExp | null }[] = [
    { name: 'v0 release of a path without suffix is fine', text: gomod(''), version: 'v0.1.0', error: null },
    { name: 'v1 release of a path without suffix is fine', text: gomod(''), version: 'v1.4.2', error: null },
    { name: 'v2 release needs /v2 in the path', text: gomod(''), version: 'v2.0.0', error: /must end in \/v2/ },
    { name: 'v2 release of a /v2 path is fine', text: gomod('', `${M}/v2`), version: 'v2.0.0', error: null },
    { name: 'v2 release of a /v3 path is refused', text: gomod('', `${M}/v3`), version: 'v2.1.0', error: /major 2, but the module path ends in \/v3/ },
    { name: 'v1 release of a /v2 path is refused', text: gomod('', `${M}/v2`), version: 'v1.0.0', error: /must not end in a major suffix/ },
    { name: '/v1 suffix is never valid', text: gomod('', `${M}/v1`), version: 'v1.0.0', error: /invalid major version suffix/ },
    { name: 'dev channel (no version) still accepts a /v2 path being prepared', text: gomod('', `${M}/v2`), version: '', error: null },
    { name: 'single-line replace is refused', text: gomod('replace example.com/a => ../a\n'), version: 'v0.1.0', error: /replace directive on line 4 \(example.com\/a => ..\/a\)/ },
    {
      name: 'block replace with comments is refused, one error per entry',
      text: gomod('replace ( // local hacks\n\texample.com/a v1.0.0 => ../a // temp\n\t"example.com/b" => example.com/c v1.2.3\n)\n'),
      version: 'v0.1.0',
      error: /line 5 .*\n.*line 6 \(example.com\/b => example.com\/c v1.2.3\)/,
    },
    { name: 'replace is refused on the dev channel too (fail the PR early)', text: gomod('replace example.com/a => ../a\n'), version: '', error: /replace directive/ },
    { name: 'a commented-out replace is not a replace', text: gomod('// replace example.com/a => ../a\nrequire example.com/x v1.0.0 // replace me\n'), version: 'v0.1.0', error: null },
    { name: 'retracting the released version is refused', text: gomod('retract v0.1.0 // broken\n'), version: 'v0.1.0', error: /v0.1.0 is retracted on line 4/ },
    { name: 'a retract interval covering the version is refused', text: gomod('retract (\n\t[v0.1.0, v0.3.0]\n)\n'), version: 'v0.2.5', error: /retracted on line 5/ },
    { name: 'retracting another version is fine', text: gomod('retract [v0.0.1, v0.0.9]\n'), version: 'v0.1.0', error: null },
    { name: 'a missing module directive is refused', text: 'go 1.22\n', version: 'v0.1.0', error: /no module directive/ },
    { name: 'an upper-case host is refused', text: gomod('', 'GitHub.com/x/y'), version: 'v0.1.0', error: /first path element/ },
  ];
  it.each(rows)('$name', ({ text, version, error }) => {
    const got = problems(text, version);
    if (error) expect(got).toMatch(error);
    else expect(got).toBe('');
  });

  it('parses quoted module paths and the go version', () => {
    const f = parseGoMod('module "example.com/Quoted" // c\ngo 1.24.1\n');
    expect(f.module).toBe('example.com/Quoted');
    expect(f.go).toBe('1.24.1');
    expect(replaces(f)).toHaveLength(0);
    expect(retractionOf(parseGoMod('module a.b/c\nretract v1.0.0\n'), 'v1.0.1')).toBeUndefined();
  });

  it('rejects an unterminated block', () => {
    expect(() => parseGoMod('module a.b/c\nrequire (\n\tx.y/z v1.0.0\n')).toThrow(/unterminated "require \(" block/);
  });
});

describe('module path and file rules', () => {
  it('escapes upper-case letters as !x', () => {
    expect(escapeModulePath('github.com/Azure/Go-SDK')).toBe('github.com/!azure/!go-!s!d!k');
  });
  it('splits major suffixes like x/mod', () => {
    expect(splitPathVersion('example.com/m/v2')).toEqual({ prefix: 'example.com/m', pathMajor: '/v2', ok: true });
    expect(splitPathVersion('example.com/m/v1').ok).toBe(false);
    expect(splitPathVersion('example.com/m/v2.1').ok).toBe(false);
    expect(splitPathVersion('example.com/m').pathMajor).toBe('');
  });
  it('checks module paths', () => {
    expect(checkModulePath(M)).toBeNull();
    expect(checkModulePath('nodot/x')).toMatch(/missing dot/);
    expect(checkModulePath('example.com/a~1')).toMatch(/tilde/);
  });
  it('checks file names', () => {
    expect(checkFilePath('dir/file_test.go')).toBeNull();
    expect(checkFilePath('.github/workflows/x.yml')).toBeNull();
    expect(checkFilePath('a/CON.txt')).toMatch(/Windows/);
    expect(checkFilePath('a*b')).toMatch(/invalid char/);
    expect(checkFilePath('a/../b')).toMatch(/invalid path element/);
  });
  it('knows vendored packages per go version', () => {
    expect(isVendoredPackage('vendor/example.com/x/x.go', [1, 22])).toBe(true);
    expect(isVendoredPackage('vendor/modules.txt', [1, 22])).toBe(false);
    expect(isVendoredPackage('vendor/modules.txt', [1, 24])).toBe(true);
    expect(isVendoredPackage('vendor/x.go', [1, 24])).toBe(false);
  });
});

describe('zip and h1', () => {
  it('round-trips, sorts entries and stamps the commit time', () => {
    const zip = writeZip(
      [
        { name: 'm@v1.0.0/b.go', data: Buffer.from('package b\n') },
        { name: 'm@v1.0.0/a.go', data: Buffer.from('package a\n') },
        { name: 'm@v1.0.0/empty', data: Buffer.alloc(0) },
      ],
      '2025-11-13T15:32:11Z',
    );
    expect(readZip(zip).map((e) => [e.name, e.data.toString()])).toEqual([
      ['m@v1.0.0/a.go', 'package a\n'],
      ['m@v1.0.0/b.go', 'package b\n'],
      ['m@v1.0.0/empty', ''],
    ]);
    const { date, time } = dosDateTime('2025-11-13T15:32:11Z');
    expect(zip.readUInt16LE(10)).toBe(time);
    expect(zip.readUInt16LE(12)).toBe(date);
    expect(date).toBe(((2025 - 1980) << 9) | (11 << 5) | 13);
  });
  it('computes dirhash Hash1 exactly as go.sum records it', () => {
    // Golden values measured with go 1.26: `go get` of this module from a git repository wrote these go.sum lines.
    const goMod = Buffer.from('module github.com/ameideio/ameide-sdk-go\n\ngo 1.22\n');
    const aGo = Buffer.from('package ameide\n\nfunc Hello() string { return "hi" }\n');
    expect(hash1([{ name: 'go.mod', data: goMod }])).toBe('h1:6l5souB2wlqc1TPl4WXCsTj8hRF8fjH/xrxAM7e8xLo=');
    const p = 'github.com/ameideio/ameide-sdk-go@v0.1.0/';
    expect(hash1([{ name: `${p}go.mod`, data: goMod }, { name: `${p}a.go`, data: aGo }])).toBe('h1:l7T4h1oexzDwhc0wEIYHXQ84sCG2sfCnl59Ht4KfZX4=');
  });
});

describe('modulePseudoVersion: the version a dev pack zips under', () => {
  const rev = '71e210beab37';
  it.each([
    { name: 'no tags: the context pseudo-version as is', path: M, pseudo: `v0.0.0-20251113153211-${rev}`, expected: `v0.0.0-20251113153211-${rev}` },
    { name: 'after v0.1.0: as is', path: M, pseudo: `v0.1.1-0.20251113153211-${rev}`, expected: `v0.1.1-0.20251113153211-${rev}` },
    { name: 'a /v2 module before its first v2 tag: v2.0.0-<datetime>-<rev>', path: `${M}/v2`, pseudo: `v1.4.1-0.20251113153211-${rev}`, expected: `v2.0.0-20251113153211-${rev}` },
    { name: 'a /v2 module after v2.1.0: as is', path: `${M}/v2`, pseudo: `v2.1.1-0.20251113153211-${rev}`, expected: `v2.1.1-0.20251113153211-${rev}` },
    { name: 'a path without suffix in a repo tagged v2+: v0.0.0-<datetime>-<rev>', path: M, pseudo: `v2.0.1-0.20251113153211-${rev}`, expected: `v0.0.0-20251113153211-${rev}` },
    { name: 'empty (release channel): empty', path: M, pseudo: '', expected: '' },
  ])('$name', ({ path, pseudo, expected }) => {
    expect(modulePseudoVersion(path, pseudo)).toBe(expected);
  });
});
