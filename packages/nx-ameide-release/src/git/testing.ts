import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from '../exec';

/**
 * Throw-away git repositories for tests: real git in os.tmpdir(), isolated from the
 * user's and the system's git config, with commit times fixed by the caller.
 */
export const isolatedGitEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  ...extra,
});

/** `2025-11-13T15:32:11Z` (or any Date.parse-able time with a zone) -> git's raw `@<unix> +0000`. */
export const gitDate = (iso: string, zone = '+0000') => `@${Math.floor(Date.parse(iso) / 1000)} ${zone}`;

export class TempRepo {
  private n = 0;
  constructor(readonly dir: string) {}

  async git(...args: string[]): Promise<string> {
    return (await runOrThrow({ command: 'git', args, cwd: this.dir, env: isolatedGitEnv() })).stdout.trim();
  }

  /** Commit a change; `committed` is the committer time (author time is set an hour earlier on purpose). */
  async commit(message: string, committed = '2025-11-13T15:32:11Z', zone = '+0000'): Promise<string> {
    writeFileSync(join(this.dir, `file${this.n++}.txt`), `${message}\n`);
    await this.git('add', '-A');
    const authored = new Date(Date.parse(committed) - 3600_000).toISOString();
    await runOrThrow({
      command: 'git',
      args: ['commit', '-q', '-m', message],
      cwd: this.dir,
      env: isolatedGitEnv({ GIT_COMMITTER_DATE: gitDate(committed, zone), GIT_AUTHOR_DATE: gitDate(authored, zone) }),
    });
    return this.git('rev-parse', 'HEAD');
  }

  async tag(name: string, opts: { annotated?: boolean; at?: string } = {}): Promise<void> {
    const at = opts.at ?? 'HEAD';
    if (opts.annotated) await this.git('tag', '-a', name, '-m', name, at);
    else await this.git('tag', name, at);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A new repository on branch `main` (no commit yet). */
export async function createTempRepo(prefix = 'ameide-git-'): Promise<TempRepo> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const repo = new TempRepo(dir);
  await repo.git('init', '-q', '-b', 'main');
  await repo.git('config', 'user.name', 'Test');
  await repo.git('config', 'user.email', 'test@example.invalid');
  await repo.git('config', 'commit.gpgsign', 'false');
  await repo.git('config', 'tag.gpgsign', 'false');
  return repo;
}

/** `git clone` of a TempRepo (e.g. `['--depth', '1']`), as a file:// URL so --depth is honoured. */
export async function cloneRepo(from: TempRepo, args: string[] = [], prefix = 'ameide-clone-'): Promise<TempRepo> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await runOrThrow({ command: 'git', args: ['clone', '-q', ...args, `file://${from.dir}`, dir], env: isolatedGitEnv() });
  const repo = new TempRepo(dir);
  await repo.git('config', 'user.name', 'Test');
  await repo.git('config', 'user.email', 'test@example.invalid');
  return repo;
}
