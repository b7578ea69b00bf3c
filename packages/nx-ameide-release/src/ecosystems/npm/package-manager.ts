import { detectPackageManager } from '@nx/devkit';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import type { Command } from '../../exec';
import type { Env } from '../../destinations/registries';

/**
 * Which JavaScript package manager a step uses. The workspace's own comes from Nx's detection
 * (nx.json `cli.packageManager`, else the lock file, else the one that invoked Nx); smoke can be
 * told another one, since what matters there is how the consumer installs.
 */
export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** The package managers smoke can install with (each tested against a real Verdaccio). */
export const SMOKE_PACKAGE_MANAGERS = ['npm', 'pnpm'] as const;
export type SmokePackageManager = (typeof SMOKE_PACKAGE_MANAGERS)[number];

export function workspacePackageManager(workspaceRoot: string): PackageManager {
  return detectPackageManager(workspaceRoot) as PackageManager;
}

/** `<pm> run build` as that package manager spells it (yarn: `yarn build`). Pure. */
export function buildScriptCommand(pm: PackageManager, cwd: string): Command {
  if (pm === 'yarn') return { command: 'yarn', args: ['build'], cwd };
  return { command: pm, args: ['run', 'build'], cwd };
}

/**
 * The package manager smoke installs with: the `smokePackageManager` option, else
 * AMEIDE_SMOKE_PACKAGE_MANAGER, else the workspace's (when smoke supports it; a yarn or bun
 * workspace falls back to npm, and says so). An unsupported explicit choice is refused.
 */
export function resolveSmokePackageManager(
  option: string | undefined,
  env: Env,
  detect: () => PackageManager,
  log: (line: string) => void = () => undefined,
): SmokePackageManager {
  const explicit = option ?? (env.AMEIDE_SMOKE_PACKAGE_MANAGER || undefined);
  if (explicit !== undefined) {
    if ((SMOKE_PACKAGE_MANAGERS as readonly string[]).includes(explicit)) return explicit as SmokePackageManager;
    throw new ReleaseError(
      `smokePackageManager is ${JSON.stringify(explicit)}; smoke installs with ${SMOKE_PACKAGE_MANAGERS.join(' or ')}`,
      `set smokePackageManager (smoke target option) or AMEIDE_SMOKE_PACKAGE_MANAGER to ${SMOKE_PACKAGE_MANAGERS.join(' or ')}, or leave both unset to use the workspace's`,
    );
  }
  const detected = detect();
  if ((SMOKE_PACKAGE_MANAGERS as readonly string[]).includes(detected)) return detected as SmokePackageManager;
  log(`smoke: the workspace uses ${detected}, which smoke does not install with yet; installing with npm (set smokePackageManager to npm or pnpm to choose)`);
  return 'npm';
}

/**
 * The consumer's install in `dir` (a throwaway project outside the workspace). pnpm: isolated
 * node_modules as pnpm users get them. npm: its own empty cache in the session folder, so the
 * bytes come from the registry and not from an earlier install on this machine. Pure.
 */
export function smokeInstallCommand(
  pm: SmokePackageManager,
  bin: string,
  a: { dir: string; name: string; version: string; registryUrl: string; userconfig: string; env: NodeJS.ProcessEnv },
): Command {
  const spec = `${a.name}@${a.version}`;
  if (pm === 'pnpm') {
    return {
      command: bin,
      args: ['add', spec, '--registry', a.registryUrl, '--config.node-linker=isolated', '--reporter=append-only'],
      cwd: a.dir,
      env: a.env,
    };
  }
  return {
    command: bin,
    args: ['install', spec, '--registry', a.registryUrl, '--userconfig', a.userconfig, '--cache', join(a.dir, '.npm-cache'), '--no-audit', '--no-fund'],
    cwd: a.dir,
    env: a.env,
  };
}
