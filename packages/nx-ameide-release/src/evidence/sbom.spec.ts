import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findTool } from '../tools';
import { cdxgenCommand, derivedSerial, generateSbom, normalizeSbom, purlOf, sbomOfPack } from './sbom';
import type { PackManifest } from '../core/contract';

jest.setTimeout(120_000);

const SHA = 'c'.repeat(40);

describe('derivedSerial', () => {
  it('is a version-5-layout UUID URN, the same for the same SHA and component, another for another', () => {
    const a = derivedSerial(SHA, 'pkg:npm/x@1.0.0');
    expect(a).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedSerial(SHA, 'pkg:npm/x@1.0.0')).toBe(a);
    expect(derivedSerial(SHA, 'pkg:npm/y@1.0.0')).not.toBe(a);
    expect(derivedSerial('d'.repeat(40), 'pkg:npm/x@1.0.0')).not.toBe(a);
  });
});

describe('purlOf', () => {
  it.each([
    ['a scoped npm package', 'npm', '@ameideio/ameide-sdk-ts', '1.2.3', 'pkg:npm/%40ameideio/ameide-sdk-ts@1.2.3'],
    ['a PyPI project (normalised name)', 'pypi', 'Ameide_SDK.python', '1.2.3rc1', 'pkg:pypi/ameide-sdk-python@1.2.3rc1'],
    ['a Go module', 'go', 'github.com/ameideio/ameide-sdk-go', 'v1.2.3', 'pkg:golang/github.com/ameideio/ameide-sdk-go@v1.2.3'],
  ] as const)('%s', (_name, eco, name, version, expected) => {
    expect(purlOf(eco, name, version)).toBe(expected);
  });
});

describe('normalizeSbom', () => {
  const raw = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:4cf5e863-f155-4071-a77a-5305b45e8039',
    metadata: {
      timestamp: '2026-11-25T14:19:23Z',
      component: { group: '', name: 'ameide_sdk_ts', version: 'latest', type: 'application', 'bom-ref': 'pkg:generic/ameide_sdk_ts@latest' },
      properties: [{ name: 'SrcFile', value: '/tmp/ws-1/packages/sdk/package.json' }],
    },
    components: [{ name: 'left-pad', purl: 'pkg:npm/left-pad@1.3.0', properties: [{ name: 'SrcFile', value: '/tmp/ws-1/pnpm-lock.yaml' }] }],
    dependencies: [{ ref: 'pkg:generic/ameide_sdk_ts@latest', dependsOn: ['pkg:npm/left-pad@1.3.0'] }],
    annotations: [{ timestamp: '2026-11-25T14:19:23Z', text: 'created on Wednesday, November 25, 2026 with cdxgen' }],
  };
  const facts = { ecosystem: 'npm' as const, name: '@ameideio/ameide-sdk-ts', version: '1.2.3', sha: SHA, ref: 'refs/tags/v1.2.3', commitTime: '2025-11-13T15:32:11Z', strip: ['/tmp/ws-1'] };

  it('replaces the random serial, the wall-clock time and absolute paths, and names the release', () => {
    const out = normalizeSbom(raw, facts);
    const purl = 'pkg:npm/%40ameideio/ameide-sdk-ts@1.2.3';
    expect(out.serialNumber).toBe(derivedSerial(SHA, purl));
    expect(out.metadata.timestamp).toBe('2025-11-13T15:32:11Z');
    expect(out.metadata.component).toEqual({ type: 'library', group: '@ameideio', name: 'ameide-sdk-ts', version: '1.2.3', purl, 'bom-ref': purl });
    expect(out.metadata.properties).toEqual([
      { name: 'SrcFile', value: 'packages/sdk/package.json' },
      { name: 'io.ameide:git.sha', value: SHA },
      { name: 'io.ameide:git.ref', value: 'refs/tags/v1.2.3' },
    ]);
    expect(out.components[0].properties).toEqual([{ name: 'SrcFile', value: 'pnpm-lock.yaml' }]);
    expect(out.dependencies).toEqual([{ ref: purl, dependsOn: ['pkg:npm/left-pad@1.3.0'] }]);
    expect(out.annotations).toBeUndefined();
    expect(JSON.stringify(out)).not.toContain('/tmp/ws-1');
  });

  it('gives the same document for two runs that differ only in what cdxgen made up (serial, time, place)', () => {
    const other = JSON.parse(JSON.stringify(raw).split('/tmp/ws-1').join('/home/ci/clone-2'));
    other.serialNumber = 'urn:uuid:00000000-0000-4000-8000-000000000000';
    other.metadata.timestamp = '2030-01-01T00:00:00Z';
    expect(JSON.stringify(normalizeSbom(other, { ...facts, strip: ['/home/ci/clone-2'] }))).toBe(JSON.stringify(normalizeSbom(raw, facts)));
  });

  it('does not change its input', () => {
    const copy = JSON.parse(JSON.stringify(raw));
    normalizeSbom(copy, facts);
    expect(copy).toEqual(raw);
  });
});

describe('cdxgenCommand', () => {
  it('reads manifests only: no dependency install, no recursion, no license lookups, pinned spec version', () => {
    const cmd = cdxgenCommand('/usr/bin/cdxgen', 'go', '/ws/packages/go', '/tmp/x/bom.json', {});
    expect(cmd.args).toEqual(['-t', 'go', '--no-install-deps', '--no-recurse', '--no-babel', '--spec-version', '1.6', '-o', '/tmp/x/bom.json', '/ws/packages/go']);
    expect(cmd.env?.FETCH_LICENSE).toBe('false');
  });
});

describe('generateSbom with the real cdxgen', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-sbom-spec-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const repoRoot = resolve(__dirname, '../../../..');

  /** A fresh copy of the workspace's payload packages at its own absolute path, as a fresh clone would be. */
  function clone(name: string): string {
    const ws = join(tmp, name);
    mkdirSync(join(ws, 'packages'), { recursive: true });
    for (const p of ['ameide_sdk_go', 'ameide_sdk_python', 'configuration']) cpSync(join(repoRoot, 'packages', p), join(ws, 'packages', p), { recursive: true, filter: (s) => !s.includes('node_modules') && !s.includes('dist') });
    writeFileSync(join(ws, 'packages/configuration/package-lock.json'), JSON.stringify({ name: '@ameideio/configuration', lockfileVersion: 3, packages: {} }));
    return ws;
  }

  it.each([
    ['Go module', 'go', 'packages/ameide_sdk_go', 'github.com/ameideio/ameide-sdk-go', 'v0.4.0', 'pkg:golang/github.com/ameideio/ameide-sdk-go@v0.4.0'],
    ['PyPI project', 'pypi', 'packages/ameide_sdk_python', 'ameide-sdk-python', '0.4.0', 'pkg:pypi/ameide-sdk-python@0.4.0'],
    ['npm package', 'npm', 'packages/configuration', '@ameideio/configuration', '0.4.0', 'pkg:npm/%40ameideio/configuration@0.4.0'],
  ] as const)('two fresh copies of one SHA give byte-identical SBOMs (%s), naming the version and SHA', async (_name, ecosystem, projectRoot, name, version, purl) => {
    const cdxgen = findTool('cdxgen');
    const made: string[] = [];
    for (const copy of [`${ecosystem}-1`, `${ecosystem}-2`]) {
      const ws = clone(copy);
      await generateSbom({ workspaceRoot: ws, projectRoot, outFile: 'dist/release/p/sbom.cdx.json', cdxgen, ecosystem, name, version, sha: SHA, ref: 'refs/tags/v0.4.0', commitTime: '2025-11-13T15:32:11Z' });
      made.push(readFileSync(join(ws, 'dist/release/p/sbom.cdx.json'), 'utf8'));
    }
    expect(made[1]).toBe(made[0]);
    const bom = JSON.parse(made[0]);
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component.purl).toBe(purl);
    expect(bom.metadata.timestamp).toBe('2025-11-13T15:32:11Z');
    expect(bom.metadata.properties).toContainEqual({ name: 'io.ameide:git.sha', value: SHA });
    expect(made[0]).not.toContain(tmp);
  });
});

describe('sbomOfPack: one cdxgen run per pack state', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-sbom-reuse-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const repoRoot = resolve(__dirname, '../../../..');

  it('reuses the SBOM of the same pack state from the git directory, and makes it again when the packed bytes, a lockfile or the stored entry change', async () => {
    const ws = join(tmp, 'ws');
    mkdirSync(join(ws, '.git'), { recursive: true });
    cpSync(join(repoRoot, 'packages/ameide_sdk_go'), join(ws, 'packages/ameide_sdk_go'), { recursive: true, filter: (p) => !p.includes('dist') });
    // the real cdxgen, behind a wrapper that counts its runs
    const runs = join(tmp, 'runs.log');
    const cdxgen = join(tmp, 'cdxgen');
    writeFileSync(cdxgen, `#!/bin/sh\necho run >> '${runs}'\nexec '${findTool('cdxgen')}' "$@"\n`);
    chmodSync(cdxgen, 0o755);
    const count = () => (existsSync(runs) ? readFileSync(runs, 'utf8').trim().split('\n').length : 0);
    const input = {
      workspaceRoot: ws, projectRoot: 'packages/ameide_sdk_go', outFile: 'dist/release/go/sbom.cdx.json', cdxgen, ecosystem: 'go' as const,
      name: 'github.com/ameideio/ameide-sdk-go', version: 'v0.4.0', sha: SHA, ref: 'refs/tags/v0.4.0', commitTime: '2025-11-13T15:32:11Z',
    };
    const manifest: PackManifest = {
      project: 'go', name: input.name, ecosystem: 'go', version: 'v0.4.0', gitSha: SHA, channel: 'release',
      files: [{ file: 'dist/go/v0.4.0.zip', sha256: 'a'.repeat(64), kind: 'go-zip' }],
    };
    const out = join(ws, input.outFile);

    const first = await sbomOfPack(input, manifest, {});
    expect([first.reused, count()]).toEqual([false, 1]);
    const made = readFileSync(out, 'utf8');
    rmSync(out);
    const again = await sbomOfPack(input, manifest, {});
    expect([again.reused, count()]).toEqual([true, 1]);
    expect(readFileSync(out, 'utf8')).toBe(made); // the release evidence is written from the stored bytes
    expect(again.document).toEqual(first.document);

    // other packed bytes: another pack state
    const repacked = { ...manifest, files: [{ ...manifest.files[0], sha256: 'b'.repeat(64) }] };
    expect((await sbomOfPack(input, repacked, {})).reused).toBe(false);
    expect(count()).toBe(2);
    // a changed go.sum (cdxgen reads it) is another input too
    writeFileSync(join(ws, 'packages/ameide_sdk_go/go.sum'), 'example.com/x v1.0.0 h1:AAAA=\n');
    expect((await sbomOfPack(input, manifest, {})).reused).toBe(false);
    expect(count()).toBe(3);
    // a stored entry that names another commit is not taken for this one
    const store = join(ws, '.git/nx-ameide-release/sbom');
    for (const f of readdirSync(store)) writeFileSync(join(store, f), readFileSync(join(store, f), 'utf8').split(SHA).join('d'.repeat(40)));
    expect((await sbomOfPack(input, manifest, {})).reused).toBe(false);
    expect(count()).toBe(4);
    // AMEIDE_EVIDENCE_CACHE=off: always made
    expect((await sbomOfPack(input, manifest, { AMEIDE_EVIDENCE_CACHE: 'off' })).reused).toBe(false);
    expect(count()).toBe(5);
  });
});
