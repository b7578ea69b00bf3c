import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

/**
 * A real kube-apiserver (+ etcd) with the Argo CD Application CRD, started by the sandbox's own
 * code (tools/sandbox/kube.js) for one test file and stopped after it.
 *
 * The feature runs as the real CLI in a child process (bin/nx-ameide-release.js, compiled CommonJS,
 * which loads @kubernetes/client-node, an ES-modules-only package jest cannot load in-process).
 * The tests' own reads and writes (creating Applications, reading spec.syncPolicy as the server
 * sends it) are plain HTTPS requests with the admin token: the bytes the server sends, no client
 * in between.
 */

const REPO_ROOT = join(__dirname, '..', '..', '..', '..', '..');
export const PKG = join(REPO_ROOT, 'packages', 'nx-ameide-release');
const BIN = join(PKG, 'bin', 'nx-ameide-release.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const sandbox = require(join(REPO_ROOT, 'tools', 'sandbox', 'sandbox.js'));

export interface Reply {
  status: number;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface KubeFixture {
  env: Record<string, string>;
  server: string;
  namespace: string;
  /** The handoff user's kubeconfig (get/list/patch on applications). */
  kubeconfig: string;
  viewerKubeconfig: string;
  adminKubeconfig: string;
  /** The admin token, for the tests' leak checks. */
  adminToken: string;
  tokens: string[];
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<Reply>;
  stop(): Promise<void>;
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority': string } }[];
  users: { user: { token: string } }[];
}

export async function startKube(): Promise<KubeFixture> {
  const env: Record<string, string> = await sandbox.up({ services: ['kube'] });
  const admin = JSON.parse(readFileSync(env.SANDBOX_KUBE_ADMIN_KUBECONFIG, 'utf8')) as Kubeconfig;
  const tokenOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as Kubeconfig).users[0].user.token;
  const ca = readFileSync(admin.clusters[0].cluster['certificate-authority']);
  const token = admin.users[0].user.token;
  const server = env.SANDBOX_KUBE_SERVER;
  const api = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
    new Promise<Reply>((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        `${server}${path}`,
        { method, ca, agent: false, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = null;
            try {
              json = JSON.parse(text);
            } catch {}
            resolve({ status: res.statusCode ?? 0, text, json });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return {
    env,
    server,
    namespace: env.SANDBOX_ARGOCD_NAMESPACE,
    kubeconfig: env.KUBECONFIG,
    viewerKubeconfig: env.SANDBOX_KUBE_VIEWER_KUBECONFIG,
    adminKubeconfig: env.SANDBOX_KUBE_ADMIN_KUBECONFIG,
    adminToken: token,
    tokens: [env.KUBECONFIG, env.SANDBOX_KUBE_VIEWER_KUBECONFIG, env.SANDBOX_KUBE_ADMIN_KUBECONFIG].map(tokenOf),
    api,
    stop: async () => {
      await sandbox.down(env);
    },
  };
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

/** The CLI as a user runs it: its own Node process, compiled JavaScript, KUBECONFIG from the env. */
export function spawnCli(args: string[], env: Record<string, string | undefined>): ChildProcess & { result: Promise<Run>; output: () => string } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: PKG, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const result = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err, ms: Date.now() - t0 })));
  return Object.assign(child, { result, output: () => out + err });
}

export const runCli = (args: string[], env: Record<string, string | undefined>): Promise<Run> => spawnCli(args, env).result;

/** Resolves when the child's stdout contains `text` (or rejects when it exits first). */
export function waitForOutput(child: ReturnType<typeof spawnCli>, text: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs}ms; got: ${child.output()}`)), timeoutMs);
    const check = () => {
      if (child.output().includes(text)) {
        clearTimeout(deadline);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('close', () => {
      clearTimeout(deadline);
      if (!child.output().includes(text)) reject(new Error(`exited before "${text}": ${child.output()}`));
    });
    check();
  });
}
