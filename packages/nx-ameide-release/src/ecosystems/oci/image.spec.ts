import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildImage, buildTar, gzipStored, readTar, sha256, MEDIA_TYPE_MANIFEST } from './image';
import { escapeModulePath, imageFiles, ociImageName } from './layout';
import type { PackManifest } from '../../core/contract';

const CREATED = '2025-11-13T15:32:11Z';
const files = () => [
  { path: 'ameide/p/b.tgz', content: Buffer.from('bbb') },
  { path: 'ameide/p/a.whl', content: Buffer.alloc(70_000, 7) }, // > one stored deflate block
  { path: 'ameide/p/goproxy/example.com/m/@v/v1.0.0.mod', content: Buffer.from('module example.com/m\n') },
];
const annotations = { 'org.opencontainers.image.revision': 'abc', 'io.ameide.channel': 'dev' };

describe('buildImage', () => {
  it('gives the same bytes and digests for the same input, whatever the file order', () => {
    const a = buildImage({ files: files(), annotations, created: CREATED });
    const b = buildImage({ files: files().reverse(), annotations: { 'io.ameide.channel': 'dev', 'org.opencontainers.image.revision': 'abc' }, created: CREATED });
    expect(b.manifest.digest).toBe(a.manifest.digest);
    expect(b.layer.bytes.equals(a.layer.bytes)).toBe(true);
    expect(b.config.bytes.equals(a.config.bytes)).toBe(true);
  });

  it('keeps the golden digest: any change to the format shows here (and would change every published digest)', () => {
    const img = buildImage({
      files: [{ path: 'ameide/p/a.txt', content: Buffer.from('hello\n') }],
      annotations: { 'org.opencontainers.image.revision': '71e210beab37b68546d56dceccba18f09264ecc3' },
      created: '2025-11-13T15:32:11Z',
    });
    expect([img.manifest.digest, img.layer.digest, img.config.digest]).toEqual([
      'sha256:685e58e435f7170930f5d57adfec8ddb01c909782464e56b3a2890539be0827a',
      'sha256:572b187c61c4decc6e440edf0bbe2ede3b49c9bfa58be4b643fb49121ef85773',
      'sha256:d9b6bdfc2ea3d0cb49c89e6cfa5e302c568e315915f446f9c82debdb462febf5',
    ]);
  });

  it('changes the digest when a byte, a label or the commit time changes', () => {
    const a = buildImage({ files: files(), annotations, created: CREATED }).manifest.digest;
    const f = files();
    f[0].content = Buffer.from('bbc');
    expect(buildImage({ files: f, annotations, created: CREATED }).manifest.digest).not.toBe(a);
    expect(buildImage({ files: files(), annotations: { ...annotations, x: 'y' }, created: CREATED }).manifest.digest).not.toBe(a);
    expect(buildImage({ files: files(), annotations, created: '2025-11-13T15:32:12Z' }).manifest.digest).not.toBe(a);
  });

  it('writes digests that match the bytes, and a manifest/config that reference each other', () => {
    const img = buildImage({ files: files(), annotations, created: CREATED });
    expect(img.layer.digest).toBe(sha256(img.layer.bytes));
    expect(img.layer.diffId).toBe(sha256(gunzipSync(img.layer.bytes)));
    expect(img.config.digest).toBe(sha256(img.config.bytes));
    expect(img.manifest.digest).toBe(sha256(img.manifest.bytes));
    const manifest = JSON.parse(img.manifest.bytes.toString());
    const config = JSON.parse(img.config.bytes.toString());
    expect(manifest.mediaType).toBe(MEDIA_TYPE_MANIFEST);
    expect(img.manifest.mediaType).toBe(MEDIA_TYPE_MANIFEST);
    expect(manifest.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: img.config.digest, size: img.config.bytes.length });
    expect(manifest.layers).toEqual([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: img.layer.digest, size: img.layer.size }]);
    expect(manifest.annotations).toEqual(annotations);
    expect(config).toMatchObject({ created: CREATED, architecture: 'amd64', os: 'linux', config: { Labels: annotations }, rootfs: { type: 'layers', diff_ids: [img.layer.diffId] } });
  });

  it('writes a gzip header without name or mtime and a fixed OS byte', () => {
    const gz = buildImage({ files: files(), annotations, created: CREATED }).layer.bytes;
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    const big = Buffer.alloc(200_000, 3);
    expect(gunzipSync(gzipStored(big)).equals(big)).toBe(true);
    expect(gunzipSync(gzipStored(Buffer.alloc(0))).length).toBe(0);
  });

  it('writes a tar GNU tar reads: sorted, parent dirs, uid/gid 0, no names, commit mtime, fixed modes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oci-tar-'));
    try {
      const mtime = Date.parse(CREATED) / 1000;
      writeFileSync(join(dir, 'l.tar'), buildTar(files(), mtime));
      const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', join(dir, 'l.tar')], { env: { ...process.env, TZ: 'UTC' } }).toString();
      const lines = listing.trim().split('\n');
      expect(lines.map((l) => l.split(/\s+/).pop())).toEqual([
        'ameide/', 'ameide/p/', 'ameide/p/a.whl', 'ameide/p/b.tgz', 'ameide/p/goproxy/', 'ameide/p/goproxy/example.com/',
        'ameide/p/goproxy/example.com/m/', 'ameide/p/goproxy/example.com/m/@v/', 'ameide/p/goproxy/example.com/m/@v/v1.0.0.mod',
      ]);
      for (const l of lines) {
        expect(l).toMatch(/^(drwxr-xr-x|-rw-r--r--) 0\/0 .* 2025-11-13 15:32:11 /);
      }
      execFileSync('tar', ['-xf', join(dir, 'l.tar'), '-C', dir]);
      expect(readFileSync(join(dir, 'ameide/p/a.whl')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('handles paths longer than 100 bytes with the ustar prefix', () => {
    const long = `ameide/p/goproxy/${'x'.repeat(90)}/@v/v1.0.0.zip`;
    const tar = buildTar([{ path: long, content: Buffer.from('z') }], 0);
    expect(readTar(tar).get(long)?.toString()).toBe('z');
  });

  it('refuses paths that escape the image root or collide', () => {
    expect(() => buildTar([{ path: '../etc/x', content: Buffer.from('') }], 0)).toThrow(/invalid image path/);
    expect(() => buildTar([{ path: 'a', content: Buffer.from('') }, { path: '/a', content: Buffer.from('') }], 0)).toThrow(/duplicate/);
  });
});

describe('ociImageName', () => {
  it.each([
    ['npm scoped package', '@ameideio/ameide-sdk-ts', 'ameide-sdk-ts'],
    ['PyPI distribution', 'ameide-sdk-python', 'ameide-sdk-python'],
    ['Go module path', 'github.com/ameideio/ameide-sdk-go', 'ameide-sdk-go'],
    ['Go module with major suffix', 'github.com/ameideio/ameide-sdk-go/v2', 'ameide-sdk-go'],
    ['config package', '@ameideio/configuration', 'configuration'],
    ['upper case and odd characters', 'Ameide_SDK..Python', 'ameide_sdk-python'],
  ])('%s: %s -> %s', (_row, input, expected) => {
    expect(ociImageName(input)).toBe(expected);
  });
});

describe('imageFiles', () => {
  const bytes: Record<string, Buffer> = {
    'dist/go/v1.2.3.info': Buffer.from('{"Version":"v1.2.3"}'),
    'dist/go/v1.2.3.mod': Buffer.from('module github.com/Ameideio/sdk\n'),
    'dist/go/v1.2.3.zip': Buffer.from('PK'),
  };
  const hex = (b: Buffer) => sha256(b).slice(7);
  const manifest: PackManifest = {
    project: 'ameide_sdk_go', name: 'github.com/Ameideio/sdk', ecosystem: 'go', version: 'v1.2.3', gitSha: 'a'.repeat(40), channel: 'release',
    files: Object.entries(bytes).map(([file, b]) => ({ file, sha256: hex(b), kind: `go-${file.split('.').pop()}` })),
  };

  it('lays a Go module out in GOPROXY form with a case-encoded path, a list file and contents.json', () => {
    const { files: out, contents } = imageFiles('ameide_sdk_go', [manifest], (f) => bytes[f]);
    const paths = out.map((f) => f.path).sort();
    expect(escapeModulePath('github.com/Ameideio/sdk')).toBe('github.com/!ameideio/sdk');
    expect(paths).toEqual([
      'ameide/ameide_sdk_go/contents.json',
      'ameide/ameide_sdk_go/goproxy/github.com/!ameideio/sdk/@v/list',
      'ameide/ameide_sdk_go/goproxy/github.com/!ameideio/sdk/@v/v1.2.3.info',
      'ameide/ameide_sdk_go/goproxy/github.com/!ameideio/sdk/@v/v1.2.3.mod',
      'ameide/ameide_sdk_go/goproxy/github.com/!ameideio/sdk/@v/v1.2.3.zip',
    ]);
    expect(out.find((f) => f.path.endsWith('/list'))!.content.toString()).toBe('v1.2.3\n');
    expect(contents.files.map((f) => [f.name, f.size])).toEqual([
      ['goproxy/github.com/!ameideio/sdk/@v/v1.2.3.info', 20],
      ['goproxy/github.com/!ameideio/sdk/@v/v1.2.3.mod', 31],
      ['goproxy/github.com/!ameideio/sdk/@v/v1.2.3.zip', 2],
    ]);
    expect(JSON.parse(out.find((f) => f.path.endsWith('contents.json'))!.content.toString())).toEqual(contents);
  });

  it('a dev pack (pseudo-version, its own empty list) is laid out under goproxy/ with no stray file, and nothing listed', () => {
    const pseudo = 'v1.2.4-0.20251113153211-71e210beab37';
    const dev: Record<string, Buffer> = {
      [`dist/go/${pseudo}.info`]: Buffer.from(`{"Version":"${pseudo}"}`),
      [`dist/go/${pseudo}.mod`]: Buffer.from('module github.com/Ameideio/sdk\n'),
      [`dist/go/${pseudo}.zip`]: Buffer.from('PK'),
      'dist/go/list': Buffer.from(''),
    };
    const kinds: Record<string, string> = { info: 'go-info', mod: 'go-mod', zip: 'go-zip', 'go/list': 'go-list' };
    const devManifest: PackManifest = {
      ...manifest,
      version: pseudo,
      channel: 'dev',
      files: Object.entries(dev).map(([file, b]) => ({ file, sha256: hex(b), kind: kinds[file.endsWith('list') ? 'go/list' : file.split('.').pop()!] })),
    };
    const { files: out } = imageFiles('ameide_sdk_go', [devManifest], (f) => dev[f]);
    const v = 'ameide/ameide_sdk_go/goproxy/github.com/!ameideio/sdk/@v';
    expect(out.map((f) => f.path).sort()).toEqual(['ameide/ameide_sdk_go/contents.json', `${v}/list`, `${v}/${pseudo}.info`, `${v}/${pseudo}.mod`, `${v}/${pseudo}.zip`]);
    expect(out.find((f) => f.path === `${v}/list`)!.content.toString()).toBe('');

    // Without a packed list (older manifests), the list made here names no pseudo-version either.
    const noList = { ...devManifest, files: devManifest.files.filter((f) => f.kind !== 'go-list') };
    expect(imageFiles('ameide_sdk_go', [noList], (f) => dev[f]).files.find((f) => f.path === `${v}/list`)!.content.toString()).toBe('');
  });

  it('refuses a file whose bytes no longer match the pack manifest', () => {
    expect(() => imageFiles('p', [manifest], (f) => (f.endsWith('.zip') ? Buffer.from('tampered') : bytes[f]))).toThrow(/does not match its pack manifest/);
  });
});
