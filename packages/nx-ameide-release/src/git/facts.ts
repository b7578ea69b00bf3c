import { ReleaseError } from '../errors';
import type { GitFacts } from '../version/facts';
import { git, gitLines, gitMayFail } from './env';

/** Why git facts could not be read; `no-git`/`no-commits` let callers (the digest) degrade gracefully. */
export type GitProblem = 'not-a-repo' | 'no-commits' | 'shallow-without-tags';

export class GitFactsError extends ReleaseError {
  constructor(
    readonly problem: GitProblem,
    what: string,
    fix: string,
    where?: string,
  ) {
    super(what, fix, where);
    this.name = 'GitFactsError';
  }
}

const lines = gitLines;

/** Unix seconds -> `YYYY-MM-DDTHH:MM:SSZ` (a commit's own time, not the clock). */
export function isoUtc(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** HEAD's SHA; a clear GitFactsError when cwd is not inside a git work tree or has no commit. */
export async function readHeadSha(cwd: string): Promise<string> {
  // The happy path is one git call; the reason for a failure is looked up only then.
  const head = await gitMayFail(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head.exitCode === 0) return head.stdout.trim();
  const inside = await gitMayFail(cwd, ['rev-parse', '--is-inside-work-tree']);
  if (inside.exitCode !== 0 || inside.stdout.trim() !== 'true') {
    throw new GitFactsError(
      'not-a-repo',
      `${cwd} is not inside a git work tree`,
      'run from a git checkout (git clone ...) or pass --cwd <checkout>',
    );
  }
  throw new GitFactsError(
    'no-commits',
    `the repository at ${cwd} has no commits yet (HEAD is unborn)`,
    'make the first commit (git add . && git commit -m "initial commit")',
  );
}

/** HEAD committer time in UTC, ISO form. */
export async function commitTime(cwd: string, sha = 'HEAD'): Promise<string> {
  const out = await git(cwd, ['show', '-s', '--format=%ct', `${sha}^{commit}`]);
  return isoUtc(Number(out.stdout.trim()));
}

/** True when `ancestorSha` is `descendantSha` or one of its ancestors (e.g. "dev only moves forward"). */
export async function isAncestor(cwd: string, ancestorSha: string, descendantSha: string): Promise<boolean> {
  const r = await gitMayFail(cwd, ['merge-base', '--is-ancestor', ancestorSha, descendantSha]);
  if (r.exitCode === 0) return true;
  if (r.exitCode === 1) return false;
  throw new ReleaseError(
    `cannot compare ${ancestorSha} and ${descendantSha}: ${(r.stderr || r.stdout).trim()}`,
    'fetch the missing history (git fetch --tags --unshallow) so both commits are present',
    cwd,
  );
}

/**
 * What identifies a checkout's version context, read with cheap git calls (no history walk):
 * HEAD, every tag with the commit it names, the working tree's state, the branch. The context
 * cache (src/context.ts) keys on it; readGitFacts completes it with the commit time and the
 * tags reachable from HEAD.
 */
export interface GitState {
  headSha: string;
  /** `<name> <object> <peeled commit>` per tag, as git listed them: a moved or new tag changes it. */
  tagRefs: string;
  tagsAtHead: string[];
  dirtyPaths: string[];
  shallow: boolean;
  branch: string | null;
  /** The repository's git directory (absolute): where a cache lives without touching the work tree. */
  gitDir: string;
}

export async function readGitState(cwd: string): Promise<GitState> {
  // One round of parallel git calls; HEAD is awaited first so a checkout without one gets its own clear error.
  const rest = Promise.all([
    git(cwd, ['for-each-ref', '--format=%(refname:strip=2) %(objectname) %(*objectname)', 'refs/tags']),
    git(cwd, ['status', '--porcelain']),
    git(cwd, ['rev-parse', '--is-shallow-repository', '--absolute-git-dir']),
    gitMayFail(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
  ]);
  rest.catch(() => undefined); // awaited below; a failure here is reported through readHeadSha's error first
  const sha = await readHeadSha(cwd);
  const [refs, status, shallow, branch] = await rest;
  const tagsAtHead: string[] = [];
  for (const line of lines(refs.stdout)) {
    const [name, object, peeled] = line.split(' ');
    // An annotated tag's commit is the peeled object; a lightweight tag names the commit itself.
    if ((peeled || object) === sha) tagsAtHead.push(name);
  }
  const dirtyPaths = status.stdout
    .split('\n')
    .filter((l) => l.length > 3)
    .map((l) => l.slice(3));
  return {
    headSha: sha,
    tagRefs: refs.stdout,
    tagsAtHead,
    dirtyPaths,
    shallow: lines(shallow.stdout)[0] === 'true',
    branch: branch.exitCode === 0 ? branch.stdout.trim() : null,
    gitDir: lines(shallow.stdout)[1],
  };
}

/**
 * Everything the version model needs: the state above (read here unless given), the commit
 * time and the version tags reachable from HEAD (the one history walk). Every tag name is
 * parsed once (parseVersionTag keeps what it parsed).
 */
export async function readGitFacts(cwd: string, known?: GitState): Promise<GitFacts> {
  const state = known ?? (await readGitState(cwd));
  const sha = state.headSha;
  const [time, merged] = await Promise.all([commitTime(cwd, sha), git(cwd, ['tag', '--merged', sha])]);
  // The version parser (semver) loads here, not with this module: the context cache's key needs none of it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { parseVersionTag } = require('../version/tags') as typeof import('../version/tags');
  const versionTags = (names: string[]) => names.filter((t) => parseVersionTag(t) !== null);
  const reachableTags = versionTags(lines(merged.stdout));
  if (state.shallow && reachableTags.length === 0) {
    throw new GitFactsError(
      'shallow-without-tags',
      `${cwd} is a shallow clone and no vX.Y.Z tag is reachable from HEAD, so the base version is unknown`,
      'git fetch --tags --unshallow (in GitHub Actions: actions/checkout with fetch-depth: 0)',
    );
  }
  return {
    headSha: sha,
    commitTime: time,
    reachableTags,
    allTags: versionTags(lines(state.tagRefs).map((l) => l.split(' ')[0])),
    tagsAtHead: state.tagsAtHead,
    dirty: state.dirtyPaths.length > 0,
    dirtyPaths: state.dirtyPaths,
    shallow: state.shallow,
    branch: state.branch,
  };
}

/**
 * Before a release publishes, the tag must be on the remote and point at this commit:
 * publishing from a tag nobody else can see makes an artifact nobody can trace.
 * A clone with no such remote is a local release (the tag exists here, which the
 * channel rules already checked): nothing to compare, reported as 'no-remote'.
 */
export async function ensureReleaseTagPushed(cwd: string, tag: string, remote = 'origin'): Promise<'pushed' | 'no-remote'> {
  const remotes = lines((await git(cwd, ['remote'])).stdout);
  if (!remotes.includes(remote)) return 'no-remote';
  const [local, remoteRefs] = await Promise.all([
    git(cwd, ['rev-parse', `refs/tags/${tag}^{commit}`]),
    git(cwd, ['ls-remote', '--tags', remote, `refs/tags/${tag}`, `refs/tags/${tag}^{}`]),
  ]);
  const refs = new Map(
    lines(remoteRefs.stdout).map((l) => {
      const [sha, ref] = l.split(/\s+/);
      return [ref, sha] as const;
    }),
  );
  // An annotated tag's commit is the peeled ref (^{}); a lightweight tag is the commit itself.
  const remoteSha = refs.get(`refs/tags/${tag}^{}`) ?? refs.get(`refs/tags/${tag}`);
  const localSha = local.stdout.trim();
  if (!remoteSha) {
    throw new ReleaseError(`release tag ${tag} is not on remote '${remote}'`, `git push ${remote} ${tag}`, cwd);
  }
  if (remoteSha !== localSha) {
    throw new ReleaseError(
      `release tag ${tag} points at ${remoteSha} on remote '${remote}' but at ${localSha} here`,
      `tags are never moved: fetch the remote tag (git fetch ${remote} --tags --force) and release from ${remoteSha}, or release a new version`,
      cwd,
    );
  }
  return 'pushed';
}
