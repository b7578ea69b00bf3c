import { ReleaseError } from '../errors';
import { git, gitLines, gitMayFail } from './env';

/**
 * History facts for release evidence (notes, provenance): commits, the tags merged into a
 * commit, the tree at a commit. Plain data out; the evidence modules decide what it means.
 */

const lines = gitLines;

/** One commit as git recorded it. */
export interface CommitRecord {
  sha: string;
  /** Committer time, unix seconds. */
  committed: number;
  author: string;
  subject: string;
  body: string;
  /** Paths changed relative to the first parent, repository-relative. */
  files: string[];
}

/** The commit a ref names (a tag is peeled); a ReleaseError when git does not know it. */
export async function resolveCommit(cwd: string, ref: string): Promise<string> {
  const r = await gitMayFail(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (r.exitCode !== 0) {
    throw new ReleaseError(
      `${ref} does not name a commit in ${cwd}`,
      'pass an existing tag or commit (git tag --list "v*"), after git fetch --tags if it comes from the remote',
      cwd,
    );
  }
  return r.stdout.trim();
}

/** Every tag whose commit is `ref` or one of its ancestors (`git tag --merged`). */
export async function tagsMergedInto(cwd: string, ref: string): Promise<string[]> {
  return lines((await git(cwd, ['tag', '--merged', ref])).stdout);
}

/** The tags pointing at `ref`'s commit. */
export async function tagsPointingAt(cwd: string, ref: string): Promise<string[]> {
  return lines((await git(cwd, ['tag', '--points-at', ref])).stdout);
}

const RS = '\x1e';
const US = '\x1f';

/** Parse `git log --format=<RS>%H<US>%ct<US>%an<US>%B<US> --name-only` output; pure (tested on git's own output). */
export function parseLog(out: string): CommitRecord[] {
  return out
    .split(RS)
    .filter((rec) => rec.trim())
    .map((rec) => {
      const [sha, ct, author, message, rest] = rec.split(US);
      const msg = message.replace(/\s+$/, '');
      const nl = msg.indexOf('\n');
      return {
        sha,
        committed: Number(ct),
        author,
        subject: (nl < 0 ? msg : msg.slice(0, nl)).trim(),
        body: nl < 0 ? '' : msg.slice(nl + 1).trim(),
        files: lines(rest ?? ''),
      };
    });
}

/**
 * The non-merge commits reachable from `to` and not from `from` (all of `to`'s history when
 * `from` is null), newest first, each with the paths it changed. Merge commits are left out:
 * the commits they bring in are listed themselves.
 */
export async function commitsBetween(cwd: string, from: string | null, to: string): Promise<CommitRecord[]> {
  const range = from ? `${from}..${to}` : to;
  const out = await git(cwd, ['log', '--no-merges', '--no-renames', `--format=${RS}%H${US}%ct${US}%an${US}%B${US}`, '--name-only', range, '--']);
  return parseLog(out.stdout);
}

/** Every file path in the tree of `ref` (repository-relative). */
export async function filesAt(cwd: string, ref: string): Promise<string[]> {
  return lines((await git(cwd, ['ls-tree', '-r', '--name-only', '--full-tree', ref])).stdout);
}

/** The content of `path` in the tree of `ref`. */
export async function readFileAt(cwd: string, ref: string, path: string): Promise<string> {
  return (await git(cwd, ['show', `${ref}:${path}`])).stdout;
}

/** The URL of a remote, or null when there is no such remote. */
export async function remoteUrl(cwd: string, remote = 'origin'): Promise<string | null> {
  const r = await gitMayFail(cwd, ['remote', 'get-url', remote]);
  return r.exitCode === 0 ? r.stdout.trim() || null : null;
}
