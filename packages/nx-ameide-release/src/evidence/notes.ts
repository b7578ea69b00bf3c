import * as semver from 'semver';
import { commitTime, commitsBetween, filesAt, readFileAt, readHeadSha, resolveCommit, tagsMergedInto, tagsPointingAt, type CommitRecord } from '../git';
import { releaseProjectOf } from '../plugin/projects';
import { DEFAULT_RELEASE_TAG, PLUGIN } from '../plugin/targets';
import { parseVersionTag, sortVersionTags } from '../version/tags';

/**
 * Release notes: the commits since the previous release, grouped by Conventional Commit
 * type when the history uses it, and per release project the commits that touched it.
 * `previousReleaseTag`, `parseConventional` and `renderNotes` are pure; `releaseNotes`
 * reads git (through src/git) and calls them.
 */

/** The Conventional Commit types the notes group by, in the order the groups are printed. */
export const COMMIT_TYPES = [
  ['feat', 'Features'],
  ['fix', 'Bug fixes'],
  ['perf', 'Performance'],
  ['revert', 'Reverts'],
  ['refactor', 'Refactoring'],
  ['docs', 'Documentation'],
  ['build', 'Build'],
  ['ci', 'CI'],
  ['test', 'Tests'],
  ['style', 'Style'],
  ['chore', 'Chores'],
] as const;
export type CommitType = (typeof COMMIT_TYPES)[number][0];
const TYPE_TITLES = new Map<string, string>(COMMIT_TYPES);

export interface Conventional {
  type: CommitType;
  scope: string | null;
  breaking: boolean;
  description: string;
  /** The text of a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer, when there is one. */
  breakingNote: string | null;
}

const HEADER = /^(?<type>[a-zA-Z]+)(?:\((?<scope>[^()\r\n]+)\))?(?<bang>!)?: (?<description>\S.*)$/;
const BREAKING_FOOTER = /^BREAKING[ -]CHANGE: ?(?<note>[\s\S]*)$/m;

/**
 * A commit message read as a Conventional Commit (https://www.conventionalcommits.org/en/v1.0.0/),
 * or null when its header is not `type(scope)!: description` with a known type. Types are
 * matched case-insensitively; an unknown prefix such as `workflow:` is an ordinary subject.
 */
export function parseConventional(subject: string, body = ''): Conventional | null {
  const m = HEADER.exec(subject.trim());
  if (!m?.groups) return null;
  const type = m.groups.type.toLowerCase();
  if (!TYPE_TITLES.has(type)) return null;
  const footer = BREAKING_FOOTER.exec(body);
  const note = footer?.groups?.note.split(/\n\s*\n/)[0].trim() || null;
  return {
    type: type as CommitType,
    scope: m.groups.scope?.trim() ?? null,
    breaking: Boolean(m.groups.bang) || Boolean(footer),
    description: m.groups.description.trim(),
    breakingNote: footer ? note : null,
  };
}

/**
 * The release the notes start from: among the tags merged into the released commit, the
 * highest release tag below `tag`. A stable release starts from the previous stable release
 * (its notes cover what its release candidates had); a prerelease from the previous tag of
 * any kind. A backport `v1.2.4` on the 1.2 line starts from `v1.2.3`, because `v1.3.0` is
 * not an ancestor of it. Without a release tag (notes of an unreleased commit): the highest
 * release tag merged into it. null when there is none (the first release: every commit).
 */
export function previousReleaseTag(tag: string | null, mergedTags: readonly string[]): string | null {
  const current = tag ? parseVersionTag(tag) : null;
  const candidates = sortVersionTags(mergedTags, { stableOnly: current !== null && current.prerelease === '' });
  const below = current ? candidates.filter((t) => semver.lt(t.version, current.version)) : candidates;
  return below[0]?.tag ?? null;
}

export interface NotesProject {
  name: string;
  root: string; // repository-relative, '.' for a root project
}

export interface NotesInput {
  /** The release tag, or null for an unreleased commit. */
  tag: string | null;
  sha: string;
  /** Committer time of `sha`, ISO UTC: the notes' only date. */
  commitTime: string;
  previousTag: string | null;
  /** Newest first, as git log lists them. */
  commits: CommitRecord[];
  projects: NotesProject[];
}

const short = (sha: string) => sha.slice(0, 7);

function line(c: CommitRecord, cc: Conventional | null): string {
  if (!cc) return `- ${c.subject} (${short(c.sha)})`;
  return `- ${cc.scope ? `**${cc.scope}:** ` : ''}${cc.description} (${short(c.sha)})`;
}

/** Whether a commit changed a file under a project root. */
export function touches(c: CommitRecord, root: string): boolean {
  if (root === '.' || root === '') return c.files.length > 0;
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return c.files.some((f) => f.startsWith(prefix));
}

/** The notes as Markdown; pure, and the same input gives the same bytes. */
export function renderNotes(input: NotesInput): string {
  const { commits } = input;
  const parsed = commits.map((c) => ({ c, cc: parseConventional(c.subject, c.body) }));
  const out: string[] = [];
  out.push(`# ${input.tag ?? `Unreleased (${short(input.sha)})`}`, '');
  const since = input.previousTag ? `since ${input.previousTag}` : 'since the start of the history';
  out.push(`${commits.length} commit${commits.length === 1 ? '' : 's'} ${since}; commit ${input.sha} (${input.commitTime}).`, '');

  const conventional = parsed.some((p) => p.cc);
  if (commits.length === 0) {
    out.push('No changes.', '');
  } else if (!conventional) {
    out.push('## Commits', '', ...parsed.map((p) => line(p.c, null)), '');
  } else {
    const breaking = parsed.filter((p) => p.cc?.breaking);
    if (breaking.length) {
      out.push('## Breaking changes', '');
      for (const p of breaking) out.push(p.cc!.breakingNote ? `${line(p.c, p.cc)}: ${p.cc!.breakingNote.replace(/\s*\n\s*/g, ' ')}` : line(p.c, p.cc));
      out.push('');
    }
    for (const [type, title] of COMMIT_TYPES) {
      const group = parsed.filter((p) => p.cc?.type === type);
      if (group.length) out.push(`## ${title}`, '', ...group.map((p) => line(p.c, p.cc)), '');
    }
    const other = parsed.filter((p) => !p.cc);
    if (other.length) out.push('## Other changes', '', ...other.map((p) => line(p.c, null)), '');
  }

  if (input.projects.length) {
    out.push('## Packages', '');
    for (const project of [...input.projects].sort((a, b) => a.name.localeCompare(b.name))) {
      const touched = commits.filter((c) => touches(c, project.root));
      out.push(`### ${project.name} (\`${project.root}\`)`, '');
      if (touched.length === 0) out.push('No changes.');
      else out.push(...touched.map((c) => `- ${c.subject} (${short(c.sha)})`));
      out.push('');
    }
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/** The plugin's `releaseTag` option in an nx.json text (default `ameide:release`). */
export function releaseTagOption(nxJson: string | null): string {
  if (!nxJson) return DEFAULT_RELEASE_TAG;
  try {
    const nx = JSON.parse(nxJson) as { plugins?: unknown[] };
    const entry = (nx.plugins ?? []).find((p) => typeof p === 'object' && p !== null && (p as { plugin?: unknown }).plugin === PLUGIN) as
      | { options?: { releaseTag?: unknown } }
      | undefined;
    const tag = entry?.options?.releaseTag;
    return typeof tag === 'string' && tag ? tag : DEFAULT_RELEASE_TAG;
  } catch {
    return DEFAULT_RELEASE_TAG;
  }
}

/**
 * The release projects of the tree at `ref`, found as createNodes finds them (the release tag
 * in project.json / package.json nx.tags), but from git: the notes describe the tagged tree,
 * whatever the work tree holds.
 */
export async function releaseProjectsAt(cwd: string, ref: string): Promise<NotesProject[]> {
  const files = await filesAt(cwd, ref);
  const manifests = files.filter((f) => /(^|\/)(project|package)\.json$/.test(f) && !f.includes('node_modules/'));
  const withProjectJson = new Set(manifests.filter((f) => f.endsWith('project.json')).map(rootOf));
  const releaseTag = releaseTagOption(files.includes('nx.json') ? await readFileAt(cwd, ref, 'nx.json') : null);
  const projects: NotesProject[] = [];
  for (const file of manifests) {
    let json: unknown;
    try {
      json = JSON.parse(await readFileAt(cwd, ref, file));
    } catch {
      continue;
    }
    const p = releaseProjectOf(file, json, releaseTag, withProjectJson.has(rootOf(file)));
    if (p) projects.push({ name: p.name, root: rootOf(file) });
  }
  return projects;
}

function rootOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '.' : file.slice(0, i);
}

/** `refs/tags/v1.2.3` -> `v1.2.3`; other refs as given. */
const shortRef = (ref: string) => ref.replace(/^refs\/tags\//, '');

/**
 * Notes of `ref` (default: the highest release tag at HEAD, else HEAD itself) in the
 * repository at `cwd`.
 */
export async function releaseNotes(cwd: string, ref?: string): Promise<{ markdown: string; input: NotesInput }> {
  await readHeadSha(cwd); // not a repository, or no commit yet: say so, not "unknown ref"
  let tag: string | null = null;
  let target = ref ? shortRef(ref) : 'HEAD';
  if (!ref) {
    tag = sortVersionTags(await tagsPointingAt(cwd, 'HEAD'))[0]?.tag ?? null;
    if (tag) target = `refs/tags/${tag}`;
  } else if (parseVersionTag(target)) {
    tag = target;
    target = `refs/tags/${tag}`;
  }
  const sha = await resolveCommit(cwd, target);
  const previousTag = previousReleaseTag(tag, await tagsMergedInto(cwd, sha));
  const [commits, projects, time] = await Promise.all([
    commitsBetween(cwd, previousTag ? `refs/tags/${previousTag}` : null, sha),
    releaseProjectsAt(cwd, sha),
    commitTime(cwd, sha),
  ]);
  const input: NotesInput = { tag, sha, commitTime: time, previousTag, commits, projects };
  return { markdown: renderNotes(input), input };
}
