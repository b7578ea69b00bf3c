import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from '../exec';
import { attestPackages } from '../ecosystems/oci/attest';
import type { PackManifest } from '../core/contract';
import type { VersionContext } from '../version/types';
import { bundleMismatch, canonicalJson, pae, withoutEmptyObjects } from './bundle';

/** Bundles made by the real cosign (attest-blob, key pairs made here, tlog off as the plugin signs). */
jest.setTimeout(120_000);

const COSIGN = process.env.COSIGN_BIN ?? join(homedir(), 'go/bin/cosign');
const CYCLONEDX = 'https://cyclonedx.org/bom';

describe('canonicalJson and pae (pure)', () => {
  it('sorts keys at every level and drops undefined members, as cosign re-serialises a predicate', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: 'x', u: undefined })).toBe('{"a":"x","b":[{"c":2,"d":1}]}');
  });
  it('withoutEmptyObjects drops what cosign adds to a provenance predicate (empty messages), and keeps the rest', () => {
    expect(withoutEmptyObjects({ runDetails: { builder: { id: 'b' }, metadata: {} }, a: [{}, 1], e: '', z: { y: {} } })).toEqual({ runDetails: { builder: { id: 'b' } }, a: [{}, 1], e: '' });
  });
  it('is DSSE v1\'s pre-authentication encoding (byte lengths)', () => {
    expect(pae('t/x', Buffer.from('héllo')).toString()).toBe('DSSEv1 3 t/x 6 héllo');
  });
});

describe('bundleMismatch with real cosign bundles', () => {
  let tmp: string;
  const predicate = { bomFormat: 'CycloneDX', specVersion: '1.6', metadata: { properties: [{ name: 'io.ameide:git.sha', value: 'a'.repeat(40) }] } };
  const file = 'sdk-1.0.0.tgz';
  let sha256: string;
  const pub = (dir: string) => readFileSync(join(tmp, dir, 'cosign.pub'), 'utf8');
  const bundle = (name: string) => readFileSync(join(tmp, 'files', name));

  async function keyPair(dir: string, password: string) {
    mkdirSync(join(tmp, dir), { recursive: true });
    await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: join(tmp, dir), env: { ...process.env, COSIGN_PASSWORD: password } });
  }
  async function attestBlob(keyDir: string, password: string, pred: unknown, out: string) {
    writeFileSync(join(tmp, 'files', `${out}.pred.json`), JSON.stringify(pred));
    await runOrThrow({
      command: COSIGN, cwd: join(tmp, 'files'), env: { ...process.env, COSIGN_PASSWORD: password },
      args: ['attest-blob', '--yes', '--key', join(tmp, keyDir, 'cosign.key'), '--use-signing-config=false', '--tlog-upload=false', '--type', 'cyclonedx', '--predicate', `${out}.pred.json`, '--bundle', out, file],
    });
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ameide-bundle-'));
    await keyPair('ours', 'pw');
    await keyPair('theirs', 'x');
    mkdirSync(join(tmp, 'files'));
    writeFileSync(join(tmp, 'files', file), 'the packed bytes');
    sha256 = createHash('sha256').update('the packed bytes').digest('hex');
    await attestBlob('ours', 'pw', predicate, 'ours.json');
    await attestBlob('theirs', 'x', predicate, 'theirs.json');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const want = () => ({ name: file, sha256, predicateType: CYCLONEDX, predicate });

  it('a bundle of this statement signed with this key can stand for a new one', () => {
    expect(bundleMismatch(bundle('ours.json'), want(), pub('ours'))).toBeNull();
    // the predicate as this run holds it, keys in another order: the same statement
    const reordered = { metadata: predicate.metadata, specVersion: '1.6', bomFormat: 'CycloneDX' };
    expect(bundleMismatch(bundle('ours.json'), { ...want(), predicate: reordered }, pub('ours'))).toBeNull();
  });

  it.each([
    ['signed with another key', 'theirs.json', {}, 'not signed with this key'],
    ['another file (another sha256)', 'ours.json', { sha256: 'f'.repeat(64) }, 'another subject'],
    ['another file name', 'ours.json', { name: 'sdk-1.0.1.tgz' }, 'another subject'],
    ['another predicate (an SBOM naming another commit)', 'ours.json', { predicate: { ...predicate, metadata: { properties: [] } } }, 'another predicate'],
    ['another predicate type', 'ours.json', { predicateType: 'https://slsa.dev/provenance/v1' }, 'another predicate type'],
  ])('is signed again when %s', (_name, b, change, why) => {
    expect(bundleMismatch(bundle(b), { ...want(), ...change }, pub('ours'))).toBe(why);
  });

  it('a statement edited to match, under the old signature, is refused (the signature covers the bytes)', () => {
    const b = JSON.parse(bundle('ours.json').toString()); // cosign v3: a Sigstore bundle, the envelope in dsseEnvelope
    const envelope = b.dsseEnvelope;
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    statement.predicate.specVersion = '1.5';
    envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const forged = JSON.stringify({ ...b, dsseEnvelope: envelope });
    expect(bundleMismatch(forged, { ...want(), predicate: { ...predicate, specVersion: '1.5' } }, pub('ours'))).toBe('not signed with this key');
  });

  it('anything that is not a bundle is signed again', () => {
    expect(bundleMismatch('not json', want(), pub('ours'))).toBe('not a cosign bundle');
    expect(bundleMismatch('{}', want(), pub('ours'))).toBe('not a cosign bundle');
    expect(bundleMismatch(bundle('ours.json'), want(), 'not a key')).toBe('the public key is not readable');
  });
});

describe('attestPackages on the dev channel', () => {
  it('makes no bundle and runs no cosign: nothing reads them on dev (no GitHub Release)', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'ameide-bundle-dev-'));
    try {
      const manifest: PackManifest = { project: 'sdk', name: 'sdk', ecosystem: 'npm', version: '1.0.0-dev.1', gitSha: 'a'.repeat(40), channel: 'dev', files: [{ file: 'dist/sdk/sdk.tgz', sha256: 'e'.repeat(64), kind: 'tgz' }] };
      const logs: string[] = [];
      const out = await attestPackages({
        workspaceRoot: ws, project: 'sdk', context: { CHANNEL: 'dev', GIT_SHA: 'a'.repeat(40) } as VersionContext, manifests: [manifest], mode: 'key',
        key: { key: '/nonexistent/cosign.key' }, cosign: '/nonexistent/cosign', env: {}, provenanceEnv: {}, log: (l) => logs.push(l),
      });
      expect(out).toEqual([]);
      expect(logs).toEqual([expect.stringContaining('package bundles: none on the dev channel')]);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
