import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * A reproducible single-layer OCI image FROM scratch, built in memory: no daemon, no CLI.
 *
 * Same inputs => same bytes => same digest, on any machine:
 * - tar (ustar) written here: entries sorted by path, parent directories included,
 *   mtime = commit time, uid/gid 0, no user/group names, modes 0755 (dirs) / 0644 (files);
 * - gzip written here too, with STORED deflate blocks: zlib's compressed output is not promised
 *   identical across zlib builds (Node bundles Chromium's zlib, whose match finder depends on CPU
 *   features), and the payloads (.tgz, .whl, .zip) are already compressed, so compressing again
 *   would buy almost nothing. Header: no name, mtime 0, XFL 0, OS 255 ("unknown") on every OS;
 * - config and manifest JSON serialized with a fixed key order (labels/annotations sorted).
 *
 * The platform is `linux/amd64`: the artifacts are platform-independent, but a single-manifest
 * image must name one platform, and linux/amd64 is the one every builder accepts without an index.
 * `COPY --from=<image>` works from any platform (BuildKit only warns on a mismatch).
 */

export const MEDIA_TYPE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_TYPE_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const IMAGE_PLATFORM = { architecture: 'amd64', os: 'linux' } as const;

/** Labels (config) and annotations (manifest) this plugin sets beyond org.opencontainers.image.*. */
export const LABEL_CHANNEL = 'io.ameide.channel';
export const LABEL_PROJECT = 'io.ameide.project';
export const OCI_REVISION = 'org.opencontainers.image.revision';
export const OCI_VERSION = 'org.opencontainers.image.version';
export const OCI_SOURCE = 'org.opencontainers.image.source';
export const OCI_CREATED = 'org.opencontainers.image.created';
export const OCI_TITLE = 'org.opencontainers.image.title';

export interface ImageFile {
  /** Path inside the image, relative to / (a leading / is dropped), e.g. ameide/ameide_sdk_ts/x.tgz */
  path: string;
  content: Buffer;
}

export interface ImageInput {
  files: ImageFile[];
  /** Set as config.Labels and as manifest annotations. */
  annotations: Record<string, string>;
  /** ISO-8601 commit time: tar mtimes, config.created. */
  created: string;
}

export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface ImageBuild {
  layer: Blob & { diffId: string };
  config: { digest: string; bytes: Buffer };
  manifest: { digest: string; bytes: Buffer; mediaType: string };
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const sorted = (o: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

function epochSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not an ISO-8601 time: '${iso}'`);
  return Math.floor(ms / 1000);
}

// ---------------------------------------------------------------- tar (ustar)

function octal(value: number, width: number): string {
  // width includes the trailing NUL
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  // ustar: prefix (<=155) + '/' + name (<=100), split at a slash
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return { name, prefix };
  }
  throw new Error(`path too long for a ustar header: ${path}`);
}

function tarHeader(path: string, size: number, mtime: number, dir: boolean): Buffer {
  const h = Buffer.alloc(512, 0);
  const { name, prefix } = splitName(path);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(dir ? 0o755 : 0o644, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(mtime, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder
  h.write(dir ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  // uname/gname (265, 297) stay empty; devmajor/devminor as zeros
  h.write(octal(0, 8), 329, 8, 'ascii');
  h.write(octal(0, 8), 337, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function normalizePath(p: string): string {
  const parts = p.replace(/\\/g, '/').split('/').filter((s) => s && s !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new Error(`invalid image path: '${p}'`);
  return parts.join('/');
}

/** A byte-stable ustar archive: sorted entries, parent directories, fixed owner/mode/mtime. */
export function buildTar(files: ImageFile[], mtime: number): Buffer {
  const byPath = new Map<string, Buffer>();
  const dirs = new Set<string>();
  for (const f of files) {
    const p = normalizePath(f.path);
    if (byPath.has(p)) throw new Error(`duplicate image path: ${p}`);
    byPath.set(p, f.content);
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of dirs) if (byPath.has(d)) throw new Error(`image path is both a file and a directory: ${d}`);
  const entries = [...[...dirs].map((d) => ({ path: `${d}/`, content: null as Buffer | null })), ...[...byPath].map(([path, content]) => ({ path, content }))];
  // byte-wise order, independent of locale
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const size = e.content ? e.content.length : 0;
    chunks.push(tarHeader(e.path, size, mtime, !e.content));
    if (e.content) {
      chunks.push(e.content);
      const pad = (512 - (size % 512)) % 512;
      if (pad) chunks.push(Buffer.alloc(pad));
    }
  }
  chunks.push(Buffer.alloc(1024)); // end of archive
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------- gzip (stored blocks)

/** gzip (RFC 1952) around stored deflate blocks (RFC 1951 BTYPE=00): identical bytes everywhere. */
export function gzipStored(data: Buffer): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
  const blocks: Buffer[] = [];
  const MAX = 0xffff;
  let offset = 0;
  do {
    const len = Math.min(MAX, data.length - offset);
    const final = offset + len >= data.length;
    const head = Buffer.alloc(5);
    head[0] = final ? 1 : 0;
    head.writeUInt16LE(len, 1);
    head.writeUInt16LE(~len & 0xffff, 3);
    blocks.push(head, data.subarray(offset, offset + len));
    offset += len;
  } while (offset < data.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([header, ...blocks, trailer]);
}

// ---------------------------------------------------------------- image

export function buildImage(input: ImageInput): ImageBuild {
  const mtime = epochSeconds(input.created);
  const created = new Date(mtime * 1000).toISOString().replace('.000Z', 'Z');
  const tar = buildTar(input.files, mtime);
  const layerBytes = gzipStored(tar);
  const diffId = sha256(tar);
  const layer = { digest: sha256(layerBytes), size: layerBytes.length, bytes: layerBytes, diffId };
  const labels = sorted(input.annotations);

  const config = {
    created,
    architecture: IMAGE_PLATFORM.architecture,
    os: IMAGE_PLATFORM.os,
    config: { Labels: labels },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'nx-ameide-release ghcr (single layer FROM scratch)' }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256(configBytes);

  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_MANIFEST,
    config: { mediaType: MEDIA_TYPE_CONFIG, digest: configDigest, size: configBytes.length },
    layers: [{ mediaType: MEDIA_TYPE_LAYER, digest: layer.digest, size: layer.size }],
    annotations: labels,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    layer,
    config: { digest: configDigest, bytes: configBytes },
    manifest: { digest: sha256(manifestBytes), bytes: manifestBytes, mediaType: MEDIA_TYPE_MANIFEST },
  };
}

/** Read a ustar archive back (tests, and checking a pulled layer): path -> bytes, files only. */
export function readTar(tar: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (s: number, n: number) => h.subarray(s, s + n).toString('utf8').replace(/\0.*$/s, '');
    const name = str(0, 100);
    const prefix = str(345, 155);
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const type = str(156, 1);
    const path = prefix ? `${prefix}/${name}` : name;
    off += 512;
    if (type === '0' || type === '') out.set(path, Buffer.from(tar.subarray(off, off + size)));
    off += Math.ceil(size / 512) * 512;
  }
  return out;
}
