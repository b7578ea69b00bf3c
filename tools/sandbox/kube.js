#!/usr/bin/env node
'use strict';
/**
 * The sandbox's Kubernetes API: etcd (Debian's etcd-server) + kube-apiserver (built by tools/setup.sh
 * from the Go module proxy) on loopback, with the Argo CD Application CRD applied. No kubelet, no
 * controllers, no Argo CD: the handoff's contract is the Application object itself (docs/inner-loop.md).
 *
 *   tokens   admin (system:masters), handoff (a Role: get/list/watch/patch/update on applications in
 *            the argocd namespace: what `argocd pause|resume|hold|status` needs) and viewer (the same
 *            Role without patch/update: for the RBAC-refusal test). Tokens are only in the token file
 *            and the kubeconfig files, all 0600 in the sandbox's data folder.
 *   env      KUBECONFIG (the handoff user's kubeconfig), SANDBOX_KUBE_SERVER, SANDBOX_KUBE_ADMIN_KUBECONFIG,
 *            SANDBOX_KUBE_VIEWER_KUBECONFIG, SANDBOX_ARGOCD_NAMESPACE: paths and URLs, no secret.
 *
 * Used by sandbox.js (service `kube`). The objects (namespace, CRD, RBAC) are applied with the Kubernetes
 * client library in a child process (`node kube.js configure <dir>`): the library is ES modules only, and
 * jest, which requires sandbox.js in-process, cannot load it.
 *
 * CLI: node tools/sandbox/kube.js paths            what tools/setup.sh builds and records (JSON)
 *      node tools/sandbox/kube.js configure <dir>  (internal) apply the objects to a started server
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');

const HOST = '127.0.0.1';
/** The versions the set-up builds/fetches; kept here once, tools/setup.sh asks `kube.js paths`. */
const KUBE_VERSION = 'v1.34.4';
const ARGOCD_VERSION = 'v3.6.2';
const ARGOCD_MODULE = 'github.com/argoproj/argo-cd/v3';
const CRD_FILE = 'manifests/crds/application-crd.yaml';
const NAMESPACE = 'argocd';
const USERS = { admin: 'sandbox-admin', handoff: 'handoff-dev', viewer: 'handoff-viewer' };
const FIELD_MANAGER = 'ameide-sandbox';

function cacheDir() {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ameide');
}

function goBin() {
  const r = spawnSync('go', ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' });
  if (r.status !== 0) return path.join(os.homedir(), 'go', 'bin');
  const [gobin, gopath] = r.stdout.split('\n');
  return gobin.trim() || path.join(gopath.trim().split(path.delimiter)[0], 'bin');
}

/** Where the set-up puts things: the generated main module, the binary, the file recording the CRD's path. */
function paths() {
  return {
    kubeVersion: KUBE_VERSION,
    argocdVersion: ARGOCD_VERSION,
    argocdModule: ARGOCD_MODULE,
    crdFile: CRD_FILE,
    moduleDir: path.join(cacheDir(), `kube-apiserver-${KUBE_VERSION}`),
    apiserver: path.join(goBin(), 'kube-apiserver'),
    crdRecord: path.join(cacheDir(), `argocd-${ARGOCD_VERSION}-application-crd.path`),
  };
}

class KubeSandboxError extends Error {
  constructor(what, fix) {
    super(fix ? `${what}\n  fix: ${fix}` : what);
    this.name = 'SandboxError';
  }
}

function findEtcd() {
  for (const p of [process.env.SANDBOX_ETCD, '/usr/bin/etcd', ...(process.env.PATH || '').split(':').map((d) => path.join(d, 'etcd'))]) {
    if (p && fs.existsSync(p)) return p;
  }
  throw new KubeSandboxError('etcd is not installed', 'run `bash tools/setup.sh` (apt-get install etcd-server)');
}

function findApiserver() {
  const p = process.env.SANDBOX_KUBE_APISERVER || paths().apiserver;
  if (!fs.existsSync(p)) throw new KubeSandboxError(`kube-apiserver is not at ${p}`, 'run `bash tools/setup.sh` (builds kube-apiserver from the Go module proxy, ~10 min once)');
  return p;
}

function crdPath() {
  const { crdRecord } = paths();
  let p = '';
  try {
    p = fs.readFileSync(crdRecord, 'utf8').trim();
  } catch {}
  if (!p || !fs.existsSync(p)) throw new KubeSandboxError(`the Argo CD Application CRD is not recorded in ${crdRecord}`, 'run `bash tools/setup.sh` (go mod download of the Argo CD module)');
  return p;
}

/** GET over TLS without verifying the self-signed serving cert: only a readiness probe, no credentials sent. */
function probe(url, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

function kubeconfigText(server, ca, user, token) {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'ameide-sandbox', cluster: { server, 'certificate-authority': ca } }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: user, context: { cluster: 'ameide-sandbox', user, namespace: NAMESPACE } }],
      'current-context': user,
    },
    null,
    2,
  );
}

/**
 * Start etcd and kube-apiserver in <dir>/kube, wait for /readyz, apply namespace + CRD + RBAC.
 * `h` is sandbox.js's helpers: { freePort, portFree, sleep, tailLog, killGroup }; `svc` the state's record
 * of the service, filled as processes start (so a failed start can still be stopped).
 */
async function start(ctx, h, timeoutMs, svc = {}) {
  const etcdBin = findEtcd();
  const apiserverBin = findApiserver();
  const crd = crdPath();
  const base = path.join(ctx.dir, 'kube');
  Object.assign(svc, { base, namespace: NAMESPACE, crd }); // the caller's object: pids are recorded as they exist
  fs.mkdirSync(path.join(base, 'certs'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(ctx.dir, 'logs'), { recursive: true });
  svc.etcdPort = await h.freePort();
  svc.etcdPeerPort = await h.freePort();
  svc.port = await h.freePort();
  svc.server = `https://${HOST}:${svc.port}`;

  // Service-account key pair (kube-apiserver requires one), made by openssl.
  const saKey = path.join(base, 'sa.key');
  const saPub = path.join(base, 'sa.pub');
  for (const args of [['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', saKey], ['pkey', '-in', saKey, '-pubout', '-out', saPub]]) {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new KubeSandboxError(`openssl ${args[0]} failed: ${(r.stderr || r.error?.message || '').trim()}`, 'install openssl (Debian: apt-get install openssl)');
  }
  fs.chmodSync(saKey, 0o600);

  const tokens = Object.fromEntries(Object.keys(USERS).map((k) => [k, crypto.randomBytes(24).toString('base64url')]));
  const tokenFile = path.join(base, 'tokens.csv');
  fs.writeFileSync(
    tokenFile,
    [`${tokens.admin},${USERS.admin},uid-admin,"system:masters"`, `${tokens.handoff},${USERS.handoff},uid-handoff`, `${tokens.viewer},${USERS.viewer},uid-viewer`, ''].join('\n'),
    { mode: 0o600 },
  );
  const certDir = path.join(base, 'certs');

  const launch = (name, command, args) => {
    const log = path.join(ctx.dir, 'logs', `${name}.log`);
    const fd = fs.openSync(log, 'a');
    const child = spawn(command, args, { cwd: ctx.dir, detached: true, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const proc = { pid: child.pid, log, exited: null };
    child.on('exit', (code, signal) => (proc.exited = signal || `exit ${code}`));
    child.on('error', (e) => (proc.exited = e.message));
    child.unref();
    return proc;
  };
  const waitFor = async (name, proc, ready) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exited) throw new KubeSandboxError(`${name} stopped at start (${proc.exited}); log ${proc.log}:\n${h.tailLog(proc.log)}`, 'bash tools/setup.sh, then retry');
      if (await ready()) return;
      if (Date.now() > deadline) throw new KubeSandboxError(`${name} was not ready within ${timeoutMs / 1000}s; log ${proc.log}:\n${h.tailLog(proc.log)}`, 'the machine may be overloaded: retry, or raise SANDBOX_START_TIMEOUT (seconds)');
      await h.sleep(250);
    }
  };

  const peer = `http://${HOST}:${svc.etcdPeerPort}`;
  const client = `http://${HOST}:${svc.etcdPort}`;
  const etcd = launch('etcd', etcdBin, [
    '--name', 'sandbox', '--data-dir', path.join(base, 'etcd'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `sandbox=${peer}`,
  ]);
  svc.etcdPid = etcd.pid;
  svc.etcdLog = etcd.log;
  await waitFor('etcd', etcd, async () => {
    const http = require('node:http');
    return new Promise((resolve) => {
      const req = http.get(`${client}/health`, { agent: false, timeout: 1000 }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(/"health":\s*"true"/.test(b)));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
  });

  const apiserver = launch('kube-apiserver', apiserverBin, [
    `--etcd-servers=${client}`,
    `--bind-address=${HOST}`, `--advertise-address=${HOST}`, `--secure-port=${svc.port}`,
    `--cert-dir=${certDir}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${saPub}`, `--service-account-signing-key-file=${saKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/24',
    '--profiling=false',
  ]);
  svc.apiserverPid = apiserver.pid;
  svc.apiserverLog = apiserver.log;
  await waitFor('kube-apiserver', apiserver, async () => (await probe(`${svc.server}/readyz`)).body === 'ok');

  // The serving cert kube-apiserver made for itself (valid for 127.0.0.1) is the kubeconfigs' CA.
  const ca = path.join(certDir, 'apiserver.crt');
  for (const role of Object.keys(USERS)) {
    svc[`${role}Kubeconfig`] = path.join(base, `${role}.kubeconfig`);
    fs.writeFileSync(svc[`${role}Kubeconfig`], kubeconfigText(svc.server, ca, USERS[role], tokens[role]) + '\n', { mode: 0o600 });
  }
  fs.writeFileSync(path.join(base, 'configure.json'), JSON.stringify({ kubeconfig: svc.adminKubeconfig, crd, namespace: NAMESPACE, users: USERS }) + '\n');
  const r = spawnSync(process.execPath, [__filename, 'configure', base], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new KubeSandboxError(`applying the namespace, CRD and RBAC failed: ${(r.stderr || r.error?.message || '').trim()}`, `see ${svc.apiserverLog}`);
  svc.applied = r.stdout.trim();
  return svc;
}

async function stop(svc, dir, h) {
  // The API server first, so it does not log etcd's going away at length.
  await h.killGroup(svc.apiserverPid, dir);
  await h.killGroup(svc.etcdPid, dir);
}

async function status(svc) {
  const r = await probe(`${svc.server}/readyz`);
  return { up: r.body === 'ok', url: svc.server, pid: svc.apiserverPid };
}

function env(svc) {
  return {
    KUBECONFIG: svc.handoffKubeconfig,
    SANDBOX_KUBE_SERVER: svc.server,
    SANDBOX_KUBE_ADMIN_KUBECONFIG: svc.adminKubeconfig,
    SANDBOX_KUBE_VIEWER_KUBECONFIG: svc.viewerKubeconfig,
    SANDBOX_ARGOCD_NAMESPACE: svc.namespace,
  };
}

// ---------------------------------------------------------------- configure (child process, ESM client)

async function configure(base) {
  // The plugin's own dependencies (pnpm keeps them under its folder, not at the workspace root).
  const from = { paths: [path.join(__dirname, '..', '..', 'packages', 'nx-ameide-release')] };
  const k8s = await import(require('node:url').pathToFileURL(require.resolve('@kubernetes/client-node', from)).href);
  const yaml = require(require.resolve('yaml', from));
  const cfg = JSON.parse(fs.readFileSync(path.join(base, 'configure.json'), 'utf8'));
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cfg.kubeconfig);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const apply = (obj) => objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
  const rules = (verbs) => [{ apiGroups: ['argoproj.io'], resources: ['applications'], verbs }];
  const role = (name, verbs, user) => [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: cfg.namespace }, rules: rules(verbs) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: cfg.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  ];
  const crd = yaml.parse(fs.readFileSync(cfg.crd, 'utf8'));
  const done = [];
  // The default service account controller is not running: a namespace is all the API needs.
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: cfg.namespace } });
  done.push(`namespace/${cfg.namespace}`);
  await apply(crd);
  done.push(`crd/${crd.metadata.name}`);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const deadline = Date.now() + 30000;
  for (;;) {
    const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
    if ((got.status?.conditions || []).some((c) => c.type === 'Established' && c.status === 'True')) break;
    if (Date.now() > deadline) throw new Error(`${crd.metadata.name} not Established within 30s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const obj of [
    ...role('argocd-handoff', ['get', 'list', 'watch', 'patch', 'update'], cfg.users.handoff),
    ...role('argocd-viewer', ['get', 'list', 'watch'], cfg.users.viewer),
  ]) {
    await apply(obj);
    done.push(`${obj.kind.toLowerCase()}/${obj.metadata.name}`);
  }
  return done;
}

module.exports = { start, stop, status, env, paths, KUBE_VERSION, ARGOCD_VERSION, NAMESPACE, USERS };

if (require.main === module) {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'paths') {
    process.stdout.write(JSON.stringify(paths(), null, 2) + '\n');
  } else if (cmd === 'configure' && arg) {
    configure(arg).then(
      (done) => process.stdout.write(`applied ${done.join(', ')}\n`),
      (e) => {
        const body = e && e.body ? ` ${typeof e.body === 'string' ? e.body : JSON.stringify(e.body)}` : '';
        process.stderr.write(`${(e && e.message) || e}${body}\n`);
        process.exit(1);
      },
    );
  } else {
    process.stderr.write('usage: kube.js paths | configure <dir>\n');
    process.exit(2);
  }
}
