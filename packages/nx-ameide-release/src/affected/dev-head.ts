import type { DestinationKind } from '../destinations';
import { TRACES } from '../trace';
import type { TraceSubject } from '../trace/projects';
import { pypiRegistry } from '../destinations/registries';
import { listProjectFiles } from '../ecosystems/pypi/simple-index';
import { normalizeProjectName } from '../ecosystems/pypi/commands';
import { versionOfDistFile } from '../ecosystems/pypi/trace';
import { ociImageName } from '../ecosystems/oci/layout';

/** The npm dist-tag and the image tag the dev channel moves on every publish (DESIGN: NPM_DIST_TAG / GHCR_TAGS of dev). */
export const DEV_TAG = 'dev';

/** What the dev channel of one (project, kind) holds: the commit it was built from, or why that is unknown. */
export type DevHead =
  | { kind: DestinationKind; sha: string; version: string }
  | { kind: DestinationKind; sha: null; reason: string };

/** A PEP 440 dev release as the dev channel writes it (`X.Y.Z.devN`), as numbers to compare; null for anything else. */
export function pep440Dev(version: string): number[] | null {
  const m = /^(\d+(?:\.\d+)*)\.dev(\d+)$/.exec(version);
  if (!m) return null;
  const release = m[1].split('.').map(Number);
  while (release.length < 3) release.push(0);
  return [...release, Number(m[2])];
}

/** The newest dev release among versions (null: none). */
export function newestDev(versions: string[]): string | null {
  let best: { v: string; key: number[] } | null = null;
  for (const v of new Set(versions)) {
    const key = pep440Dev(v);
    if (!key) continue;
    const cmp = best ? compareKeys(key, best.key) : 1;
    if (cmp > 0) best = { v, key };
  }
  return best?.v ?? null;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** One SHA out of the artifacts found, or why there is none (no artifact, none records a SHA, or they disagree). */
function oneSha(kind: DestinationKind, what: string, found: { gitSha: string | null; version: string }[]): DevHead {
  if (found.length === 0) return { kind, sha: null, reason: `${what}: nothing published` };
  const shas = [...new Set(found.map((a) => a.gitSha?.toLowerCase() ?? null))];
  if (shas.length !== 1 || shas[0] === null) return { kind, sha: null, reason: `${what}: ${shas.includes(null) ? 'records no commit' : `records several commits (${shas.join(', ')})`}` };
  return { kind, sha: shas[0], version: found[0].version };
}

/**
 * Which commit the dev channel last published for one subject, asked of its registry through the
 * same read-back as `trace` (ecosystems/registry-trace.ts): npm the version under the `dev`
 * dist-tag -> its gitHead; OCI the `:dev` tag -> the image's revision label; PyPI has no tags, so
 * the newest `.devN` version on the index -> the SHA in its files' metadata. Go publishes nothing
 * on the dev channel: null (the caller asks the project's image instead). Throws when the
 * registry cannot be read.
 */
export async function devHead(s: TraceSubject): Promise<DevHead | null> {
  switch (s.kind) {
    case 'go':
      return null;
    case 'npm': {
      const all = await TRACES.npm.list(s);
      return oneSha('npm', `npm ${s.name}@${DEV_TAG}`, all.filter((a) => a.tags.includes(DEV_TAG)));
    }
    case 'oci':
      return oneSha('oci', `image ${ociImageName(s.name)}:${DEV_TAG}`, await TRACES.oci.list(s, DEV_TAG));
    case 'pypi': {
      const files = await listProjectFiles(pypiRegistry(s.env, s.destinations), normalizeProjectName(s.name));
      const version = newestDev(files.map((f) => versionOfDistFile(f.filename)).filter((v): v is string => v !== null));
      if (!version) return { kind: 'pypi', sha: null, reason: `PyPI ${s.name}: no .devN version published` };
      return oneSha('pypi', `PyPI ${s.name}==${version}`, await TRACES.pypi.list(s, version));
    }
  }
}
