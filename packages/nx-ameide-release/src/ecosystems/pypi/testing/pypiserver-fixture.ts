import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from '../../../exec';

/**
 * A real pypiserver on 127.0.0.1 for tests and the sandbox: uploads need a password
 * (htpasswd written by tools/sandbox/htpasswd.py), reads are anonymous (`-a update`), no fallback to the
 * public index. stop() / start() keep the port and the package dir, so a test can take the
 * registry down mid-run and bring it back.
 *
 *   const pypi = await startPypiServer({ venv: '/work/main/.venv' });
 *   process.env = { ...process.env, ...pypi.env };  // AMEIDE_PYPI_* + PYPI_USERNAME/PASSWORD
 *   ...
 *   await pypi.close();
 */
export interface PypiServer {
  port: number;
  /** http://127.0.0.1:<port>/ (also the upload URL) */
  url: string;
  simpleUrl: string;
  uploadUrl: string;
  username: string;
  password: string;
  packagesDir: string;
  /** The variables registries.ts reads: AMEIDE_PYPI_UPLOAD_URL, AMEIDE_PYPI_INDEX_URL, PYPI_USERNAME, PYPI_PASSWORD. */
  env: Record<string, string>;
  /** Everything the server printed (for assertions that no secret leaks, and for debugging). */
  output(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stop() and delete the temp dir. */
  close(): Promise<void>;
}

export interface PypiServerOptions {
  /** venv holding pypi-server and passlib (default <cwd>/.venv, or AMEIDE_PYPI_SERVER_VENV). */
  venv?: string;
  username?: string;
  password?: string;
  port?: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The one htpasswd writer of the repository (the sandbox uses it too): apr1, which pypiserver checks with passlib. */
const HTPASSWD_PY = join(__dirname, '../../../../../../tools/sandbox/htpasswd.py');

async function waitHealthy(url: string, child: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pypi-server exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`pypi-server did not become healthy at ${url} within ${timeoutMs} ms:\n${log()}`);
}

export async function startPypiServer(opts: PypiServerOptions = {}): Promise<PypiServer> {
  const venv = opts.venv ?? process.env.AMEIDE_PYPI_SERVER_VENV ?? join(process.cwd(), '.venv');
  const username = opts.username ?? 'ci-uploader';
  const password = opts.password ?? `pw-${randomBytes(12).toString('hex')}`;
  const root = mkdtempSync(join(tmpdir(), 'ameide-pypiserver-'));
  const packagesDir = join(root, 'packages');
  const htpasswd = join(root, 'htpasswd');
  mkdirSync(packagesDir);
  // Password on stdin, never in argv.
  await runOrThrow({ command: join(venv, 'bin', 'python'), args: [HTPASSWD_PY, htpasswd, username, 'apr1'], input: password });
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}/`;
  let child: ChildProcess | null = null;
  let out = '';

  const start = async () => {
    if (child && child.exitCode === null) return;
    const c = spawn(
      join(venv, 'bin', 'pypi-server'),
      ['run', '-i', '127.0.0.1', '-p', String(port), '-P', htpasswd, '-a', 'update', '--disable-fallback', '--hash-algo', 'sha256', packagesDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child = c;
    await waitHealthy(url, c, () => out);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill('SIGTERM');
    });
  };

  await start();
  return {
    port,
    url,
    simpleUrl: `${url}simple/`,
    uploadUrl: url,
    username,
    password,
    packagesDir,
    env: { AMEIDE_PYPI_UPLOAD_URL: url, AMEIDE_PYPI_INDEX_URL: `${url}simple/`, PYPI_USERNAME: username, PYPI_PASSWORD: password },
    output: () => out,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
