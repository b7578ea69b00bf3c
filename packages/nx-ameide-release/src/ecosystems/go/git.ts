import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { registerSecret, run, runOrThrow, type ExecResult } from '../../exec';
import { isTransientError } from '../../retry';
import type { ZipEntry } from './modzip';

/**
 * Git for the Go mirror repository (the SDK's own repository), not for the workspace:
 * the workspace's git facts live in src/git. Every call goes through exec.ts, never
 * prompts for credentials, and never forces: an existing tag is never moved.
 */

export const SOURCE_SHA_TRAILER = 'Source-SHA';

export interface GitOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  extraEnv?: NodeJS.ProcessEnv;
}

export function git(args: string[], o: GitOptions): Promise<ExecResult> {
  return runOrThrow({ command: 'git', args, cwd: o.cwd, env: { ...o.env, ...o.extraEnv }, input: o.input });
}

/** A remote safe to print: credentials in the URL become ***, and are registered for redaction. */
export function redactRemote(remote: string): string {
  try {
    const u = new URL(remote);
    if (!u.username && !u.password) return remote;
    registerSecret(decodeURIComponent(u.password));
    registerSecret(decodeURIComponent(u.username));
    if (u.password) registerSecret(u.password);
    return `${u.protocol}//***@${u.host}${u.pathname}${u.search}`;
  } catch {
    return remote.replace(/\/\/[^/@]*@/, '//***@');
  }
}

const GIT_TRANSIENT =
  /Could not resolve host|Connection (refused|reset|timed out)|Operation timed out|early EOF|RPC failed|remote end hung up unexpectedly|returned error: 5\d\d|gnutls_handshake|TLS connection was non-properly terminated|Failed to connect/i;

/** Network trouble worth another try. Authentication failures and rejections are not. */
export function isTransientGitError(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  if (/Authentication failed|returned error: 40[134]|Permission denied/i.test(text)) return false;
  return GIT_TRANSIENT.test(text) || isTransientError(err);
}

/** A push lost a race with another pusher (branch moved, or the tag appeared): re-read and decide again. */
export function isPushRace(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /non-fast-forward|fetch first|\(already exists\)|stale info|failed to update ref|cannot lock ref/i.test(text);
}

/** The last `Source-SHA: <40 hex>` trailer of a message, or null. */
export function sourceShaOf(message: string): string | null {
  const all = [...message.matchAll(/^Source-SHA:[ \t]*([0-9a-f]{40})[ \t]*$/gim)];
  return all.length ? all[all.length - 1][1].toLowerCase() : null;
}

export function tempRepoDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Object id a remote ref points at (peeled for annotated tags), or null when absent. */
export async function lsRemoteRef(remote: string, ref: string, env: NodeJS.ProcessEnv): Promise<{ id: string; peeled: string } | null> {
  const { stdout } = await git(['ls-remote', remote, ref, `${ref}^{}`], { env });
  let id: string | null = null;
  let peeled: string | null = null;
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (name === ref) id = sha;
    if (name === `${ref}^{}`) peeled = sha;
  }
  return id ? { id, peeled: peeled ?? id } : null;
}

/** Tags of the remote matching a glob (e.g. v1.9.*), each with the commit it peels to. */
export async function lsRemoteTags(remote: string, glob: string, env: NodeJS.ProcessEnv): Promise<{ tag: string; commit: string }[]> {
  const { stdout } = await git(['ls-remote', '--tags', remote, `refs/tags/${glob}`], { env });
  const byTag = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (!name?.startsWith('refs/tags/')) continue;
    const peeled = name.endsWith('^{}');
    const tag = name.slice('refs/tags/'.length).replace(/\^\{\}$/, '');
    if (peeled || !byTag.has(tag)) byTag.set(tag, sha);
  }
  return [...byTag].map(([tag, commit]) => ({ tag, commit }));
}

/**
 * The mirror branch a release's commit goes on. The default branch follows the highest
 * release only; any other release (a backport such as v1.9.1 after v2.0.0, or a prerelease)
 * lives on `release/vX.Y`, and only its tag points at it: the default branch never moves back.
 */
export function mirrorBranchFor(tag: string, isHighestRelease: boolean, defaultBranch: string): string {
  if (isHighestRelease) return defaultBranch;
  const m = /^v(\d+)\.(\d+)\./.exec(tag);
  return m ? `release/v${m[1]}.${m[2]}` : defaultBranch;
}

/**
 * Push rights on the mirror, proven without writing: `git push --dry-run` of a throwaway
 * commit runs the receive-pack handshake, where a server refuses credentials that may only
 * read (GitHub answers 403), and sends nothing. Throws the git error when refused.
 */
export async function checkPushAccess(remote: string, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = tempRepoDir('ameide-go-pushcheck-');
  try {
    const at = { env, cwd: dir };
    await git(['init', '-q', '.'], at);
    const tree = (await git(['mktree'], { ...at, input: '' })).stdout.trim();
    const who = { GIT_AUTHOR_NAME: 'preflight', GIT_AUTHOR_EMAIL: 'preflight@localhost', GIT_COMMITTER_NAME: 'preflight', GIT_COMMITTER_EMAIL: 'preflight@localhost', GIT_AUTHOR_DATE: '@0 +0000', GIT_COMMITTER_DATE: '@0 +0000' };
    const commit = (await git(['commit-tree', tree, '-m', 'preflight push check (never pushed)'], { ...at, extraEnv: who })).stdout.trim();
    await git(['push', '--dry-run', '--porcelain', remote, `${commit}:refs/heads/ameide-preflight-check`], at);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TagFacts {
  commit: string;
  /** Source SHA recorded by the tag's commit (or, failing that, by the annotated tag's message). */
  sourceSha: string | null;
  /** With `files`: whether the tag's tree is exactly those files (the bytes a publish of them would push). */
  sameTree?: boolean;
}

/**
 * The git tree of a module's files, as the mirror commit holds them: every file 0644, no line-ending
 * conversion, a .gitignore inside the module not applied. `dir` is an empty repository's work tree.
 */
async function writeTree(files: ZipEntry[], dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  for (const f of files) {
    const file = join(dir, f.name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, f.data, { mode: 0o644 });
  }
  await git(['-c', 'core.autocrlf=false', '-c', 'core.safecrlf=false', 'add', '-A', '-f', '.'], { env, cwd: dir });
  return (await git(['write-tree'], { env, cwd: dir })).stdout.trim();
}

/**
 * Fetch one tag of the remote into a throwaway repository and read the source SHA it records;
 * with `files`, also whether its tree is exactly those files.
 */
export async function readRemoteTag(remote: string, tag: string, env: NodeJS.ProcessEnv, files?: ZipEntry[]): Promise<TagFacts | null> {
  const ref = `refs/tags/${tag}`;
  if (!(await lsRemoteRef(remote, ref, env))) return null;
  const dir = tempRepoDir('ameide-go-lookup-');
  try {
    await git(['init', '-q', dir], { env });
    await git(['fetch', '-q', '--no-tags', remote, `+${ref}:${ref}`], { env, cwd: dir });
    const commit = (await git(['rev-parse', `${ref}^{commit}`], { env, cwd: dir })).stdout.trim();
    const commitMsg = (await git(['log', '-1', '--format=%B', commit], { env, cwd: dir })).stdout;
    let sourceSha = sourceShaOf(commitMsg);
    if (!sourceSha && (await git(['cat-file', '-t', ref], { env, cwd: dir })).stdout.trim() === 'tag') {
      sourceSha = sourceShaOf((await git(['cat-file', 'tag', ref], { env, cwd: dir })).stdout);
    }
    if (!files) return { commit, sourceSha };
    const tree = (await git(['rev-parse', `${commit}^{tree}`], { env, cwd: dir })).stdout.trim();
    return { commit, sourceSha, sameTree: (await writeTree(files, dir, env)) === tree };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface MirrorCommit {
  remote: string;
  /** The branch whose head is the new commit's parent (the release line); the push does not move it. */
  branch: string;
  tag: string;
  files: ZipEntry[]; // module-relative paths and contents: the mirror's whole tree
  sourceSha: string;
  sourceRef?: string;
  commitTime: string; // ISO; author, committer and tagger date, so the commit id is reproducible
  identity: { name: string; email: string };
  subject: string;
  /** A tag whose commit is the parent when `branch` does not exist yet (a new release/vX.Y line starts from its last tag). */
  startFrom?: string;
}

/**
 * Commit the module's files as the next commit of `branch` (the whole tree replaced), tag it
 * (annotated) and push the tag alone: the tag is the published artifact, the branch is moved
 * afterwards by advanceBranch. No --force: an existing tag makes the push fail (isTagTaken).
 */
export async function pushTaggedCommit(m: MirrorCommit, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<{ commit: string; reused: boolean }> {
  const dir = tempRepoDir('ameide-go-mirror-');
  try {
    const at = { env, cwd: dir };
    await git(['init', '-q', '.'], at);
    const head = await lsRemoteRef(m.remote, `refs/heads/${m.branch}`, env);
    if (head) await git(['fetch', '-q', '--no-tags', m.remote, `+refs/heads/${m.branch}:refs/remotes/origin/${m.branch}`], at);
    let base: string | null = null;
    if (!head && m.startFrom) {
      await git(['fetch', '-q', '--no-tags', m.remote, `+refs/tags/${m.startFrom}:refs/tags/${m.startFrom}`], at);
      base = (await git(['rev-parse', `refs/tags/${m.startFrom}^{commit}`], at)).stdout.trim();
    }
    const tree = await writeTree(m.files, dir, env);
    const epoch = Math.floor(new Date(m.commitTime).getTime() / 1000);
    const who = {
      GIT_AUTHOR_NAME: m.identity.name,
      GIT_AUTHOR_EMAIL: m.identity.email,
      GIT_AUTHOR_DATE: `@${epoch} +0000`,
      GIT_COMMITTER_NAME: m.identity.name,
      GIT_COMMITTER_EMAIL: m.identity.email,
      GIT_COMMITTER_DATE: `@${epoch} +0000`,
    };
    const trailers = `${SOURCE_SHA_TRAILER}: ${m.sourceSha}\n${m.sourceRef ? `Source-Ref: ${m.sourceRef}\n` : ''}`;
    let commit: string | null = null;
    let reused = false;
    if (head) {
      // The branch head already is this source's tree (a commit made by an earlier tool version that
      // pushed the branch first): tag that commit, add none.
      const headTree = (await git(['rev-parse', `${head.id}^{tree}`], at)).stdout.trim();
      const headMsg = (await git(['log', '-1', '--format=%B', head.id], at)).stdout;
      if (headTree === tree && sourceShaOf(headMsg) === m.sourceSha) {
        commit = head.id;
        reused = true;
      }
    }
    if (!commit) {
      const message = `${m.subject}\n\nSynced from the source repository at ${m.sourceSha}.\n\n${trailers}`;
      const parents = head ? ['-p', head.id] : base ? ['-p', base] : [];
      commit = (await git(['commit-tree', tree, ...parents, '-F', '-'], { ...at, input: message, extraEnv: who })).stdout.trim();
    }
    await git(['tag', '-a', m.tag, '-F', '-', commit], { ...at, input: `${m.subject}\n\n${trailers}`, extraEnv: who });
    log(`git push ${redactRemote(m.remote)} refs/tags/${m.tag} (commit ${commit.slice(0, 12)}, parent: ${m.branch}${head ? '' : m.startFrom ? ` from ${m.startFrom}` : ', new'})`);
    await git(['push', '--porcelain', m.remote, `refs/tags/${m.tag}:refs/tags/${m.tag}`], at);
    return { commit, reused };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The push was refused because the tag exists on the remote now (another run got there first). */
export function isTagTaken(err: unknown): boolean {
  // `git push --porcelain` reports the refused ref on stdout; the message carries stderr.
  const out = (err as { result?: Partial<ExecResult> })?.result;
  const text = `${err instanceof Error ? err.message : String(err)}\n${out?.stdout ?? ''}`;
  return /\(already exists\)|cannot lock ref 'refs\/tags\//i.test(text);
}

/**
 * Move `branch` of the mirror forward to the commit of `tag`, never back and never forced:
 * created when missing, fast-forwarded when its head is an ancestor of the tag's commit, left
 * as it is when it already contains the commit. Diverged (another release moved it since this
 * tag's commit was made): left as it is, and said. Returns the line for the log.
 */
export async function advanceBranch(remote: string, branch: string, tag: string, env: NodeJS.ProcessEnv): Promise<string> {
  const shown = redactRemote(remote);
  const dir = tempRepoDir('ameide-go-branch-');
  try {
    const at = { env, cwd: dir };
    await git(['init', '-q', '.'], at);
    await git(['fetch', '-q', '--no-tags', remote, `+refs/tags/${tag}:refs/tags/${tag}`], at);
    const commit = (await git(['rev-parse', `refs/tags/${tag}^{commit}`], at)).stdout.trim();
    const head = await lsRemoteRef(remote, `refs/heads/${branch}`, env);
    if (head?.id === commit) return `mirror branch ${branch} of ${shown} is at ${tag}`;
    if (head) {
      await git(['fetch', '-q', '--no-tags', remote, `+refs/heads/${branch}:refs/remotes/origin/${branch}`], at);
      const ancestor = async (a: string, b: string) => {
        const r = await run({ command: 'git', args: ['merge-base', '--is-ancestor', a, b], cwd: dir, env });
        if (r.exitCode > 1) throw new Error(`git merge-base --is-ancestor ${a} ${b} failed: ${r.stderr}`);
        return r.exitCode === 0;
      };
      if (await ancestor(commit, head.id)) return `mirror branch ${branch} of ${shown} already contains ${tag}`;
      if (!(await ancestor(head.id, commit))) {
        return `mirror branch ${branch} of ${shown} was left as it is: it moved to ${head.id.slice(0, 12)} after ${tag} was made on its previous head (a concurrent release); ${tag} is published, merge it into ${branch} by hand if the branch should show it`;
      }
    }
    await git(['push', '--porcelain', remote, `${commit}:refs/heads/${branch}`], at);
    return `mirror branch ${branch} of ${shown} ${head ? 'moved' : 'created'} at ${tag} (${commit.slice(0, 12)})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
