import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from '../../../exec';

/**
 * A real `docker-registry serve` (distribution 2.8) on 127.0.0.1 for tests: a free port, a temp
 * config and storage dir, killed and removed by stop(). Auth: none, htpasswd (bcrypt line from
 * tools/sandbox/htpasswd.py), or distribution's `auth: token`.
 */

export type RegistryAuthConfig =
  | { kind: 'none' }
  | { kind: 'htpasswd'; username: string; password: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface RegistryFixture {
  host: string; // 127.0.0.1:<port>
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const REPO_ROOT = join(__dirname, '../../../../../..');
const VENV_PYTHON = join(REPO_ROOT, '.venv/bin/python');
const HTPASSWD_PY = join(REPO_ROOT, 'tools/sandbox/htpasswd.py');

/**
 * A bcrypt htpasswd line, made the one way the sandbox makes them too: tools/sandbox/htpasswd.py
 * with the workspace venv's python, whose `bcrypt` package tools/setup.sh installs and checks.
 */
export async function htpasswdLine(username: string, password: string): Promise<string> {
  const res = await runOrThrow({ command: VENV_PYTHON, args: [HTPASSWD_PY, '-', username, 'bcrypt'], input: password });
  return res.stdout.trim();
}

async function waitReady(host: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer on ${host}:\n${log()}`);
}

export async function startRegistry(opts: { auth?: RegistryAuthConfig; relativeUrls?: boolean; bin?: string } = {}): Promise<RegistryFixture> {
  const auth = opts.auth ?? { kind: 'none' };
  const dir = mkdtempSync(join(tmpdir(), 'oci-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let authYaml = '';
  if (auth.kind === 'htpasswd') {
    writeFileSync(join(dir, 'htpasswd'), `${await htpasswdLine(auth.username, auth.password)}\n`, { mode: 0o600 });
    authYaml = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth.kind === 'token') {
    authYaml =
      `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n` +
      `    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootCertBundle}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: ${host}\n  relativeurls: ${opts.relativeUrls ? 'true' : 'false'}\n` +
    authYaml;
  writeFileSync(join(dir, 'config.yml'), config);
  const child = spawn(opts.bin ?? 'docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null) {
      // a throw-away registry: no graceful drain needed (SIGTERM waits seconds on idle connections)
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(host, child, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { host, port, dir, stop };
}
