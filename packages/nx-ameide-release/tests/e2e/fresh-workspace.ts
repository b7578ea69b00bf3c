import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NxRun } from './workspace';
import { REPO_ROOT } from './workspace';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { freshDevDependencies } = require('./fresh-workspace-deps.js') as { freshDevDependencies: () => Record<string, string> };

export type PackageManager = 'npm' | 'pnpm';

const GIT_ID = { GIT_AUTHOR_NAME: 'acme', GIT_AUTHOR_EMAIL: 'acme@localhost', GIT_COMMITTER_NAME: 'acme', GIT_COMMITTER_EMAIL: 'acme@localhost' };

/** The environment of another team's machine: nothing of this repository's package-manager settings leaks in. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|NPM_CONFIG_|INIT_CWD$|NX_)/.test(k)) env[k] = v;
  return env;
}

/**
 * Another team's Nx workspace, outside this repository: a package.json with nx and @nx/devkit at
 * this repository's versions and the plugin (a tarball fetched from the local registry), an
 * nx.json, git with a bare `origin`. Installed OFFLINE with the given package manager (the caches
 * are filled by tools/setup.sh), so no test ever reaches a public registry.
 */
export class FreshWorkspace {
  readonly dir: string;
  readonly origin: string;
  readonly outputs: string[] = [];

  constructor(
    readonly pm: PackageManager,
    pluginTarball: string,
    readonly env: Record<string, string>,
  ) {
    const parent = mkdtempSync(join(tmpdir(), `acme-${pm}-`));
    this.dir = join(parent, 'platform');
    this.origin = join(parent, 'origin.git');
    mkdirSync(this.dir);
    const { nx, '@nx/devkit': devkit } = freshDevDependencies();
    this.writeJson('package.json', {
      name: `acme-platform-${pm}`,
      version: '0.0.0',
      private: true,
      repository: { type: 'git', url: `git+https://github.com/acme/platform-${pm}.git` },
      devDependencies: { nx, '@nx/devkit': devkit, '@ameideio/nx-ameide-release': `file:${pluginTarball}` },
    });
    this.writeJson('nx.json', { $schema: './node_modules/nx/schemas/nx-schema.json', defaultBase: 'main' });
    writeFileSync(join(this.dir, '.gitignore'), 'node_modules/\ndist/\n.nx/\n__pycache__/\n');
    const install = pm === 'npm' ? ['npm', ['install', '--offline', '--no-audit', '--no-fund']] : ['pnpm', ['install', '--offline']];
    this.run(install[0] as string, install[1] as string[]);
    execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', this.origin]);
    this.git('init', '-q', '--initial-branch=main');
    this.git('remote', 'add', 'origin', this.origin);
    this.commit('an empty Nx workspace');
  }

  /** Runs a command in the workspace; throws with its output when it fails. */
  run(command: string, args: string[], extraEnv: Record<string, string> = {}): string {
    const r = spawnSync(command, args, { cwd: this.dir, encoding: 'utf8', env: { ...cleanEnv(), ...this.env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    this.outputs.push(output);
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}) in ${this.dir}:\n${output.slice(-6000)}`);
    return output;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', env: { ...cleanEnv(), ...GIT_ID } }).trim();
  }

  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    this.git('push', '-q', 'origin', 'main');
    return this.git('rev-parse', 'HEAD');
  }

  tag(tag: string): void {
    this.git('tag', '-a', tag, '-m', `Release ${tag}`);
    this.git('push', '-q', 'origin', tag);
  }

  private nxEnv(ref?: string): Record<string, string> {
    return {
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      NX_CACHE_DIRECTORY: join(this.dir, '.nx', 'cache'),
      CI: 'true',
      ...(ref ? { GITHUB_REF: ref } : {}),
    };
  }

  /** `nx <args>`, throwing on failure. */
  nx(args: string[]): string {
    return this.run(join(this.dir, 'node_modules', '.bin', 'nx'), args, this.nxEnv());
  }

  /** `nx run-many -t <targets>` with GITHUB_REF=<ref>; returns the exit code and output. */
  runMany(ref: string, targets: string[], extra: string[] = []): NxRun {
    const r = spawnSync(join(this.dir, 'node_modules', '.bin', 'nx'), ['run-many', '-t', ...targets, '--parallel=1', '--outputStyle=static', ...extra], {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...cleanEnv(), ...this.env, ...this.nxEnv(ref) },
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    this.outputs.push(output);
    return { code: r.status ?? 1, output };
  }

  readJson<T = any>(path: string): T {
    return JSON.parse(readFileSync(join(this.dir, path), 'utf8')) as T;
  }

  writeJson(path: string, value: unknown): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), `${JSON.stringify(value, null, 2)}\n`);
  }
}

export { REPO_ROOT };
