import { run, runOrThrow, type ExecResult } from '../exec';
import type { Env } from '../destinations/registries';

/**
 * The environment of every git process, the workspace's and the Go mirror's alike: the
 * caller's variables over the process's (so GIT_CONFIG_* redirects reach git), no credential
 * prompt (a CI job must fail, not hang), no pager, and the C locale so output stays parseable.
 */
export function gitEnv(env: Env = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', GIT_PAGER: 'cat', LC_ALL: 'C' };
}

/** Every workspace git call goes through here: data in, no shell, the runner's redaction. Throws on a non-zero exit. */
export function git(cwd: string, args: string[]): Promise<ExecResult> {
  return runOrThrow({ command: 'git', args, cwd, env: gitEnv() });
}

/** The same, for a git call whose exit status is an answer (the caller reads `exitCode`). */
export function gitMayFail(cwd: string, args: string[]): Promise<ExecResult> {
  return run({ command: 'git', args, cwd, env: gitEnv() });
}

/** Non-empty trimmed lines of git's output. */
export const gitLines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
