import { basename } from 'node:path';
import type { ArtifactFile, PackManifest } from '../../core/contract';
import type { ImageFile } from './image';
import { sha256Hex } from '../../hash';

/**
 * Where the artifacts live inside the image (documented in ./README.md):
 *
 *   /ameide/<project>/contents.json                       what is inside (name, kind, sha256, size)
 *   /ameide/<project>/<file>                              npm .tgz, wheel, sdist: as packed into dist/
 *   /ameide/<project>/goproxy/<module>/@v/<version>.{info,mod,zip}, @v/list
 *                                                         the Go module in GOPROXY layout, so
 *                                                         GOPROXY=file:///ameide/<project>/goproxy works
 *
 * `<project>` is the Nx project name (dist/<project>/), `<module>` the case-encoded module path.
 */
export const IMAGE_ROOT = 'ameide';

export interface ContentsEntry {
  name: string; // relative to /ameide/<project>/
  kind: string;
  sha256: string; // hex
  size: number;
}

export interface Contents {
  schemaVersion: 1;
  project: string;
  name: string;
  ecosystem: string;
  version: string;
  revision: string;
  files: ContentsEntry[];
}

/** GOPROXY case encoding: every upper-case letter becomes '!' + its lower case. */
export function escapeModulePath(module: string): string {
  return module.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

const GO_EXT: Record<string, string> = { 'go-info': 'info', 'go-mod': 'mod', 'go-zip': 'zip' };

const goDir = (manifest: PackManifest) => `goproxy/${escapeModulePath(manifest.name)}/@v`;

/** Path of one packed file, relative to /ameide/<project>/. */
export function artifactImageName(manifest: PackManifest, file: ArtifactFile): string {
  const ext = GO_EXT[file.kind];
  if (ext) return `${goDir(manifest)}/${manifest.version}.${ext}`;
  if (file.kind === 'go-list') return `${goDir(manifest)}/list`;
  return basename(file.file);
}

/**
 * Image name from a package name, OCI-safe: the npm scope and a Go module's host/owner are dropped,
 * a trailing Go major suffix (/v2) too, lower case, runs of other characters become '-'.
 *   @ameideio/ameide-sdk-ts -> ameide-sdk-ts, ameide-sdk-python -> ameide-sdk-python,
 *   github.com/ameideio/ameide-sdk-go -> ameide-sdk-go, @ameideio/configuration -> configuration
 */
export function ociImageName(packageName: string): string {
  let n = packageName.trim();
  if (n.startsWith('@')) n = n.slice(n.indexOf('/') + 1);
  else if (n.includes('/')) {
    const parts = n.split('/').filter(Boolean);
    if (parts.length > 1 && /^v\d+$/.test(parts[parts.length - 1])) parts.pop();
    n = parts[parts.length - 1];
  }
  const out = n
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  if (!out) throw new Error(`cannot derive an OCI image name from '${packageName}'`);
  return out;
}

/**
 * The image's files: every artifact of the manifests (bytes as read by `read`), their GOPROXY
 * `list` (the packed one; else made here from the release versions: a dev image's pseudo-version
 * is fetched by name, and the GOPROXY protocol never lists pseudo-versions), and contents.json.
 * Pure apart from `read`; checks each file against its sha256.
 */
export function imageFiles(
  project: string,
  manifests: PackManifest[],
  read: (workspaceRelative: string) => Buffer,
): { files: ImageFile[]; contents: Contents } {
  const base = `${IMAGE_ROOT}/${project}`;
  const files: ImageFile[] = [];
  const entries: ContentsEntry[] = [];
  const goLists = new Map<string, Set<string>>();
  for (const m of manifests) {
    for (const f of m.files) {
      const content = read(f.file);
      const hex = sha256Hex(content);
      if (hex !== f.sha256.replace(/^sha256:/, '')) {
        throw new Error(`${f.file} does not match its pack manifest (sha256 ${hex}, manifest says ${f.sha256})`);
      }
      const name = artifactImageName(m, f);
      files.push({ path: `${base}/${name}`, content });
      entries.push({ name, kind: f.kind, sha256: hex, size: content.length });
      if (GO_EXT[f.kind]) {
        const versions = goLists.get(goDir(m)) ?? new Set<string>();
        if (m.channel === 'release') versions.add(m.version);
        goLists.set(goDir(m), versions);
      }
    }
  }
  const packedLists = new Set(files.filter((f) => f.path.endsWith('/@v/list')).map((f) => f.path));
  for (const [dir, versions] of goLists) {
    const path = `${base}/${dir}/list`;
    if (!packedLists.has(path)) files.push({ path, content: Buffer.from([...versions].sort().map((v) => `${v}\n`).join('')) });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const first = manifests[0];
  const contents: Contents = {
    schemaVersion: 1,
    project,
    name: first.name,
    ecosystem: first.ecosystem,
    version: first.version,
    revision: first.gitSha,
    files: entries,
  };
  files.push({ path: `${base}/contents.json`, content: Buffer.from(JSON.stringify(contents, null, 2) + '\n') });
  return { files, contents };
}
