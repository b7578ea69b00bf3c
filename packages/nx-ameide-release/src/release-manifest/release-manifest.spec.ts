import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregateReleaseManifest, manifestMarkdown, RELEASE_MANIFEST_PATH, writeReleaseManifest, type ProjectRecord } from '.';
import { main } from '../cli';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const DIGEST = `sha256:${'d'.repeat(64)}`;

const npm = (sha: string, status = 'published'): ProjectRecord => ({
  publish: { project: 'sdk-ts', name: '@s/sdk', ecosystem: 'npm', version: '1.2.3', channel: 'release', gitSha: sha, registry: 'http://127.0.0.1:4873/', tags: ['latest'], outcome: { status, detail: 'uploaded' } },
  ghcr: { project: 'sdk-ts', version: '1.2.3', gitSha: sha, registry: '127.0.0.1:5000', image: '127.0.0.1:5000/o/sdk', digest: DIGEST, status: 'pushed', tagsPushed: ['1.2.3'], tagsUnchanged: ['1.2'], signature: 'signed' },
  pack: { gitSha: sha, channel: 'release', files: [{ file: 'dist/sdk-ts/s-sdk-1.2.3.tgz', sha256: 'f'.repeat(64), kind: 'tgz' }] },
});
const py = (sha: string): ProjectRecord => ({
  publish: { project: 'sdk-py', name: 'sdk', ecosystem: 'pypi', version: '1.2.3', channel: 'release', gitSha: sha, registry: 'http://127.0.0.1:8080/simple/', tags: [], outcome: { status: 'failed', error: 'HTTP 500', state: 'not published' } },
  pack: { gitSha: sha, files: [{ file: 'dist/sdk-py/sdk-1.2.3-py3-none-any.whl', sha256: '1'.repeat(64), kind: 'wheel' }, { file: 'dist/sdk-py/sdk-1.2.3.tar.gz', sha256: '2'.repeat(64), kind: 'sdist' }] },
});

describe('aggregateReleaseManifest', () => {
  it('lists every file and image of the SHA with its registry, tags, digest, signature and outcome', () => {
    const m = aggregateReleaseManifest(A, 'release', [py(A), npm(A)]);
    expect(m).toMatchObject({ schemaVersion: 1, gitSha: A, channel: 'release', versions: { 'sdk-py': '1.2.3', 'sdk-ts': '1.2.3' } });
    expect(m.artifacts.map((a) => [a.project, a.ecosystem, a.file ?? a.imageDigest, a.outcome])).toEqual([
      ['sdk-py', 'pypi', 'sdk-1.2.3-py3-none-any.whl', 'failed'],
      ['sdk-py', 'pypi', 'sdk-1.2.3.tar.gz', 'failed'],
      ['sdk-ts', 'npm', 's-sdk-1.2.3.tgz', 'published'],
      ['sdk-ts', 'oci', DIGEST, 'pushed'],
    ]);
    expect(m.artifacts[0]).toMatchObject({ sha256: '1'.repeat(64), registry: 'http://127.0.0.1:8080/simple/', detail: 'HTTP 500' });
    expect(m.artifacts[2]).toMatchObject({ tags: ['latest'], sha256: 'f'.repeat(64) });
    expect(m.artifacts[3]).toMatchObject({ name: '127.0.0.1:5000/o/sdk', tags: ['1.2.3', '1.2'], signatureRef: `127.0.0.1:5000/o/sdk:sha256-${'d'.repeat(64)}.sig` });
  });

  it('leaves out the results of another SHA and names no signature for an unsigned image', () => {
    const old = npm(B);
    const unsigned = npm(A);
    unsigned.ghcr.signature = 'off';
    expect(aggregateReleaseManifest(A, 'dev', [old, py(A)]).artifacts.map((a) => a.project)).toEqual(['sdk-py', 'sdk-py']);
    expect(aggregateReleaseManifest(A, 'dev', [unsigned]).artifacts[1].signatureRef).toBeUndefined();
  });

  it('takes each artifact\'s own outcome and tags from the publish flow\'s results (a half-published version completed)', () => {
    const r = py(A);
    const art = (file: string, kind: string, sha256: string, outcome: string) => ({ id: `sdk==1.2.3 (${file})`, ecosystem: 'pypi', name: 'sdk', version: '1.2.3', registry: 'http://127.0.0.1:8080/legacy/', kind, file: `dist/sdk-py/${file}`, sha256, tags: [], outcome });
    r.publish = { ...r.publish, outcome: { status: 'published', detail: 'x' }, artifacts: [art('sdk-1.2.3-py3-none-any.whl', 'wheel', '1'.repeat(64), 'already-published'), art('sdk-1.2.3.tar.gz', 'sdist', '2'.repeat(64), 'published')] };
    const late = npm(A);
    late.publish = { ...late.publish, artifacts: [{ id: '@s/sdk@1.2.3', ecosystem: 'npm', name: '@s/sdk', version: '1.2.3', registry: 'http://127.0.0.1:4873/', kind: 'tgz', file: 'dist/sdk-ts/s-sdk-1.2.3.tgz', sha256: 'f'.repeat(64), tags: [], outcome: 'published' }] };
    const m = aggregateReleaseManifest(A, 'release', [r, late]);
    expect(m.artifacts.filter((a) => a.ecosystem !== 'oci').map((a) => [a.file, a.kind, a.sha256?.[0], a.registry, a.tags, a.outcome])).toEqual([
      ['sdk-1.2.3-py3-none-any.whl', 'wheel', '1', 'http://127.0.0.1:8080/legacy/', [], 'already-published'],
      ['sdk-1.2.3.tar.gz', 'sdist', '2', 'http://127.0.0.1:8080/legacy/', [], 'published'],
      ['s-sdk-1.2.3.tgz', 'tgz', 'f', 'http://127.0.0.1:4873/', [], 'published'], // a late run: no dist-tag moved to it
    ]);
  });

  it('renders a Markdown table, one row per artifact', () => {
    const md = manifestMarkdown(aggregateReleaseManifest(A, 'release', [npm(A)]));
    expect(md.split('\n').filter((l) => l.startsWith('| npm') || l.startsWith('| oci'))).toHaveLength(2);
    expect(md).toContain('| npm | @s/sdk | 1.2.3 | s-sdk-1.2.3.tgz | sha256:ffffffffffff | http://127.0.0.1:4873/ | latest |  | published |');
  });
});

describe('writeReleaseManifest and `manifest`', () => {
  let ws: string;
  beforeEach(() => (ws = mkdtempSync(join(tmpdir(), 'manifest-'))));
  afterEach(() => rmSync(ws, { recursive: true, force: true }));
  const put = (r: ProjectRecord, project: string) => {
    mkdirSync(join(ws, 'dist', project), { recursive: true });
    if (r.publish) writeFileSync(join(ws, 'dist', project, 'publish-result.json'), JSON.stringify(r.publish));
    if (r.ghcr) writeFileSync(join(ws, 'dist', project, 'ghcr-result.json'), JSON.stringify(r.ghcr));
    if (r.pack) writeFileSync(join(ws, 'dist', project, 'pack-manifest.json'), JSON.stringify(r.pack));
  };

  it('aggregates the results that each task wrote into dist/release/manifest.json', () => {
    put(npm(A), 'sdk-ts');
    writeReleaseManifest(ws, A, 'release');
    put(py(A), 'sdk-py');
    writeReleaseManifest(ws, A, 'release');
    const m = JSON.parse(readFileSync(join(ws, RELEASE_MANIFEST_PATH), 'utf8'));
    expect(m.artifacts).toHaveLength(4);
  });

  it('the CLI rewrites it and prints the table; results of two commits need --sha; nothing published is not an error', async () => {
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(await main(['manifest', '--cwd', ws, '--format', 'markdown'])).toBe(0);
      expect(out.join('')).toContain('Nothing was published');
      put(npm(A), 'sdk-ts');
      out.length = 0;
      expect(await main(['manifest', '--cwd', ws, '--format', 'markdown'])).toBe(0);
      expect(out.join('')).toContain('| oci | 127.0.0.1:5000/o/sdk | 1.2.3 |');
      expect(JSON.parse(readFileSync(join(ws, RELEASE_MANIFEST_PATH), 'utf8')).gitSha).toBe(A);
      put(py(B), 'sdk-py');
      out.length = 0;
      expect(await main(['manifest', '--cwd', ws])).toBe(1);
      expect(out.join('')).toContain('pass --sha');
      out.length = 0;
      expect(await main(['manifest', '--cwd', ws, '--sha', B])).toBe(0);
      expect(JSON.parse(out.join('')).artifacts.map((a: any) => a.project)).toEqual(['sdk-py', 'sdk-py']);
      expect(await main(['manifest', '--cwd', ws, '--format', 'yaml'])).toBe(1);
    } finally {
      spy.mockRestore();
      err.mockRestore();
    }
  });
});
