import type { ProjectConfiguration, TaskGraph } from '@nx/devkit';
import { ReleaseError } from '../errors';
import type { Ecosystem } from '../ecosystems/types';
import { npmCredentials, pypiCredentials, type Env } from '../registries';
import type { Channel } from '../version/types';

/** The ecosystems of every `publish` task in this Nx run (from the task graph the executor is given). */
export function publishEcosystemsInRun(taskGraph: TaskGraph | undefined, projects: Record<string, ProjectConfiguration>): Ecosystem[] {
  const found = new Set<Ecosystem>();
  for (const task of Object.values(taskGraph?.tasks ?? {})) {
    if (task.target.target !== 'publish') continue;
    const eco = projects[task.target.project]?.targets?.publish?.options?.ecosystem as Ecosystem | undefined;
    if (eco) found.add(eco);
  }
  return [...found].sort();
}

/** What credential an ecosystem lacks to publish on this channel, or null. No network, no files written. */
export function missingCredential(ecosystem: Ecosystem, channel: Channel, env: Env): string | null {
  if (ecosystem === 'npm' && !npmCredentials(env).token) return 'npm: set NPM_TOKEN or NPM_TOKEN_FILE (or NODE_AUTH_TOKEN)';
  if (ecosystem === 'pypi') {
    const reg = pypiCredentials(env);
    if (!reg.username || !reg.password) return 'PyPI: set PYPI_TOKEN, or PYPI_USERNAME and PYPI_PASSWORD (or PYPI_PASSWORD_FILE)';
  }
  // Go pushes with git's own credentials, and only on the release channel: git reports those itself.
  void channel;
  return null;
}

/**
 * Every publish task checks the credentials of every ecosystem in the run before it uploads
 * anything: a missing PyPI token must stop the npm upload too, not surface after it.
 */
export function assertRunCredentials(ecosystems: Ecosystem[], channel: Channel, env: Env): void {
  const missing = ecosystems.map((e) => missingCredential(e, channel, env)).filter((m): m is string => m !== null);
  if (missing.length > 0) {
    throw new ReleaseError(
      `this run publishes to ${ecosystems.join(', ')}, but credentials are missing, so nothing is uploaded`,
      missing.join('; '),
    );
  }
}
