import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapterFor } from '../ecosystems';
import { ReleaseError } from '../errors';
import { distDir, packManifestPath } from '../names';
import type { Ecosystem, Finding, PackManifest } from '../core/contract';
import { sha256File } from '../hash';
import type { VersionContext } from '../version/types';

/**
 * The one check of a pack manifest, used by the preflight (artifact step) and by the task
 * pipeline (src/flow/task.ts), which reads it once per task and hands it down: packed from this
 * SHA, at this context's version, every file there with the sha256 pack recorded.
 */

/** The version string a pack manifest must carry for this context: the package adapter's own rule. Pure. */
export function expectedVersion(ecosystem: Ecosystem, context: VersionContext, name = ''): string {
  const version = adapterFor(ecosystem).version;
  if (!version) throw new Error(`ecosystem '${ecosystem}' packs nothing (it has no version rule)`);
  return version(context, name);
}

/**
 * Step 2, the one artifact check (publish, ghcr and smoke read the same manifest): present,
 * packed from this SHA at this version, every file there with the sha256 pack recorded.
 */
export function artifactFindings(
  workspaceRoot: string,
  project: string,
  ecosystem: Ecosystem,
  context: VersionContext,
  opts: { files?: boolean } = {},
): { manifest: PackManifest | null; findings: Finding[] } {
  const rel = packManifestPath(project);
  const repack = `nx run ${project}:pack --skip-nx-cache`;
  const file = join(workspaceRoot, rel);
  if (!existsSync(file)) return { manifest: null, findings: [{ check: 'artifact', problem: `no pack manifest at ${rel}`, fix: `nx run ${project}:pack` }] };
  let manifest: PackManifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as PackManifest;
  } catch (e) {
    return { manifest: null, findings: [{ check: 'artifact', problem: `${rel} is not JSON: ${(e as Error).message}`, fix: repack }] };
  }
  return { manifest, findings: manifestFindings(workspaceRoot, manifest, ecosystem, context, opts) };
}

/** Step 2 on a manifest already read: every problem, [] when it is this SHA's and intact. */
export function manifestFindings(workspaceRoot: string, manifest: PackManifest, ecosystem: Ecosystem, context: VersionContext, opts: { files?: boolean } = {}): Finding[] {
  const rel = packManifestPath(manifest.project);
  const repack = `nx run ${manifest.project}:pack --skip-nx-cache`;
  const findings: Finding[] = [];
  if (manifest.gitSha !== context.GIT_SHA) {
    findings.push({ check: 'artifact', problem: `${rel} was packed from ${manifest.gitSha}, but HEAD is ${context.GIT_SHA}`, fix: repack });
  }
  const want = expectedVersion(ecosystem, context, manifest.name);
  if (!manifest.skipped && manifest.version !== want) {
    findings.push({ check: 'artifact', problem: `${rel} holds version ${manifest.version}, but this context is ${want}`, fix: repack });
  }
  // files: false for the smoke, which installs from the registry (the packed files need not be here).
  for (const f of opts.files === false ? [] : manifest.files ?? []) {
    const abs = join(workspaceRoot, f.file);
    if (!existsSync(abs)) findings.push({ check: 'artifact', problem: `${f.file} (listed in ${rel}) is missing`, fix: repack });
    else if (sha256File(abs) !== f.sha256) {
      findings.push({ check: 'artifact', problem: `${f.file} changed after pack (its sha256 is not the ${f.sha256.slice(0, 12)}… pack recorded)`, fix: repack });
    }
  }
  return findings;
}


/** The same check as one refusal (the publish, ghcr and smoke tasks): throws every problem found, before anything is sent. */
export function assertManifestFindings(project: string, findings: Finding[]): void {
  if (findings.length) throw new ReleaseError(findings.map((f) => f.problem).join('; '), findings[0].fix, distDir(project));
}
