import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A real Verdaccio 5 on loopback for tests: temp storage, htpasswd auth, no uplinks (never
 * reaches a public registry), a user with a token. `stop()` / `start()` keep port and storage,
 * so a test can take the registry down mid-run and bring it back. Always `dispose()` (afterAll).
 */
export interface VerdaccioFixture {
  url: string; // http://127.0.0.1:<port>/
  port: number;
  token: string;
  user: string;
  dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
  /** Everything the plugin reads (npmRegistry(env)). */
  env(): Record<string, string>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

function findVerdaccioBin(from = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    const bin = join(dir, 'node_modules', '.bin', 'verdaccio');
    if (existsSync(bin)) return bin;
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('node_modules/.bin/verdaccio not found (it is a devDependency of the workspace root)');
    dir = up;
  }
}

export function verdaccioConfig(dir: string, port: number): string {
  return [
    `storage: ${join(dir, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(dir, 'htpasswd')}`,
    '    max_users: 100',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    'server:',
    '  keepAliveTimeout: 0',
    `listen: 127.0.0.1:${port}`,
    'logs: { type: stdout, format: pretty, level: warn }',
    'publish:',
    '  allow_offline: true',
    '',
  ].join('\n');
}

async function waitForPing(url: string, child: ChildProcess, output: () => string, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}) before it answered:\n${output()}`);
    try {
      const res = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`verdaccio did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

export async function startVerdaccio(opts: { user?: string; password?: string } = {}): Promise<VerdaccioFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ameide-verdaccio-'));
  mkdirSync(join(dir, 'storage'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, 'config.yaml');
  writeFileSync(config, verdaccioConfig(dir, port));
  const bin = findVerdaccioBin();
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    log = '';
    child = spawn(bin, ['--config', config, '--listen', `127.0.0.1:${port}`], {
      cwd: dir,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (log = (log + d).slice(-4000)));
    child.stderr?.on('data', (d) => (log = (log + d).slice(-4000)));
    await waitForPing(url, child, () => log);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode) return;
    await new Promise<void>((res) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => {
        clearTimeout(t);
        res();
      });
      c.kill('SIGTERM');
    });
  };

  await start();
  const user = opts.user ?? 'ameide-ci';
  const password = opts.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  let token: string;
  try {
    const res = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: user, password }),
    });
    const body = (await res.json()) as { token?: string };
    if (!res.ok || !body.token) throw new Error(`creating user ${user} failed: HTTP ${res.status} ${JSON.stringify(body)}`);
    token = body.token;
  } catch (e) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    url,
    port,
    token,
    user,
    dir,
    start,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    env: () => ({ AMEIDE_NPM_REGISTRY: url, NPM_TOKEN: token }),
  };
}
