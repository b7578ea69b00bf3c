import type { Env } from '../registries';

/**
 * The environment of every git process, the workspace's and the Go mirror's alike: the
 * caller's variables over the process's (so GIT_CONFIG_* redirects reach git), no credential
 * prompt (a CI job must fail, not hang), no pager, and the C locale so output stays parseable.
 */
export function gitEnv(env: Env = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', GIT_PAGER: 'cat', LC_ALL: 'C' };
}
