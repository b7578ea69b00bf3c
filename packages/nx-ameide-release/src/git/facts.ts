import { ReleaseError } from '../errors';
import type { GitFacts } from '../version/facts';
import type { VersionTag } from '../version/tags';
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
 * cache (src/context.ts) keys on it, so a cache hit makes three git calls; readGitFacts completes it
 * with the commit time and the tags reachable from HEAD.
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
  // One round of three parallel git calls; HEAD is awaited first so a checkout without one gets its own clear error.
  const rest = Promise.all([
    git(cwd, ['for-each-ref', '--format=%(refname:strip=2) %(objectname) %(*objectname)', 'refs/tags']),
    git(cwd, ['status', '--porcelain']),
  ]);
  rest.catch(() => undefined); // awaited below; a failure here is reported through readHeadSha's error first
  // Shallowness, the git directory, HEAD and the branch in one call: HEAD's full name is refs/heads/<branch>, or
  // HEAD when detached. `--`: a file named HEAD in the work tree is not a revision.
  const args = ['rev-parse', '--is-shallow-repository', '--absolute-git-dir', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD', '--'];
  const first = await gitMayFail(cwd, args);
  // When it fails, readHeadSha says why (not a repository, no commit); anything else is git's own error.
  const revParse = first.exitCode === 0 ? first : (await readHeadSha(cwd), await git(cwd, args));
  const [shallow, gitDir, sha, headName] = lines(revParse.stdout);
  const [refs, status] = await rest;
  const tagsAtHead = tagEntries(refs.stdout)
    .filter((t) => t.commit === sha)
    .map((t) => t.name);
  const dirtyPaths = status.stdout
    .split('\n')
    .filter((l) => l.length > 3)
    .map((l) => l.slice(3));
  return {
    headSha: sha,
    tagRefs: refs.stdout,
    tagsAtHead,
    dirtyPaths,
    shallow: shallow === 'true',
    branch: headName?.startsWith('refs/heads/') ? headName.slice('refs/heads/'.length) : null,
    gitDir,
  };
}

/**
 * The tags of a `for-each-ref` listing (`<name> <object> <peeled object>` lines) with the commit each
 * names: an annotated tag's commit is the peeled object, a lightweight tag names the commit itself.
 * Split once per listing: the state, the ancestry checks and the facts all read it (5,000 lines).
 */
let lastListing: { text: string; entries: { name: string; commit: string }[] } | null = null;
function tagEntries(tagRefs: string): { name: string; commit: string }[] {
  if (lastListing?.text !== tagRefs) {
    const entries: { name: string; commit: string }[] = [];
    for (const line of tagRefs.split('\n')) {
      const [name, object, peeled] = line.trim().split(' ');
      if (name) entries.push({ name, commit: peeled || object });
    }
    lastListing = { text: tagRefs, entries };
  }
  return lastListing.entries;
}

/** At most this many `merge-base --is-ancestor` checks before one `git tag --merged` walk is cheaper. */
const MAX_ANCESTRY_CHECKS = 6;

/**
 * The version tags reachable from HEAD that the model needs: the highest reachable one and the
 * highest reachable stable one (the base version; Go's pseudo-version). Tested highest first with
 * `git merge-base --is-ancestor` (generation numbers make one check far cheaper than walking the
 * whole history with `git tag --merged`, measured: docs/performance.md); when more checks than
 * MAX_ANCESTRY_CHECKS would be needed, or git cannot tell, every reachable tag from the one walk.
 */
async function reachableVersionTags(cwd: string, sha: string, tagRefs: string, parse: (t: string) => VersionTag | null): Promise<string[]> {
  const tags: { tag: VersionTag; commit: string }[] = [];
  for (const { name, commit } of tagEntries(tagRefs)) {
    const tag = parse(name);
    if (tag) tags.push({ tag, commit });
  }
  if (tags.length === 0) return [];
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { compareVersionTagsDesc } = require('../version/tags') as typeof import('../version/tags');
  tags.sort((a, b) => compareVersionTagsDesc(a.tag, b.tag));
  const found: string[] = [];
  let checks = 0;
  let walk = false;
  for (const { tag, commit } of tags) {
    let reachable = commit === sha;
    if (!reachable) {
      const r = ++checks > MAX_ANCESTRY_CHECKS ? null : await gitMayFail(cwd, ['merge-base', '--is-ancestor', commit, sha]);
      // Too many checks, or a commit git cannot place (a shallow clone): the walk answers instead.
      if (!r || (r.exitCode !== 0 && r.exitCode !== 1)) {
        walk = true;
        break;
      }
      reachable = r.exitCode === 0;
    }
    if (!reachable) continue;
    found.push(tag.tag);
    if (tag.prerelease === '') return found;
  }
  // Every tag checked without a stable one reachable: `found` holds every reachable (prerelease) tag.
  if (!walk) return found;
  return lines((await git(cwd, ['tag', '--merged', sha])).stdout).filter((t) => parse(t) !== null);
}

/**
 * Everything the version model needs: the state above (read here unless given) and the version
 * tags reachable from HEAD. Every tag name is parsed once (parseVersionTag keeps what it parsed).
 */
export async function readGitFacts(cwd: string, known?: GitState): Promise<GitFacts> {
  const state = known ?? (await readGitState(cwd));
  const sha = state.headSha;
  // The version parser (semver) loads here, not with this module: the context cache's key needs none of it.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { parseVersionTag } = require('../version/tags') as typeof import('../version/tags');
  // The commit time only matters when the context is computed: read alongside the ancestry checks.
  const [time, reachableTags] = await Promise.all([commitTime(cwd, sha), reachableVersionTags(cwd, sha, state.tagRefs, parseVersionTag)]);
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
    allTags: tagEntries(state.tagRefs)
      .map((t) => t.name)
      .filter((t) => parseVersionTag(t) !== null),
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
