import type { DevHead } from './dev-head';

/** One release project's registry state on the dev channel, as read (or why it could not be). */
export interface ProjectState {
  project: string;
  /** The dev-channel heads of its kinds (package and image; a Go module's package has none). */
  heads: DevHead[];
  /** Registries that could not be read and destinations refused, one line each. */
  unreadable: string[];
}

/** The side effects the decision needs, passed in so the rule itself is a table-tested function. */
export interface PlanDeps {
  /** `git merge-base --is-ancestor sha head`; throws when sha is not in the local history. */
  isAncestor(sha: string, head: string): Promise<boolean>;
  /** The common ancestor of several commits (the oldest point every one of them builds on). */
  mergeBase(shas: string[]): Promise<string>;
  /** The projects Nx finds affected by the changes base..head (files of a project or of its dependencies). */
  affectedSince(base: string, head: string): Promise<Set<string>>;
}

export interface ProjectChoice {
  project: string;
  /** The commit its changes are counted from; null when every project is taken (release, or the base is unknown). */
  base: string | null;
  chosen: boolean;
  /** Why the base, and why chosen or not, in one line. */
  reason: string;
  heads: DevHead[];
}

export interface AffectedPlan {
  channel: string;
  head: string;
  /** The chosen projects, sorted: what `nx run-many --projects` gets. */
  projects: string[];
  choices: ProjectChoice[];
}

const short = (sha: string) => sha.slice(0, 7);
const KIND_LABEL: Record<string, string> = { npm: 'npm dist-tag dev', pypi: 'newest PyPI .devN', oci: 'image :dev', go: 'Go' };

/** Why a project has no usable base (null: it has one). */
async function noBase(s: ProjectState, head: string, deps: PlanDeps): Promise<string | null> {
  if (s.unreadable.length) return `registry not readable (${s.unreadable.join('; ')})`;
  if (s.heads.length === 0) return 'no dev-channel artifact to ask';
  const unknown = s.heads.filter((h): h is Extract<DevHead, { sha: null }> => h.sha === null);
  if (unknown.length) return `dev channel unknown: ${unknown.map((h) => h.reason).join('; ')}`;
  for (const sha of new Set(s.heads.map((h) => h.sha!))) {
    let ancestor: boolean;
    try {
      ancestor = await deps.isAncestor(sha, head);
    } catch {
      return `the dev channel holds ${short(sha)}, which is not in this clone's history (fetch with fetch-depth: 0, or it was published from a rewritten branch)`;
    }
    if (!ancestor) return `the dev channel holds ${short(sha)}, which is not an ancestor of HEAD (published from another branch, or main was rewritten)`;
  }
  return null;
}

/**
 * Which release projects a run publishes. A release publishes every project. Otherwise each
 * project is counted from its own base: the commit the dev channel last published for it (its
 * package and its image; when they differ, their merge base, so the one behind catches up). It is
 * chosen when Nx finds it affected since that base (its files, or those of a project it depends
 * on, or a workspace-wide input). No base (nothing published yet, a registry not readable, a
 * commit that is not an ancestor of HEAD): it is chosen, and the reason says why.
 */
export async function planAffected(input: { channel: string; head: string; projects: ProjectState[]; /** --base: every project counted from this commit, the registries not asked. */ base?: string }, deps: PlanDeps): Promise<AffectedPlan> {
  const { channel, head } = input;
  const choices: ProjectChoice[] = [];
  const affected = new Map<string, Promise<Set<string>>>();
  for (const s of [...input.projects].sort((a, b) => a.project.localeCompare(b.project))) {
    if (channel === 'release') {
      choices.push({ project: s.project, base: null, chosen: true, reason: 'release channel: a release publishes every project', heads: s.heads });
      continue;
    }
    const why = input.base ? null : await noBase(s, head, deps);
    if (why !== null) {
      choices.push({ project: s.project, base: null, chosen: true, reason: `every file counts: ${why}`, heads: s.heads });
      continue;
    }
    const shas = input.base ? [input.base] : [...new Set(s.heads.map((h) => h.sha!))].sort();
    const base = shas.length === 1 ? shas[0] : await deps.mergeBase(shas);
    const from = input.base
      ? `base ${short(base)}: given (--base)`
      : shas.length === 1
        ? `base ${short(base)}: the dev channel's last publish (${s.heads.map((h) => KIND_LABEL[h.kind]).join(', ')})`
        : `base ${short(base)}: the merge base of its dev-channel commits (${s.heads.map((h) => `${KIND_LABEL[h.kind]} ${short(h.sha!)}`).join(', ')})`;
    if (base === head) {
      choices.push({ project: s.project, base, chosen: false, reason: `${from}; that is HEAD, nothing new`, heads: s.heads });
      continue;
    }
    if (!affected.has(base)) affected.set(base, deps.affectedSince(base, head));
    const chosen = (await affected.get(base)!).has(s.project);
    choices.push({ project: s.project, base, chosen, reason: `${from}; ${chosen ? 'changed since (its files or a dependency\'s)' : 'nothing of it or its dependencies changed since'}`, heads: s.heads });
  }
  return { channel, head, projects: choices.filter((c) => c.chosen).map((c) => c.project), choices };
}
