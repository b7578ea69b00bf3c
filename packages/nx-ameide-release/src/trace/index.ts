import { ReleaseError } from '../errors';
import type { DestinationKind } from '../destinations';
import type { RegistryTrace, TracedArtifact } from '../core/registry-trace';
import { npmTrace } from '../ecosystems/npm/trace';
import { pypiTrace } from '../ecosystems/pypi/trace';
import { goTrace } from '../ecosystems/go/trace';
import { ociTrace } from '../ecosystems/oci/trace';
import { ociImageName } from '../ecosystems/oci/layout';
import { normalizeProjectName } from '../ecosystems/pypi/commands';
import type { Env } from '../destinations/registries';
import { traceSubjects, type TraceSubject } from './projects';

export const TRACES: Record<DestinationKind, RegistryTrace> = { npm: npmTrace, pypi: pypiTrace, go: goTrace, oci: ociTrace };

export interface TraceAnswer {
  /** The full SHA (null: no artifact of it was found). */
  sha: string | null;
  /** What was asked: the SHA as given, or the artifact reference. */
  query: string;
  /** The reverse lookup's artifact(s), when an artifact was asked. */
  asked?: TracedArtifact[];
  artifacts: TracedArtifact[];
  /** Registries that could not be read (the answer may be incomplete) and destinations refused. */
  unreadable: { project: string; kind: DestinationKind; error: string }[];
}

/** An artifact reference: npm:@scope/pkg@1.2.3, pypi:name==1.2.3, oci:repo:tag, go:module@v1.2.3. */
export interface ArtifactRef {
  kind: DestinationKind;
  name: string;
  version: string;
}

export function parseArtifactRef(ref: string): ArtifactRef | null {
  const m = /^(npm|pypi|oci|go):(.+)$/.exec(ref);
  if (!m) return null;
  const [, kind, rest] = m as unknown as [string, DestinationKind, string];
  const split = (sep: string, from: number) => {
    const i = rest.lastIndexOf(sep);
    return i > from ? { name: rest.slice(0, i), version: rest.slice(i + sep.length) } : null;
  };
  const parts = kind === 'pypi' ? split('==', 0) : kind === 'oci' ? split(':', rest.lastIndexOf('/')) : split('@', 0);
  if (!parts || !parts.name || !parts.version) return null;
  return { kind, ...parts };
}

const REF_FORMS = 'npm:@scope/pkg@1.2.3, pypi:name==1.2.3, oci:<[registry/]namespace/image|image>:tag or go:module@v1.2.3';

/** Does the subject hold the named artifact? */
function names(s: TraceSubject, ref: ArtifactRef): boolean {
  if (s.kind !== ref.kind) return false;
  if (ref.kind === 'pypi') return normalizeProjectName(s.name) === normalizeProjectName(ref.name);
  if (ref.kind !== 'oci') return s.name === ref.name;
  const ns = s.destinations.oci!.namespace;
  const image = `${ns}/${ociImageName(s.name)}`;
  return [ociImageName(s.name), image, `${s.destinations.oci!.registry}/${image}`].includes(ref.name);
}

async function ask(subjects: TraceSubject[], version?: string): Promise<{ found: TracedArtifact[]; unreadable: TraceAnswer['unreadable'] }> {
  const unreadable: TraceAnswer['unreadable'] = [];
  const lists = await Promise.all(
    subjects.map((s) =>
      TRACES[s.kind].list(s, version).catch((e: Error) => {
        unreadable.push({ project: s.project, kind: s.kind, error: e.message.split('\n')[0] });
        return [] as TracedArtifact[];
      }),
    ),
  );
  return { found: lists.flat(), unreadable };
}

const order = (a: TracedArtifact, b: TracedArtifact) =>
  `${a.project}\0${a.ecosystem === 'oci' ? 1 : 0}\0${a.version}\0${a.file ?? ''}`.localeCompare(`${b.project}\0${b.ecosystem === 'oci' ? 1 : 0}\0${b.version}\0${b.file ?? ''}`);

/** Every artifact on the configured registries built from `sha` (full or a prefix of at least 7 hex). */
export async function traceSha(workspaceRoot: string, sha: string, env: Env): Promise<TraceAnswer> {
  const s = sha.toLowerCase();
  if (!/^[0-9a-f]{7,40}$/.test(s)) throw new ReleaseError(`${sha} is neither a commit SHA (7 to 40 hex) nor an artifact reference`, `pass a SHA (git rev-parse HEAD) or one of ${REF_FORMS}`);
  const { subjects, refused } = traceSubjects(workspaceRoot, env);
  if (subjects.length === 0 && refused.length === 0) throw new ReleaseError(`no release project in ${workspaceRoot}`, 'run trace in the workspace (or --cwd <workspace>); release projects carry the ameide:release tag');
  const { found, unreadable } = await ask(subjects);
  unreadable.push(...refused.map((r) => ({ project: r.project, kind: r.refusal.kind ?? ('oci' as DestinationKind), error: `destination refused: ${r.refusal.what}` })));
  const artifacts = found.filter((a) => a.gitSha?.toLowerCase().startsWith(s)).sort(order);
  const full = [...new Set(artifacts.map((a) => a.gitSha!.toLowerCase()))];
  if (full.length > 1) throw new ReleaseError(`${sha} is ambiguous: artifacts of ${full.join(', ')}`, 'pass more of the SHA');
  return { sha: full[0] ?? null, query: sha, artifacts, unreadable };
}

/** The SHA an artifact was built from, and every artifact of that SHA. */
export async function traceArtifact(workspaceRoot: string, reference: string, env: Env): Promise<TraceAnswer> {
  const ref = parseArtifactRef(reference);
  if (!ref) throw new ReleaseError(`${reference} is not an artifact reference`, `write it as ${REF_FORMS}`);
  const { subjects } = traceSubjects(workspaceRoot, env);
  const mine = subjects.filter((s) => names(s, ref));
  if (mine.length === 0) {
    const known = subjects.filter((s) => s.kind === ref.kind).map((s) => (s.kind === 'oci' ? ociImageName(s.name) : s.name));
    throw new ReleaseError(`no release project publishes ${ref.kind} ${ref.name}`, known.length ? `the ${ref.kind} artifacts of this workspace: ${known.join(', ')}` : `this workspace publishes no ${ref.kind} artifact`);
  }
  const { found, unreadable } = await ask(mine, ref.version);
  const asked = found.sort(order);
  const shas = [...new Set(asked.map((a) => a.gitSha).filter((x): x is string => !!x))];
  if (shas.length !== 1) return { sha: null, query: reference, asked, artifacts: [], unreadable };
  const siblings = await traceSha(workspaceRoot, shas[0], env);
  return { ...siblings, query: reference, asked, unreadable: [...unreadable, ...siblings.unreadable] };
}

/** The text answer: the SHA, then one row per artifact. */
export function traceTable(a: TraceAnswer): string {
  const rows = a.artifacts.map((x) => [x.ecosystem, x.project, x.name, x.version, x.file ?? x.digest ?? '', x.tags.join(','), x.registry]);
  const head = ['ecosystem', 'project', 'name', 'version', 'file / digest', 'tags', 'registry'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [`${a.asked === undefined ? '' : `${a.query} -> `}${a.sha}: ${a.artifacts.length} artifact(s)`, line(head), ...rows.map(line), ''].join('\n');
}
