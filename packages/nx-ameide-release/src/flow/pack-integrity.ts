import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { adapterFor } from '../ecosystems';
import type { Ecosystem, Finding, Log, PackInput, PackManifest } from '../core/contract';
import { sha256File, sha256Hex } from '../hash';
import { distDir } from '../names';
import type { VersionContext } from '../version/types';

/**
 * Pack integrity: artifacts that a cache handed to this run are rebuilt and compared before
 * anything is uploaded.
 *
 * `pack` is cacheable, so its outputs may come from a cache (Nx's local cache, or a shared
 * remote cache that other branches write to: the CVE-2025-36852 class). The pack manifest's
 * sha256 list cannot tell: whoever wrote the cache entry wrote the manifest too. Pack is
 * reproducible (same SHA, same context: the same bytes on any machine), so the preflight packs
 * the project again into a temp folder and compares every file's sha256 with what the run is
 * about to upload. Outputs that `pack` produced in this very workspace are recorded by a
 * fingerprint outside the cached outputs (`recordPackedHere`) and are not rebuilt: nothing but
 * a cache can put bytes into dist/ that this workspace did not make.
 *
 * Modes (AMEIDE_VERIFY_PACK): `auto` (default) rebuilds what this workspace did not pack
 * itself; `always` rebuilds every project; `off` trusts the cache (logged on every preflight).
 */
export type PackVerifyMode = 'auto' | 'always' | 'off';

export const VERIFY_PACK_VARIABLE = 'AMEIDE_VERIFY_PACK';

/** The mode from the environment; anything else than the three names is refused where it is read. Pure. */
export function packVerifyMode(env: Record<string, string | undefined>): PackVerifyMode | { invalid: string } {
  const raw = (env[VERIFY_PACK_VARIABLE] ?? '').trim().toLowerCase();
  if (raw === '') return 'auto';
  if (raw === 'auto' || raw === 'always' || raw === 'off') return raw;
  return { invalid: env[VERIFY_PACK_VARIABLE] as string };
}

/**
 * Where `pack` records the fingerprint of the manifest it wrote: outside every Nx output, so no
 * cache restore ever writes it (a restore that replaces dist/<project> makes it stale instead).
 */
export function packedHereFile(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'node_modules', '.cache', 'nx-ameide-release', 'packed-here', `${project}.sha256`);
}

/** The fingerprint of a pack manifest: sha256 of its bytes (the manifest lists every file's sha256). */
export const manifestFingerprint = (manifestBytes: Buffer | string): string => sha256Hex(manifestBytes);

/** Called by the pack executor after it wrote the manifest: these outputs were made here, not restored. */
export function recordPackedHere(workspaceRoot: string, project: string, manifestFile: string): void {
  const file = packedHereFile(workspaceRoot, project);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${manifestFingerprint(readFileSync(manifestFile))}\n`);
}

/** True when the manifest now in dist/<project> is the one `pack` wrote in this workspace. */
export function packedHere(workspaceRoot: string, project: string, manifestFile: string): boolean {
  const file = packedHereFile(workspaceRoot, project);
  if (!existsSync(file) || !existsSync(manifestFile)) return false;
  return readFileSync(file, 'utf8').trim() === manifestFingerprint(readFileSync(manifestFile));
}

/** A manifest's files keyed by their path inside the pack's output folder. */
function filesByPath(manifest: PackManifest, outDirRel: string): Map<string, { sha256: string; kind: string }> {
  const out = new Map<string, { sha256: string; kind: string }>();
  for (const f of manifest.files ?? []) out.set(relative(outDirRel, f.file).split(sep).join('/'), { sha256: f.sha256, kind: f.kind });
  return out;
}

/**
 * Compare what the run is about to upload with a fresh pack of the same SHA. Pure. `rebuiltOutDir`
 * is the fresh pack's output folder relative to the workspace root (its manifest's file paths are).
 */
export function compareWithRebuild(project: string, recorded: PackManifest, rebuilt: PackManifest, rebuiltOutDir: string): Finding[] {
  const rel = `${distDir(project)}/pack-manifest.json`;
  const fix = purgeFix(project);
  const findings: Finding[] = [];
  for (const field of ['name', 'version', 'gitSha'] as const) {
    if (recorded[field] !== rebuilt[field]) {
      findings.push({ check: 'artifact', problem: `${rel} says ${field} ${recorded[field]}, but packing this commit again gives ${rebuilt[field]}: the packed output did not come from this commit`, fix });
    }
  }
  const have = filesByPath(recorded, distDir(project));
  const want = filesByPath(rebuilt, rebuiltOutDir);
  for (const [path, w] of want) {
    const h = have.get(path);
    if (!h) findings.push({ check: 'artifact', problem: `${distDir(project)}/${path} is missing from ${rel}, but packing this commit again produces it`, fix });
    else if (h.sha256 !== w.sha256) {
      findings.push({
        check: 'artifact',
        problem: `${distDir(project)}/${path} is not what this commit packs to (sha256 ${h.sha256.slice(0, 12)}… vs ${w.sha256.slice(0, 12)}… rebuilt): a cache entry for ${project}:pack was altered or forged`,
        fix,
      });
    }
  }
  for (const path of have.keys()) {
    if (!want.has(path)) findings.push({ check: 'artifact', problem: `${distDir(project)}/${path} is listed in ${rel}, but packing this commit again does not produce it`, fix });
  }
  return findings;
}

/** The fix printed with every integrity finding: works as printed, and says where the bad entry lives. */
export function purgeFix(project: string): string {
  return (
    `re-run with \`--skip-nx-cache\` (e.g. \`nx run-many -t publish --skip-nx-cache\`) so ${project}:pack runs here; ` +
    `then purge the remote cache entry (the task hash is in the pack line of the Nx output) and give untrusted branches a read-only cache token (docs/remote-cache.md)`
  );
}

export interface VerifyPackInput {
  workspaceRoot: string;
  projectRoot: string;
  project: string;
  ecosystem: Ecosystem;
  context: VersionContext;
  /** The manifest the run is about to upload (already checked against its files by the artifact step). */
  manifest: PackManifest;
  mode: PackVerifyMode;
  log: Log;
  /** As for pack: the project's Nx build target made its build output (pack must not rebuild it in place). */
  builtByNx?: boolean;
  /** The pack to compare with; default the ecosystem adapter's. */
  pack?: (input: PackInput) => Promise<PackManifest>;
  /** Clock for the cost line; default Date.now. */
  now?: () => number;
}

/**
 * The integrity check of one project: [] when the artifacts are what this commit packs to (or
 * were packed here, in `auto`), else one finding per differing file. Writes only to a temp folder.
 */
export async function verifyPack(input: VerifyPackInput): Promise<Finding[]> {
  const { workspaceRoot, project, manifest, mode, log } = input;
  const now = input.now ?? Date.now;
  if (manifest.skipped) return [];
  if (mode === 'off') {
    log(`pack integrity: not checked (${VERIFY_PACK_VARIABLE}=off): dist/${project} is trusted as found, whatever cache it came from`);
    return [];
  }
  const manifestFile = join(workspaceRoot, distDir(project), 'pack-manifest.json');
  if (mode === 'auto' && packedHere(workspaceRoot, project, manifestFile)) {
    log('pack integrity: packed in this workspace (not restored from a cache): nothing to rebuild');
    return [];
  }
  const started = now();
  const tmp = mkdtempSync(join(tmpdir(), 'ameide-verify-pack-'));
  try {
    const outDir = join(tmp, 'out');
    mkdirSync(outDir, { recursive: true });
    const pack = input.pack ?? adapterFor(input.ecosystem).pack;
    if (!pack) throw new Error(`ecosystem '${input.ecosystem}' packs nothing: there is no pack to compare with`);
    let rebuilt: PackManifest;
    try {
      rebuilt = await pack({
        workspaceRoot,
        projectRoot: input.projectRoot,
        project,
        context: input.context,
        outDir,
        log: (line) => log(`pack integrity: ${line}`),
        builtByNx: input.builtByNx,
      });
    } catch (e) {
      return [
        {
          check: 'artifact',
          problem: `packing ${project} again to check the restored artifacts failed: ${(e as Error).message.split('\n')[0]}`,
          fix: `run \`nx run ${project}:pack --skip-nx-cache\` and fix what it reports (or set ${VERIFY_PACK_VARIABLE}=off to trust the cache, on dev only)`,
        },
      ];
    }
    // Every file of the fresh pack is hashed here, not taken from its manifest.
    rebuilt = { ...rebuilt, files: rebuilt.files.map((f) => ({ ...f, sha256: sha256File(join(workspaceRoot, f.file)) })) };
    const findings = compareWithRebuild(project, manifest, rebuilt, relative(workspaceRoot, outDir));
    const ms = now() - started;
    log(
      findings.length === 0
        ? `pack integrity: restored from a cache, rebuilt and identical (${rebuilt.files.length} file(s), ${ms} ms)`
        : `pack integrity: ${findings.length} file(s) differ from a fresh pack of this commit (${ms} ms)`,
    );
    return findings;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
