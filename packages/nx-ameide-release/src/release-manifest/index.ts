import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseError } from '../errors';
import { signatureTag } from '../ecosystems/oci/sign';
import type { ArtifactResult } from '../core/contract';

/**
 * The release manifest, dist/release/manifest.json: what one run published, from which SHA,
 * aggregated across the run's projects. Lock-free: each publish/ghcr task writes only its own
 * dist/<project>/publish-result.json / ghcr-result.json; the manifest is a pure function of those
 * files (and the pack manifests next to them), rewritten in full (temp file + rename) after each
 * write and once more by `nx-ameide-release manifest` before CI uploads it. Schema: docs/release-manifest.md.
 */
export const RELEASE_MANIFEST_SCHEMA_VERSION = 1;
export const RELEASE_MANIFEST_PATH = 'dist/release/manifest.json';

export interface ReleaseArtifact {
  /** The adapter's name: npm, pypi, go, oci (src/ecosystems/index.ts). */
  ecosystem: string;
  project: string;
  name: string;
  version: string;
  /** Package file (npm tarball, wheel, sdist, Go .zip/.mod/.info); absent for an image. */
  file?: string;
  kind?: string;
  sha256?: string;
  registry: string;
  /** npm dist-tag, Go tag, image tags (pushed and already there). */
  tags: string[];
  imageDigest?: string;
  /** image:sha256-<hex>.sig, when the digest is signed. */
  signatureRef?: string;
  /** published | already-published | skipped | failed (packages); pushed | unchanged (images). */
  outcome: string;
  detail?: string;
}

export interface ReleaseManifest {
  schemaVersion: number;
  gitSha: string;
  channel: string;
  /** Nx project -> the version it published. */
  versions: Record<string, string>;
  artifacts: ReleaseArtifact[];
}

/** One project's result files, as the executors wrote them. */
export interface ProjectRecord {
  publish?: any;
  ghcr?: any;
  pack?: { files?: { file: string; sha256: string; kind: string }[]; channel?: string; gitSha?: string };
}

const base = (file: string) => file.split('/').pop()!;

function packageArtifacts(r: ProjectRecord): ReleaseArtifact[] {
  const p = r.publish;
  if (!p) return [];
  const outcome = p.outcome?.status ?? 'unknown';
  const detail = p.outcome?.detail ?? p.outcome?.reason ?? p.outcome?.error;
  const common = { ecosystem: p.ecosystem, project: p.project, name: p.name, version: p.version, registry: p.registry, tags: p.tags ?? [], outcome, ...(detail ? { detail } : {}) };
  // The publish flow's per-artifact results (src/core/publish-flow.ts): what happened to each planned artifact.
  if (Array.isArray(p.artifacts) && p.artifacts.length) {
    return (p.artifacts as ArtifactResult[]).map((a) => ({
      ecosystem: a.ecosystem,
      project: p.project,
      name: a.name,
      version: a.version,
      ...(a.file ? { file: base(a.file) } : {}),
      kind: a.kind,
      ...(a.sha256 ? { sha256: a.sha256 } : {}),
      registry: a.registry,
      tags: a.tags,
      outcome: a.outcome,
    }));
  }
  // A result without them (a skip, a failure, an adapter not yet on the flow): one row per packed file.
  const files = r.pack?.gitSha === p.gitSha ? r.pack?.files ?? [] : [];
  if (files.length === 0) return [common];
  return files.map((f) => ({ ...common, file: base(f.file), kind: f.kind, sha256: f.sha256 }));
}

function imageArtifact(r: ProjectRecord): ReleaseArtifact[] {
  const g = r.ghcr;
  if (!g) return [];
  const signed = g.signature === 'signed' || g.signature === 'already-signed';
  return [{
    ecosystem: 'oci', project: g.project, name: g.image, version: g.version, registry: g.registry,
    tags: [...(g.tagsPushed ?? []), ...(g.tagsUnchanged ?? [])], imageDigest: g.digest,
    ...(signed ? { signatureRef: `${g.image}:${signatureTag(g.digest)}` } : {}),
    outcome: g.status,
  }];
}

/**
 * Pure: the manifest of `gitSha` from the projects' records. Results of another SHA (left in dist/
 * by an earlier run of a project this run did not touch) are not part of this run and are left out.
 */
export function aggregateReleaseManifest(gitSha: string, channel: string, records: ProjectRecord[]): ReleaseManifest {
  const mine = records.map((r) => ({
    ...r,
    publish: r.publish?.gitSha === gitSha ? r.publish : undefined,
    ghcr: r.ghcr?.gitSha === gitSha ? r.ghcr : undefined,
  }));
  const artifacts = mine.flatMap((r) => [...packageArtifacts(r), ...imageArtifact(r)]);
  artifacts.sort((a, b) => `${a.project}\0${a.ecosystem === 'oci' ? 1 : 0}\0${a.file ?? ''}`.localeCompare(`${b.project}\0${b.ecosystem === 'oci' ? 1 : 0}\0${b.file ?? ''}`));
  const versions: Record<string, string> = {};
  for (const a of artifacts) versions[a.project] ??= a.version;
  return { schemaVersion: RELEASE_MANIFEST_SCHEMA_VERSION, gitSha, channel, versions: Object.fromEntries(Object.entries(versions).sort()), artifacts };
}

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every project's records under dist/ (dist/<project>/publish-result.json, ghcr-result.json, pack-manifest.json). */
export function readProjectRecords(workspaceRoot: string): ProjectRecord[] {
  const dist = join(workspaceRoot, 'dist');
  if (!existsSync(dist)) return [];
  const records: ProjectRecord[] = [];
  for (const entry of readdirSync(dist, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'release') continue;
    const dir = join(dist, entry.name);
    const publish = readJson(join(dir, 'publish-result.json'));
    const ghcr = readJson(join(dir, 'ghcr-result.json'));
    if (!publish && !ghcr) continue;
    records.push({ publish, ghcr, pack: readJson(join(dir, 'pack-manifest.json')) });
  }
  return records;
}

/**
 * Rewrites dist/release/manifest.json from the records of `gitSha` (default: the SHA of the newest
 * result under dist/). A temp file and a rename: a reader never sees half a file. Returns the manifest.
 */
export function writeReleaseManifest(workspaceRoot: string, gitSha?: string, channel?: string): ReleaseManifest {
  const records = readProjectRecords(workspaceRoot);
  const results = records.flatMap((r) => [r.publish, r.ghcr]).filter(Boolean);
  const sha = gitSha ?? onlySha(records);
  if (!sha) {
    throw new ReleaseError('no publish or ghcr result under dist/: nothing was published here', 'run `nx run-many -t publish ghcr` first (the results are dist/<project>/publish-result.json and ghcr-result.json)');
  }
  const ch = channel ?? results.find((r) => r.gitSha === sha && r.channel)?.channel ?? records.find((r) => r.pack?.gitSha === sha)?.pack?.channel ?? 'unknown';
  const manifest = aggregateReleaseManifest(sha, ch, records);
  const file = join(workspaceRoot, RELEASE_MANIFEST_PATH);
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, file);
  return manifest;
}

/** The one SHA the results under dist/ are of; several -> the caller must say which. */
function onlySha(records: ProjectRecord[]): string | undefined {
  const shas = records.flatMap((r) => [r.publish?.gitSha, r.ghcr?.gitSha]).filter((s): s is string => !!s);
  if (new Set(shas).size > 1) {
    throw new ReleaseError(`dist/ holds results of ${new Set(shas).size} commits (${[...new Set(shas)].map((s) => s.slice(0, 7)).join(', ')})`, 'pass --sha <commit> to say which run the manifest is of');
  }
  return shas[0];
}

/** The executors' hook: each publish/ghcr task rewrites the manifest right after writing its own result. */
export function recordRelease(workspaceRoot: string, gitSha: string, channel: string, log?: (line: string) => void): void {
  try {
    const m = writeReleaseManifest(workspaceRoot, gitSha, channel);
    log?.(`release manifest: ${RELEASE_MANIFEST_PATH} (${m.artifacts.length} artifact(s) of ${gitSha.slice(0, 7)})`);
  } catch (e) {
    // The record is evidence, not the release: a failure to write it never fails a published upload.
    log?.(`release manifest not written: ${(e as Error).message.split('\n')[0]}`);
  }
}

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown table of the manifest (the workflow's $GITHUB_STEP_SUMMARY). */
export function manifestMarkdown(m: ReleaseManifest): string {
  const rows = m.artifacts.map((a) => `| ${[a.ecosystem, a.name, a.version, a.file ?? a.imageDigest ?? '', a.sha256 ? `sha256:${a.sha256.slice(0, 12)}` : '', a.registry, a.tags.join(', '), a.signatureRef ? 'signed' : '', a.outcome].map(cell).join(' | ')} |`);
  return [
    `### Release manifest: \`${m.gitSha.slice(0, 12)}\` (${m.channel})`,
    '',
    '| ecosystem | name | version | file / digest | sha256 | registry | tags | signature | outcome |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...(rows.length ? rows : ['| (nothing published) | | | | | | | | |']),
    '',
  ].join('\n');
}
