import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { checkFilePath, foldKey, langAtLeast } from './module';

/**
 * Module zips as the go command makes and checks them (golang.org/x/mod/zip), written by
 * hand so the bytes are reproducible: entries sorted, one fixed DOS timestamp (the commit
 * time), fixed permissions, deflate at level 9, no extra fields. The h1: hash
 * (golang.org/x/mod/sumdb/dirhash Hash1) is over file contents, so it is what `go.sum`
 * records whatever the zip bytes are.
 */

export const MAX_ZIP_FILE = 500 << 20;
export const MAX_GO_MOD = 16 << 20;
export const MAX_LICENSE = 16 << 20;

const VCS_DIRS = new Set(['.bzr', '.git', '.hg', '.svn']);

export interface FileVerdict {
  path: string;
  reason: string;
}

export interface Selection {
  valid: string[]; // slash paths relative to the module root, in input order
  omitted: FileVerdict[]; // left out on purpose (nested module, vendor, VCS, symlink, ...)
  invalid: FileVerdict[]; // make the module unzippable: pack must fail
  sizeError?: string;
}

/**
 * isVendoredPackage of x/mod/zip: files in vendored packages are left out; go >= 1.24 also
 * leaves out vendor/modules.txt and reads nested `/vendor/` correctly.
 */
export function isVendoredPackage(name: string, lang: [number, number] | null): boolean {
  const go124 = langAtLeast(lang, 1, 24);
  if (go124 && name === 'vendor/modules.txt') return true;
  let i: number;
  if (name.startsWith('vendor/')) i = 'vendor/'.length;
  else {
    const j = name.indexOf('/vendor/');
    if (j < 0) return false;
    i = go124 ? j + '/vendor/'.length : '/vendor/'.length;
  }
  return name.slice(i).includes('/');
}

/**
 * Which files of a module directory go into its zip: checkFiles + listFilesInDir of x/mod/zip
 * over a candidate list (relative slash paths under `dir`). `extraOmit` lets the caller leave
 * out workspace files that are not module content (the Nx project.json).
 */
export function selectModuleFiles(
  dir: string,
  candidates: string[],
  lang: [number, number] | null,
  extraOmit: (p: string) => string | null = () => null,
): Selection {
  const sel: Selection = { valid: [], omitted: [], invalid: [] };
  const stats = new Map(candidates.map((p) => [p, safeLstat(join(dir, p))] as const));
  const goModDirs = new Set<string>();
  for (const p of candidates) {
    const slash = p.lastIndexOf('/');
    const base = p.slice(slash + 1);
    if (slash >= 0 && base.toLowerCase() === 'go.mod' && stats.get(p)?.isFile()) goModDirs.add(p.slice(0, slash));
  }
  const inSubmodule = (p: string) => {
    const parts = p.split('/');
    for (let n = 1; n < parts.length; n++) if (goModDirs.has(parts.slice(0, n).join('/'))) return true;
    return false;
  };
  const seen = new Map<string, { path: string; isDir: boolean }>();
  const collision = (p: string, isDir: boolean): string | null => {
    const k = foldKey(p);
    const other = seen.get(k);
    if (other) {
      if (other.path !== p) return `case-insensitive file name collision: "${other.path}" and "${p}"`;
      if (other.isDir !== isDir) return `entry "${p}" is both a file and a directory`;
      if (!isDir) return `multiple entries for file "${p}"`;
    } else seen.set(k, { path: p, isDir });
    const slash = p.lastIndexOf('/');
    return slash > 0 ? collision(p.slice(0, slash), true) : null;
  };
  let budget = MAX_ZIP_FILE;
  for (const p of candidates) {
    const omit = (reason: string) => sel.omitted.push({ path: p, reason });
    const bad = (reason: string) => sel.invalid.push({ path: p, reason });
    const parts = p.split('/');
    if (parts.slice(0, -1).some((d) => VCS_DIRS.has(d))) {
      omit('directory is a version control repository');
      continue;
    }
    if (parts.includes('..') || p.startsWith('/') || parts.includes('.') || parts.includes('')) {
      bad('file path is not clean or not relative');
      continue;
    }
    if (isVendoredPackage(p, lang)) {
      omit('file is in vendor directory');
      continue;
    }
    if (inSubmodule(p)) {
      omit('file is in another module (a subdirectory with its own go.mod)');
      continue;
    }
    if (p === '.hg_archival.txt') {
      omit("file is inserted by 'hg archive' and is always omitted");
      continue;
    }
    const extra = extraOmit(p);
    if (extra) {
      omit(extra);
      continue;
    }
    const pathErr = checkFilePath(p);
    if (pathErr) {
      bad(`malformed file path: ${pathErr}`);
      continue;
    }
    if (p.toLowerCase() === 'go.mod' && p !== 'go.mod') {
      bad('go.mod files must have lowercase names');
      continue;
    }
    const st = stats.get(p);
    if (!st) {
      omit('listed by git but missing from the working tree');
      continue;
    }
    const coll = collision(p, st.isDirectory());
    if (coll) {
      bad(coll);
      continue;
    }
    if (st.isSymbolicLink()) {
      omit('file is a symbolic link');
      continue;
    }
    if (!st.isFile()) {
      omit('not a regular file');
      continue;
    }
    if (p === '.git') {
      // A regular file named .git (a worktree pointer) would make the mirror repository unusable.
      bad('a file named .git cannot be published to the mirror repository');
      continue;
    }
    if (st.size <= budget) budget -= st.size;
    else sel.sizeError ??= `module source tree too large (max size is ${MAX_ZIP_FILE} bytes)`;
    if (p === 'go.mod' && st.size > MAX_GO_MOD) {
      bad(`go.mod file too large (max size is ${MAX_GO_MOD} bytes)`);
      continue;
    }
    if (p === 'LICENSE' && st.size > MAX_LICENSE) {
      bad(`LICENSE file too large (max size is ${MAX_LICENSE} bytes)`);
      continue;
    }
    sel.valid.push(p);
  }
  return sel;
}

function safeLstat(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

const utf8Compare = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** DOS date/time words of a UTC instant (2-second resolution, 1980..2107). */
export function dosDateTime(iso: string): { date: number; time: number } {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a timestamp: ${iso}`);
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  };
}

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** A zip (no zip64) with entries sorted by name, deflated, stamped with one fixed time. */
export function writeZip(entries: ZipEntry[], mtimeIso: string): Buffer {
  const { date, time } = dosDateTime(mtimeIso);
  const sorted = [...entries].sort((a, b) => utf8Compare(a.name, b.name));
  if (sorted.length > 0xffff) throw new Error(`too many files for a zip without zip64 (${sorted.length})`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of sorted) {
    const name = Buffer.from(e.name, 'utf8');
    const flags = /^[\x20-\x7e]*$/.test(e.name) ? 0 : 0x0800; // UTF-8 names flagged, as Go does
    const body = deflateRawSync(e.data, { level: 9 });
    const crc = crc32(e.data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(flags, 6);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt16LE(time, 10);
    lh.writeUInt16LE(date, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, 2.0
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(flags, 8);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt16LE(time, 12);
    ch.writeUInt16LE(date, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // regular file, rw-r--r--
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += lh.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Read a zip written by writeZip (stored or deflated entries, no zip64). */
export function readZip(zip: Buffer): ZipEntry[] {
  const endAt = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endAt < 0) throw new Error('not a zip file (no end of central directory)');
  const count = zip.readUInt16LE(endAt + 10);
  let p = zip.readUInt32LE(endAt + 16);
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const csize = zip.readUInt32LE(p + 20);
    const usize = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataAt, dataAt + csize);
    const data = method === 0 ? Buffer.from(raw) : method === 8 ? inflateRawSync(raw) : null;
    if (!data || data.length !== usize) throw new Error(`zip entry ${name}: unsupported method ${method} or size mismatch`);
    out.push({ name, data });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** dirhash.Hash1: "h1:" + base64(sha256 of "<sha256hex>  <name>\n" lines sorted by name). */
export function hash1(files: ZipEntry[]): string {
  const lines = [...files]
    .sort((a, b) => utf8Compare(a.name, b.name))
    .map((f) => {
      if (f.name.includes('\n')) throw new Error('dirhash: filenames with newlines are not supported');
      return `${createHash('sha256').update(f.data).digest('hex')}  ${f.name}\n`;
    })
    .join('');
  return `h1:${createHash('sha256').update(lines, 'utf8').digest('base64')}`;
}

export function readFiles(dir: string, paths: string[]): ZipEntry[] {
  return paths.map((p) => ({ name: p, data: readFileSync(join(dir, p)) }));
}
