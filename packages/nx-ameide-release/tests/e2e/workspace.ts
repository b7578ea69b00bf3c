import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The repository under test (this checkout). */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * What the secret scan after each e2e file reads (tests/e2e/secret-scan.setup.ts): every scratch
 * workspace's outputs and every sandbox secret, captured at start (the files go with the sandbox).
 */
export const scanned = { workspaces: [] as { outputs: string[] }[], secrets: {} as Record<string, string> };

export interface NxRun {
  code: number;
  output: string; // stdout + stderr, interleaved as lines arrive is not needed: concatenated
}

/**
 * A scratch clone of HEAD with its own node_modules (pnpm, offline from the store the set-up filled),
 * where the e2e tests make commits and tags without touching this checkout.
 */
export class ScratchWorkspace {
  readonly dir: string;
  readonly outputs: string[] = [];

  constructor(
    readonly env: Record<string, string>,
    source = REPO_ROOT,
    rev?: string,
  ) {
    scanned.workspaces.push(this);
    this.dir = join(mkdtempSync(join(tmpdir(), 'ameide-e2e-')), 'ws');
    execFileSync('git', ['clone', '-q', '--no-local', source, this.dir]);
    this.git('checkout', '-q', '-B', 'main', ...(rev ? [rev] : []));
    this.git('remote', 'remove', 'origin');
    execFileSync('pnpm', ['install', '--frozen-lockfile', '--offline', '--silent'], { cwd: this.dir, stdio: 'inherit' });
  }

  git(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@localhost', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@localhost' },
    }).trim();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }

  /** A new commit touching every package (so every project is affected), `secondsLater` after HEAD's commit time. */
  commit(message: string, secondsLater = 60): string {
    const headTime = Number(this.git('log', '-1', '--format=%ct'));
    const when = `${headTime + secondsLater} +0000`;
    const file = join(this.dir, 'packages', 'configuration', 'CHANGELOG.e2e.md');
    writeFileSync(file, `${existsSync(file) ? readFileSync(file, 'utf8') : ''}${message}\n`);
    this.git('add', '-A');
    execFileSync('git', ['commit', '-q', '-m', message], {
      cwd: this.dir,
      env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@localhost', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@localhost', GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when },
    });
    return this.head();
  }

  tag(tag: string): void {
    this.git('tag', '-a', tag, '-m', `Release ${tag}`);
  }

  /** `nx run-many -t <targets>` with GITHUB_REF=<ref>, sequential, plain output. */
  nx(ref: string, targets: string[], extra: string[] = [], env: Record<string, string> = {}): NxRun {
    const r = spawnSync(
      join(this.dir, 'node_modules', '.bin', 'nx'),
      ['run-many', '-t', ...targets, '--parallel=1', '--outputStyle=static', ...extra],
      {
        cwd: this.dir,
        encoding: 'utf8',
        env: { ...process.env, ...this.env, GITHUB_REF: ref, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    this.outputs.push(output);
    return { code: r.status ?? 1, output };
  }

  /** Any other nx command; returns stdout, throws on failure. */
  nxCommand(args: string[]): string {
    return execFileSync(join(this.dir, 'node_modules', '.bin', 'nx'), args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, ...this.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    });
  }

  readJson<T = any>(path: string): T {
    return JSON.parse(readFileSync(join(this.dir, path), 'utf8')) as T;
  }
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const sandbox = require(join(REPO_ROOT, 'tools', 'sandbox', 'sandbox.js'));
// eslint-disable-next-line @typescript-eslint/no-var-requires
const secretScan = require(join(REPO_ROOT, 'tools', 'drills', 'secret-scan.js'));

/**
 * Starts the sandbox registries (the default services, or `services`) and returns the environment a release in a scratch clone runs with:
 * the sandbox's variables, Go's bin (cosign) and node on PATH, and this checkout's Python tools
 * (the scratch clone has no .venv of its own).
 */
export async function sandboxEnv(services?: string[]): Promise<Record<string, string>> {
  const goBin = `${execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim()}/bin`;
  const env: Record<string, string> = await sandbox.up({ root: REPO_ROOT, ...(services ? { services } : {}) });
  const n = Object.keys(scanned.secrets).length;
  for (const [k, v] of Object.entries(secretScan.sandboxSecrets(env) as Record<string, string>)) scanned.secrets[`${k} (sandbox ${n})`] = v;
  return {
    ...env,
    PATH: `${goBin}:${dirname(process.execPath)}:${process.env.PATH}`,
    AMEIDE_UV: join(REPO_ROOT, '.venv', 'bin', 'uv'),
    AMEIDE_PYTHON: join(REPO_ROOT, '.venv', 'bin', 'python'),
  };
}

/** Every pid under `root` (from /proc), deepest first: the nx run and the task processes it forked. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) walk(c);
    out.push(p);
  };
  walk(root);
  return out;
}
