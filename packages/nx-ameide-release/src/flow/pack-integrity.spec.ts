import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { PackInput, PackManifest } from '../core/contract';
import { packNpm } from '../ecosystems/npm/pack';
import { createFixtureWorkspace, fixtureContext, type FixtureWorkspace } from '../ecosystems/npm/testing/fixture-workspace';
import { sha256Hex } from '../hash';
import type { VersionContext } from '../version/types';
import { compareWithRebuild, packedHere, packVerifyMode, purgeFix, recordPackedHere, verifyPack } from './pack-integrity';

const SHA = 'b'.repeat(40);
const context = { GIT_SHA: SHA, NPM_VERSION: '1.2.3', CHANNEL: 'release' } as VersionContext;

const manifest = (files: Array<[string, string]>, over: Partial<PackManifest> = {}): PackManifest => ({
  project: 'configuration',
  name: '@ameideio/configuration',
  ecosystem: 'npm',
  version: '1.2.3',
  gitSha: SHA,
  channel: 'release',
  files: files.map(([file, sha256]) => ({ file, sha256, kind: 'tgz' })),
  ...over,
});

describe('AMEIDE_VERIFY_PACK', () => {
  it.each<[string, string | undefined, ReturnType<typeof packVerifyMode>]>([
    ['unset: auto (rebuild what a cache restored)', undefined, 'auto'],
    ['empty: auto', '', 'auto'],
    ['always', 'always', 'always'],
    ['off, any case', 'OFF', 'off'],
    ['anything else is refused, not guessed', 'yes', { invalid: 'yes' }],
  ])('%s', (_name, value, want) => {
    expect(packVerifyMode({ AMEIDE_VERIFY_PACK: value })).toEqual(want);
  });
});

describe('compareWithRebuild', () => {
  const recorded = manifest([['dist/configuration/ameideio-configuration-1.2.3.tgz', 'a'.repeat(64)]]);
  const rebuiltAt = (sha: string, extra: Partial<PackManifest> = {}) =>
    manifest([['../tmp/x/out/ameideio-configuration-1.2.3.tgz', sha]], extra);

  it('the same bytes as a fresh pack: nothing to report', () => {
    expect(compareWithRebuild('configuration', recorded, rebuiltAt('a'.repeat(64)), '../tmp/x/out')).toEqual([]);
  });

  it('a file whose bytes differ from a fresh pack names the project, the file and a fix that works as printed', () => {
    const [finding, ...rest] = compareWithRebuild('configuration', recorded, rebuiltAt('c'.repeat(64)), '../tmp/x/out');
    expect(rest).toEqual([]);
    expect(finding.check).toBe('artifact');
    expect(finding.problem).toContain('dist/configuration/ameideio-configuration-1.2.3.tgz');
    expect(finding.problem).toContain('configuration:pack was altered or forged');
    expect(finding.problem).toContain('aaaaaaaaaaaa… vs cccccccccccc…');
    expect(finding.fix).toBe(purgeFix('configuration'));
    expect(finding.fix).toContain('--skip-nx-cache');
  });

  it('a file a fresh pack makes but the restored output lacks, and one it has but a fresh pack does not make', () => {
    const findings = compareWithRebuild(
      'configuration',
      manifest([['dist/configuration/evil.tgz', 'a'.repeat(64)]]),
      rebuiltAt('a'.repeat(64)),
      '../tmp/x/out',
    );
    expect(findings.map((f) => f.problem)).toEqual([
      expect.stringContaining('dist/configuration/ameideio-configuration-1.2.3.tgz is missing from dist/configuration/pack-manifest.json'),
      expect.stringContaining('dist/configuration/evil.tgz is listed in dist/configuration/pack-manifest.json, but packing this commit again does not produce it'),
    ]);
  });

  it('a manifest claiming another version or SHA than a fresh pack of this commit', () => {
    const findings = compareWithRebuild('configuration', recorded, rebuiltAt('a'.repeat(64), { version: '1.2.4', gitSha: 'd'.repeat(40) }), '../tmp/x/out');
    expect(findings.map((f) => f.problem)).toEqual([
      expect.stringContaining('says version 1.2.3, but packing this commit again gives 1.2.4'),
      expect.stringContaining(`says gitSha ${SHA}, but packing this commit again gives ${'d'.repeat(40)}`),
    ]);
  });
});

describe('verifyPack (a real temp workspace; the pack is a stand-in that writes deterministic bytes)', () => {
  let ws: string;
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const project = 'configuration';
  const dist = () => join(ws, 'dist', project);
  const manifestFile = () => join(dist(), 'pack-manifest.json');
  let packs = 0;
  /** Packs `content` the way an adapter does: the file in outDir, its path relative to the workspace root. */
  const packWith = (content: string) => async (input: PackInput): Promise<PackManifest> => {
    packs++;
    const file = join(input.outDir, 'ameideio-configuration-1.2.3.tgz');
    writeFileSync(file, content);
    return manifest([[relative(input.workspaceRoot, file), sha256Hex(content)]]);
  };
  /** What `pack` leaves in dist/: the artifact and its manifest. */
  const restore = (content: string) => {
    mkdirSync(dist(), { recursive: true });
    writeFileSync(join(dist(), 'ameideio-configuration-1.2.3.tgz'), content);
    const m = manifest([[`dist/${project}/ameideio-configuration-1.2.3.tgz`, sha256Hex(content)]]);
    writeFileSync(manifestFile(), `${JSON.stringify(m, null, 2)}\n`);
    return m;
  };
  const run = (m: PackManifest, mode: 'auto' | 'always' | 'off', content = 'genuine') =>
    verifyPack({ workspaceRoot: ws, projectRoot: 'packages/configuration', project, ecosystem: 'npm', context, manifest: m, mode, log, pack: packWith(content) });

  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'ameide-integrity-'));
    lines.length = 0;
    packs = 0;
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it('restored from a cache and identical to a fresh pack: passes, and says what it cost', async () => {
    expect(await run(restore('genuine'), 'auto')).toEqual([]);
    expect(packs).toBe(1);
    expect(lines.join('\n')).toMatch(/restored from a cache, rebuilt and identical \(1 file\(s\), \d+ ms\)/);
  });

  it('a poisoned entry (artifact and manifest altered together, so the sha256 list agrees) is refused', async () => {
    const findings = await run(restore('poisoned'), 'auto');
    expect(findings).toHaveLength(1);
    expect(findings[0].problem).toContain('configuration:pack was altered or forged');
  });

  it('packed in this workspace (fingerprint recorded by pack): not rebuilt in auto, rebuilt in always', async () => {
    const m = restore('genuine');
    recordPackedHere(ws, project, manifestFile());
    expect(packedHere(ws, project, manifestFile())).toBe(true);
    expect(await run(m, 'auto', 'anything')).toEqual([]);
    expect(packs).toBe(0);
    expect(lines.join('\n')).toContain('packed in this workspace');
    expect(await run(m, 'always', 'different')).toHaveLength(1);
    expect(packs).toBe(1);
  });

  it('a cache restore over what was packed here makes the fingerprint stale: rebuilt and refused', async () => {
    restore('genuine');
    recordPackedHere(ws, project, manifestFile());
    const poisoned = restore('poisoned'); // Nx replaces dist/configuration; the fingerprint file is not an output
    expect(packedHere(ws, project, manifestFile())).toBe(false);
    expect(await run(poisoned, 'auto')).toHaveLength(1);
  });

  it('off: trusts the cache and says so in the log', async () => {
    expect(await run(restore('poisoned'), 'off')).toEqual([]);
    expect(packs).toBe(0);
    expect(lines.join('\n')).toContain('AMEIDE_VERIFY_PACK=off');
  });

  it('a fresh pack that fails is a finding with a fix, not a crash; the temp folder is removed', async () => {
    const m = restore('genuine');
    let outDir = '';
    const findings = await verifyPack({
      workspaceRoot: ws, projectRoot: 'packages/configuration', project, ecosystem: 'npm', context, manifest: m, mode: 'always', log,
      pack: async (input) => {
        outDir = input.outDir;
        throw new Error('tsc: error TS2307\nmore');
      },
    });
    expect(outDir).not.toBe('');
    expect(existsSync(outDir)).toBe(false);
    expect(findings).toEqual([
      expect.objectContaining({ check: 'artifact', problem: expect.stringContaining('packing configuration again to check the restored artifacts failed: tsc: error TS2307') }),
    ]);
  });
});

describe('verifyPack with the real npm adapter on a real pnpm workspace (npm pack is reproducible)', () => {
  jest.setTimeout(120000);
  let ws: FixtureWorkspace;
  let vc: VersionContext;
  const lines: string[] = [];
  const verify = (m: PackManifest) =>
    verifyPack({ workspaceRoot: ws.root, projectRoot: 'packages/cfg', project: 'cfg', ecosystem: 'npm', context: vc, manifest: m, mode: 'auto', log: (l) => lines.push(l) });
  /** What `pack` leaves in dist/cfg, written as the pack executor writes it (no packed-here fingerprint: as if restored). */
  const packIntoDist = async (): Promise<PackManifest> => {
    const outDir = join(ws.root, 'dist', 'cfg');
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const m = await packNpm({ workspaceRoot: ws.root, projectRoot: 'packages/cfg', project: 'cfg', context: vc, outDir, log: () => undefined });
    writeFileSync(join(outDir, 'pack-manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
    return m;
  };

  beforeAll(() => {
    ws = createFixtureWorkspace();
    vc = fixtureContext({ GIT_SHA: ws.git('rev-parse', 'HEAD') });
  });
  afterAll(() => rmSync(ws.root, { recursive: true, force: true }));

  it('a restored genuine pack: rebuilt with npm pack, identical', async () => {
    expect(await verify(await packIntoDist())).toEqual([]);
    expect(lines.join('\n')).toContain('restored from a cache, rebuilt and identical (1 file(s)');
  });

  it('a tarball with one file added (the manifest updated to match): refused, naming the file', async () => {
    const m = await packIntoDist();
    const tgz = join(ws.root, m.files[0].file);
    const unpacked = mkdtempSync(join(tmpdir(), 'ameide-forge-'));
    try {
      execFileSync('tar', ['-xzf', tgz, '-C', unpacked]);
      writeFileSync(join(unpacked, 'package', 'payload.js'), "require('child_process').execSync('id');\n");
      execFileSync('tar', ['-czf', tgz, '-C', unpacked, 'package']);
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
    const forged = { ...m, files: [{ ...m.files[0], sha256: sha256Hex(readFileSync(tgz)) }] };
    const findings = await verify(forged);
    expect(findings).toHaveLength(1);
    expect(findings[0].problem).toContain(`${m.files[0].file} is not what this commit packs to`);
  });
});
