#!/usr/bin/env node
'use strict';
/**
 * Local registries on loopback, for the demo (`pnpm sandbox:up`) and the e2e tests.
 *
 *   npm     Verdaccio 5.33 (node_modules), htpasswd auth, no uplinks: nothing ever reaches npmjs
 *   pypi    pypiserver (.venv), uploads need htpasswd auth, no fallback to pypi.org
 *   oci     docker-registry (distribution 2.8), no auth, deletes enabled
 *   ociAuth docker-registry with htpasswd (bcrypt) auth, for credential tests
 *   go      a bare git repo that https://github.com/ameideio/ameide-sdk-go is redirected to
 *           through GIT_CONFIG_* variables (never the user's git config)
 *   cosign  a key pair with a random password
 *   ociV3, ociReferrers, oidc, fulcio  distribution v3, a registry with the OCI referrers API, a
 *           GitHub-shaped OIDC issuer and a real Fulcio with a file CA, for cosign v3 and keyless
 *           signing: tools/sandbox/sigstore.js
 *   nxCache an Nx remote cache (Nx's self-hosted OpenAPI protocol: PUT/GET /v1/cache/{hash}) served
 *           by nginx's DAV module (Debian), bearer tokens: one read-write, one read-only; an entry
 *           is never overwritten (409). Not started by default: --services ...,nxCache
 *   kube    etcd + kube-apiserver with the Argo CD Application CRD (tools/sandbox/kube.js). The CLI's
 *           `up` starts it (--no-kube leaves it out); up() only when asked: services [..., 'kube']
 *
 * Data lives in a temp folder outside the workspace. Secrets are files (0600) in it;
 * the env only names their paths (NAME_FILE), so `.sandbox/env` holds no secret.
 *
 * API (CommonJS, for jest):
 *   const sb = require('tools/sandbox/sandbox.js');
 *   const env = await sb.up({ root, dir?, services? });  // env: Record<string,string>
 *   await sb.stopService(env, 'pypi'); await sb.startService(env, 'pypi');  // same port, same data
 *   await sb.down(env);                                   // or down(state) / down(dir)
 *
 * CLI: node tools/sandbox/sandbox.js up|down|status|env|stop <svc>|start <svc> [--dir DIR] [--services a,b]
 *   Without --dir it manages the workspace sandbox recorded in <root>/.sandbox/.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const http = require('node:http');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const sigstore = require('./sigstore');

const HOST = '127.0.0.1';
const MARKER = '.ameide-sandbox';
const GO_MODULE_URL = 'https://github.com/ameideio/ameide-sdk-go';
const NPM_USER = 'ameide';
const PYPI_USER = 'ameide';
const OCI_USER = 'ameide';
const ALL = ['npm', 'pypi', 'oci', 'ociAuth', 'ociV3', 'ociReferrers', 'go', 'cosign', 'oidc', 'fulcio', 'nxCache', 'kube'];
/** What up() starts when no services are named: the registries; the Nx remote cache and Kubernetes are asked for by name. */
const DEFAULT = ALL.filter((s) => s !== 'nxCache' && s !== 'kube');
/** What the CLI's `up` starts: the registries and Kubernetes (`--no-kube`: without it). */
const CLI_DEFAULT = [...DEFAULT, 'kube'];
const kube = require('./kube');
/** The servers, in the order they are prepared (fulcio's config names the oidc issuer). */
const PROCESSES = ['npm', 'pypi', 'oci', 'ociAuth', 'ociV3', 'ociReferrers', 'oidc', 'fulcio', 'nxCache'];

class SandboxError extends Error {
  constructor(what, fix) {
    super(fix ? `${what}\n  fix: ${fix}` : what);
    this.name = 'SandboxError';
  }
}

// ---------------------------------------------------------------- small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const randomSecret = () => crypto.randomBytes(24).toString('base64url');

function writeSecret(dir, name, value) {
  const file = path.join(dir, 'secrets', name);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
}
const readSecretFile = (file) => fs.readFileSync(file, 'utf8').trim();

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run a short helper command synchronously; throws with its output on failure. */
function runSync(command, args, opts = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new SandboxError(`cannot run ${command}: ${r.error.message}`, opts.fix);
  if (r.status !== 0) {
    throw new SandboxError(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${(r.stderr || r.stdout || '').trim()}`, opts.fix);
  }
  return r.stdout;
}

function which(name) {
  for (const d of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

/**
 * One HTTP request without keep-alive (agent: false), so a test process that used the sandbox
 * has no open sockets left to wait for. Resolves { status, body }; status 0 when nothing answers.
 */
function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 3000 } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(body);
  });
}
const httpStatus = async (url) => (await httpRequest(url)).status;

function tailLog(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------- processes

/**
 * Pids in process group `pgid`, provided one of them is ours: its working folder (every server
 * starts in the data dir) or its command line is inside `dir`. So a recycled pid is never killed.
 * (Verdaccio rewrites its process title, so the command line alone does not identify it.)
 */
function groupMembers(pgid, dir) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // fields after the ")" of comm: state ppid pgrp ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) !== pgid || rest[0] === 'Z') continue;
      let cwd = '';
      try {
        cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      } catch {}
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const ours = cwd === dir || cwd.startsWith(dir + path.sep) || cmdline.includes(dir);
      found.push({ pid: Number(entry), ours });
    } catch {}
  }
  return found.some((m) => m.ours) ? found.map((m) => m.pid) : [];
}

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

async function killGroup(pgid, dir, timeoutMs = 5000) {
  if (!pgid || groupMembers(pgid, dir).length === 0) return false;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {}
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (groupMembers(pgid, dir).length === 0) return true;
    await sleep(100);
  }
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {}
  await sleep(100);
  return true;
}

// ---------------------------------------------------------------- services

/**
 * Each server: `prepare` writes its config and secrets once (kept across stop/start),
 * `command` is what runs, `healthy` is the status that says it is ready.
 */
const SERVERS = {
  npm: {
    healthPath: '/-/ping',
    healthy: 200,
    prepare(ctx, svc) {
      const base = path.join(ctx.dir, 'npm');
      fs.mkdirSync(path.join(base, 'storage'), { recursive: true });
      svc.config = path.join(base, 'config.yaml');
      const access = `    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n`;
      fs.writeFileSync(
        svc.config,
        [
          `# Verdaccio for the Ameide sandbox: loopback, no uplinks (never proxies npmjs).`,
          `storage: ${JSON.stringify(path.join(base, 'storage'))}`,
          `auth:`,
          `  htpasswd:`,
          `    file: ${JSON.stringify(path.join(base, 'htpasswd'))}`,
          `    max_users: 100`,
          `uplinks: {}`,
          `packages:`,
          `  '@ameideio/*':`,
          access.trimEnd(),
          `  '**':`,
          access.trimEnd(),
          `listen: ${HOST}:${svc.port}`,
          `web:`,
          `  enable: false`,
          `publish:`,
          `  allow_offline: true`,
          `max_body_size: 200mb`,
          `log: { type: stdout, format: pretty, level: warn }`,
          ``,
        ].join('\n'),
      );
      svc.url = `http://${HOST}:${svc.port}/`;
    },
    command(ctx, svc) {
      let bin;
      try {
        bin = path.join(path.dirname(require.resolve('verdaccio/package.json', { paths: [ctx.root] })), 'bin', 'verdaccio');
      } catch {
        throw new SandboxError(`verdaccio is not installed under ${ctx.root}/node_modules`, 'run `bash tools/setup.sh` (pnpm install)');
      }
      return { command: process.execPath, args: [bin, '--config', svc.config] };
    },
    async afterStart(ctx, svc) {
      if (svc.tokenFile && fs.existsSync(svc.tokenFile)) return; // restarted: user and token persist in storage
      const password = randomSecret();
      const res = await httpRequest(`${svc.url}-/user/org.couchdb.user:${NPM_USER}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ _id: `org.couchdb.user:${NPM_USER}`, name: NPM_USER, password, type: 'user', roles: [], date: new Date().toISOString() }),
        timeoutMs: 15000,
      });
      let body = {};
      try {
        body = JSON.parse(res.body);
      } catch {}
      if (res.status !== 201 || !body.token) {
        throw new SandboxError(`Verdaccio did not create user ${NPM_USER} (HTTP ${res.status}: ${body.error || ''})`, `see ${svc.log}`);
      }
      svc.user = NPM_USER;
      svc.passwordFile = writeSecret(ctx.dir, 'npm-password', password);
      svc.tokenFile = writeSecret(ctx.dir, 'npm-token', body.token);
    },
  },

  pypi: {
    healthPath: '/health',
    healthy: 200,
    prepare(ctx, svc) {
      const base = path.join(ctx.dir, 'pypi');
      svc.packages = path.join(base, 'packages');
      fs.mkdirSync(svc.packages, { recursive: true });
      svc.htpasswd = path.join(base, 'htpasswd');
      const password = randomSecret();
      runSync(pythonFor(ctx), [path.join(__dirname, 'htpasswd.py'), svc.htpasswd, PYPI_USER, 'apr1'], {
        input: password,
        fix: 'run `bash tools/setup.sh` (installs passlib into .venv)',
      });
      svc.user = PYPI_USER;
      svc.passwordFile = writeSecret(ctx.dir, 'pypi-password', password);
      svc.url = `http://${HOST}:${svc.port}/`;
      svc.simpleUrl = `http://${HOST}:${svc.port}/simple/`;
    },
    command(ctx, svc) {
      const bin = path.join(ctx.root, '.venv', 'bin', 'pypi-server');
      if (!fs.existsSync(bin)) throw new SandboxError(`${bin} is missing`, 'run `bash tools/setup.sh` (makes .venv with pypiserver)');
      // -a update: only uploads need a password; --disable-fallback: a missing package is a 404, never a redirect to pypi.org.
      return {
        command: bin,
        args: ['run', '-p', String(svc.port), '-i', HOST, '-a', 'update', '-P', svc.htpasswd, '--disable-fallback', '--hash-algo', 'sha256', svc.packages],
      };
    },
  },

  oci: {
    healthPath: '/v2/',
    healthy: 200,
    prepare(ctx, svc) {
      registryConfig(ctx, svc, 'oci', null);
    },
    command: (ctx, svc) => registryCommand(svc),
  },

  ociAuth: {
    healthPath: '/v2/',
    healthy: 401, // answers, and refuses anonymous access
    prepare(ctx, svc) {
      const htpasswd = path.join(ctx.dir, 'oci-auth', 'htpasswd');
      fs.mkdirSync(path.dirname(htpasswd), { recursive: true });
      const password = randomSecret();
      runSync(pythonFor(ctx), [path.join(__dirname, 'htpasswd.py'), htpasswd, OCI_USER, 'bcrypt'], { input: password });
      svc.user = OCI_USER;
      svc.passwordFile = writeSecret(ctx.dir, 'oci-auth-password', password);
      registryConfig(ctx, svc, 'oci-auth', htpasswd);
    },
    command: (ctx, svc) => registryCommand(svc),
  },
};

SERVERS.nxCache = {
  healthPath: '/health',
  healthy: 200,
  prepare(ctx, svc) {
    const base = path.join(ctx.dir, 'nx-cache');
    svc.storage = path.join(base, 'storage');
    for (const d of [svc.storage, path.join(base, 'tmp')]) fs.mkdirSync(d, { recursive: true });
    // Nx sends `Authorization: Bearer <NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN>`. The read-write token is
    // for trusted pipelines (main, tags); the read-only one for everything else (pull requests).
    const write = randomSecret();
    const read = randomSecret();
    svc.tokenFile = writeSecret(ctx.dir, 'nx-cache-token', write);
    svc.readTokenFile = writeSecret(ctx.dir, 'nx-cache-read-token', read);
    svc.accessLog = path.join(base, 'access.log');
    svc.config = path.join(base, 'nginx.conf');
    const tmp = (n) => `${n}_temp_path ${JSON.stringify(path.join(base, 'tmp', n))};`;
    fs.writeFileSync(
      svc.config,
      [
        `# nginx as the Nx remote cache of the Ameide sandbox (loopback). The protocol is Nx's self-hosted`,
        `# cache OpenAPI spec: PUT/GET /v1/cache/{hash}, tar bodies, bearer token; 401 without a valid`,
        `# token, 403 for a write with a read-only token, 404 on a miss, 409 for a hash already stored.`,
        `daemon off;`,
        ...(process.getuid && process.getuid() === 0 ? ['user root root;'] : []), // workers write the data dir (0700)
        `worker_processes 1;`,
        `pid ${JSON.stringify(path.join(base, 'nginx.pid'))};`,
        `error_log ${JSON.stringify(path.join(base, 'error.log'))} warn;`,
        `events { worker_connections 256; }`,
        `http {`,
        `  log_format nxcache '$time_iso8601 $request_method $uri $status $body_bytes_sent $request_length';`,
        `  access_log ${JSON.stringify(svc.accessLog)} nxcache;`,
        `  ${tmp('client_body')} ${tmp('proxy')} ${tmp('fastcgi')} ${tmp('uwsgi')} ${tmp('scgi')}`,
        `  client_max_body_size 2g;`,
        `  default_type application/octet-stream;`,
        `  map $http_authorization $nx_cache_access {`,
        `    default none;`,
        `    "Bearer ${write}" write;`,
        `    "Bearer ${read}" read;`,
        `  }`,
        `  server {`,
        `    listen ${HOST}:${svc.port};`,
        `    root ${JSON.stringify(svc.storage)};`,
        `    location = /health { default_type text/plain; return 200 "ok\\n"; }`,
        `    location ~ "^/v1/cache/[A-Za-z0-9_-]{1,128}$" {`,
        `      if ($nx_cache_access = none) { return 401 "Missing or invalid authentication token.\\n"; }`,
        `      set $nx_write "$request_method:$nx_cache_access";`,
        `      if ($nx_write = "PUT:read") { return 403 "Access forbidden: this token is read-only.\\n"; }`,
        `      set $nx_put "$request_method";`,
        `      if (-f $request_filename) { set $nx_put "$request_method:stored"; }`,
        `      if ($nx_put = "PUT:stored") { return 409 "Cannot override an existing record.\\n"; }`,
        `      limit_except GET PUT { deny all; }`,
        `      dav_methods PUT;`,
        `      create_full_put_path on;`,
        `      dav_access user:rw;`,
        `    }`,
        `    location / { return 404; }`,
        `  }`,
        `}`,
        ``,
      ].join('\n'),
      { mode: 0o600 },
    );
    svc.url = `http://${HOST}:${svc.port}`;
  },
  command(ctx, svc) {
    const bin = which('nginx') || '/usr/sbin/nginx';
    if (!fs.existsSync(bin)) throw new SandboxError('nginx is not installed', 'run `bash tools/setup.sh` (apt-get install nginx-core)');
    // -e: the error log from the first line on (never /var/log/nginx); -p: no system prefix.
    return { command: bin, args: ['-p', path.dirname(svc.config), '-c', svc.config, '-e', path.join(path.dirname(svc.config), 'error.log')] };
  },
};

Object.assign(SERVERS, sigstore.SERVERS);

function pythonFor(ctx) {
  const venv = path.join(ctx.root, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

function registryConfig(ctx, svc, name, htpasswd) {
  const base = path.join(ctx.dir, name);
  fs.mkdirSync(path.join(base, 'storage'), { recursive: true });
  svc.config = path.join(base, 'config.yml');
  const lines = [
    `# distribution 2.8 for the Ameide sandbox: plain http on loopback (skopeo --tls-verify=false).`,
    `version: 0.1`,
    `log:`,
    `  level: warn`,
    `  accesslog:`,
    `    disabled: true`,
    `storage:`,
    `  filesystem:`,
    `    rootdirectory: ${JSON.stringify(path.join(base, 'storage'))}`,
    `  delete:`,
    `    enabled: true`,
    `http:`,
    `  addr: ${HOST}:${svc.port}`,
    `  secret: ${randomSecret()}`,
  ];
  if (htpasswd) lines.push(`auth:`, `  htpasswd:`, `    realm: ameide-sandbox`, `    path: ${JSON.stringify(htpasswd)}`);
  fs.writeFileSync(svc.config, lines.join('\n') + '\n', { mode: 0o600 });
  svc.registry = `${HOST}:${svc.port}`;
  svc.url = `http://${svc.registry}/`;
}

function registryCommand(svc) {
  const bin = which('docker-registry') || '/usr/bin/docker-registry';
  if (!fs.existsSync(bin)) throw new SandboxError('docker-registry is not installed', 'run `bash tools/setup.sh` (apt-get install docker-registry)');
  return { command: bin, args: ['serve', svc.config] };
}

/** Start one server process (detached, own process group) and wait until it answers. */
async function spawnServer(ctx, name, svc, timeoutMs) {
  const def = SERVERS[name];
  const { command, args } = def.command(ctx, svc);
  if (!(await portFree(svc.port))) {
    throw new SandboxError(`port ${HOST}:${svc.port} for the ${name} server is taken by another process`, 'stop it (a stale sandbox? `pnpm sandbox:down`), then retry');
  }
  svc.log = path.join(ctx.dir, 'logs', `${name}.log`);
  fs.mkdirSync(path.dirname(svc.log), { recursive: true });
  const fd = fs.openSync(svc.log, 'a');
  const child = spawn(command, args, {
    cwd: ctx.dir,
    detached: true,
    stdio: ['ignore', fd, fd],
    // REGISTRY_* variables would override the registry's config file; keep them out.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_'))),
  });
  fs.closeSync(fd);
  let exited = null;
  child.on('exit', (code, signal) => (exited = signal || `exit ${code}`));
  child.on('error', (e) => (exited = e.message));
  child.unref();
  svc.pid = child.pid;

  const url = `http://${HOST}:${svc.port}${def.healthPath}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new SandboxError(`${name} server stopped at start (${exited}); log ${svc.log}:\n${tailLog(svc.log)}`, `check that port ${svc.port} is free and the tool is installed (bash tools/setup.sh)`);
    if ((await httpStatus(url)) === def.healthy) break;
    if (Date.now() > deadline) {
      throw new SandboxError(`${name} server did not answer on ${url} within ${timeoutMs / 1000}s; log ${svc.log}:\n${tailLog(svc.log)}`, 'the machine may be overloaded: retry, or raise SANDBOX_START_TIMEOUT (seconds)');
    }
    await sleep(150);
  }
  if (def.afterStart) await def.afterStart(ctx, svc);
}

// ---------------------------------------------------------------- state

function statePath(dir) {
  return path.join(dir, 'state.json');
}

function saveState(state) {
  fs.writeFileSync(statePath(state.dir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  fs.writeFileSync(path.join(state.dir, 'env'), envFile(state.env), { mode: 0o600 });
}

/** Accepts a state object, an env from up(), or a data dir. */
function loadState(ref) {
  if (ref && typeof ref === 'object' && ref.services && ref.dir) return ref;
  const dir = typeof ref === 'string' ? ref : ref && ref.SANDBOX_DIR;
  if (!dir) throw new SandboxError('no sandbox given', 'pass the env returned by up(), its state, or its data dir');
  try {
    return JSON.parse(fs.readFileSync(statePath(dir), 'utf8'));
  } catch {
    return null;
  }
}

function buildEnv(state) {
  const s = state.services;
  const env = { SANDBOX_DIR: state.dir };
  if (s.npm) {
    Object.assign(env, {
      SANDBOX_NPM_URL: s.npm.url,
      SANDBOX_NPM_USER: s.npm.user,
      AMEIDE_NPM_REGISTRY: s.npm.url,
      NPM_TOKEN_FILE: s.npm.tokenFile,
    });
  }
  if (s.pypi) {
    Object.assign(env, {
      SANDBOX_PYPI_URL: s.pypi.url,
      SANDBOX_PYPI_SIMPLE_URL: s.pypi.simpleUrl,
      AMEIDE_PYPI_UPLOAD_URL: s.pypi.url,
      AMEIDE_PYPI_INDEX_URL: s.pypi.simpleUrl,
      PYPI_USERNAME: s.pypi.user,
      PYPI_PASSWORD_FILE: s.pypi.passwordFile,
    });
  }
  if (s.oci) {
    Object.assign(env, {
      SANDBOX_OCI_REGISTRY: s.oci.registry,
      AMEIDE_OCI_REGISTRY: s.oci.registry,
      AMEIDE_OCI_NAMESPACE: 'ameideio',
      AMEIDE_OCI_INSECURE: 'true',
    });
  }
  if (s.ociAuth) {
    Object.assign(env, {
      SANDBOX_OCI_AUTH_REGISTRY: s.ociAuth.registry,
      SANDBOX_OCI_AUTH_USER: s.ociAuth.user,
      OCI_AUTH_PASSWORD_FILE: s.ociAuth.passwordFile,
    });
  }
  if (s.go) {
    // Git reads these like `git -c`: the redirect lives only in this environment, never in ~/.gitconfig.
    // A plain path works for ls-remote, fetch, push, and `go get` (GOPROXY=direct): seen with git 2.39, go 1.26.
    Object.assign(env, {
      SANDBOX_GO_MIRROR: s.go.bare,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `url.${s.go.bare}.insteadOf`,
      GIT_CONFIG_VALUE_0: GO_MODULE_URL,
    });
  }
  if (s.nxCache) {
    // Not NX_SELF_HOSTED_REMOTE_CACHE_SERVER itself: loading .sandbox/env must not switch every nx
    // command to the remote cache. A test or an agent sets it (docs/remote-cache.md).
    Object.assign(env, {
      SANDBOX_NX_CACHE_URL: s.nxCache.url,
      SANDBOX_NX_CACHE_STORAGE: s.nxCache.storage,
      SANDBOX_NX_CACHE_ACCESS_LOG: s.nxCache.accessLog,
      NX_CACHE_TOKEN_FILE: s.nxCache.tokenFile,
      NX_CACHE_READ_TOKEN_FILE: s.nxCache.readTokenFile,
    });
  }
  Object.assign(env, sigstore.buildEnv(s));
  if (s.kube) Object.assign(env, kube.env(s.kube));
  if (s.cosign) {
    Object.assign(env, {
      COSIGN_KEY: s.cosign.key,
      COSIGN_PUBLIC_KEY: s.cosign.pub,
      COSIGN_PASSWORD_FILE: s.cosign.passwordFile,
    });
  }
  return env;
}

function envFile(env) {
  const q = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;
  return (
    '# Written by tools/sandbox/sandbox.js. No secrets here: *_FILE names a 0600 file in SANDBOX_DIR.\n' +
    Object.entries(env)
      .map(([k, v]) => `export ${k}=${q(v)}`)
      .join('\n') +
    '\n'
  );
}

// ---------------------------------------------------------------- non-server pieces

function makeGoMirror(ctx) {
  const bare = path.join(ctx.dir, 'go-mirror', 'ameide-sdk-go.git');
  fs.mkdirSync(path.dirname(bare), { recursive: true });
  runSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  return { bare };
}

function findCosign() {
  if (process.env.COSIGN_BIN) return process.env.COSIGN_BIN;
  const onPath = which('cosign');
  if (onPath) return onPath;
  const r = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  const candidates = [r.status === 0 && path.join(r.stdout.trim().split(path.delimiter)[0], 'bin', 'cosign'), path.join(os.homedir(), 'go', 'bin', 'cosign')];
  return candidates.find((c) => c && fs.existsSync(c));
}

function makeCosignKeys(ctx) {
  const bin = findCosign();
  if (!bin) throw new SandboxError('cosign not found (PATH, COSIGN_BIN, $(go env GOPATH)/bin)', 'run `bash tools/setup.sh` (go install cosign), or leave cosign out: --services npm,pypi,...');
  const password = randomSecret();
  const passwordFile = writeSecret(ctx.dir, 'cosign-password', password);
  runSync(bin, ['generate-key-pair', '--output-key-prefix', path.join(ctx.dir, 'cosign')], {
    cwd: ctx.dir,
    env: { ...process.env, COSIGN_PASSWORD: password },
  });
  return { bin, key: path.join(ctx.dir, 'cosign.key'), pub: path.join(ctx.dir, 'cosign.pub'), passwordFile };
}

// ---------------------------------------------------------------- API

function defaultRoot() {
  return path.resolve(__dirname, '..', '..');
}

function startTimeout() {
  return (Number(process.env.SANDBOX_START_TIMEOUT) || 90) * 1000;
}

/**
 * Start a sandbox. `dir` (optional) is its data folder: created when missing, must be empty;
 * default a fresh mkdtemp under os.tmpdir(). `services` defaults to DEFAULT (all but nxCache).
 * Returns the env (plain strings) to merge into child processes' environment.
 * On failure everything started is stopped and the folder removed.
 */
async function up({ root = defaultRoot(), dir, services = DEFAULT } = {}) {
  const unknown = services.filter((s) => !ALL.includes(s));
  if (unknown.length) throw new SandboxError(`unknown sandbox service(s): ${unknown.join(', ')}`, `choose from ${ALL.join(', ')}`);
  if (dir) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (fs.readdirSync(dir).length) throw new SandboxError(`sandbox folder ${dir} is not empty`, 'give an empty or missing folder, or stop the sandbox in it first');
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ameide-sandbox.'));
  }
  dir = fs.realpathSync(dir);
  fs.chmodSync(dir, 0o700);
  fs.writeFileSync(path.join(dir, MARKER), 'data of an Ameide registries sandbox; removed by its `down`\n');

  const state = { version: 1, root, dir, startedAt: new Date().toISOString(), services: {}, env: {} };
  const ctx = { root, dir };
  try {
    const servers = PROCESSES.filter((s) => services.includes(s));
    for (const name of servers) {
      const svc = { port: await freePort() };
      const extra = sigstore.EXTRA_PORTS[name] || 0;
      if (extra) svc.extraPorts = await Promise.all(Array.from({ length: extra }, freePort));
      SERVERS[name].prepare(ctx, svc, { writeSecret, services: state.services });
      state.services[name] = svc;
    }
    if (services.includes('go')) state.services.go = makeGoMirror(ctx);
    if (services.includes('cosign')) state.services.cosign = makeCosignKeys(ctx);
    saveState(state); // pids are recorded as soon as they exist, so a failed start can still be cleaned
    const timeout = startTimeout();
    const start = (name) => spawnServer(ctx, name, state.services[name], timeout).finally(() => saveState(state));
    // Servers with `after` (fulcio: the oidc issuer) start once the rest answer.
    const results = await Promise.allSettled(servers.filter((n) => !SERVERS[n].after).map(start));
    if (!results.some((r) => r.status === 'rejected')) results.push(...(await Promise.allSettled(servers.filter((n) => SERVERS[n].after).map(start))));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (services.includes('kube')) await kube.start(ctx, kubeHelpers, Math.max(timeout, 120000), (state.services.kube = {})).finally(() => saveState(state));
    state.env = buildEnv(state);
    saveState(state);
    return { ...state.env };
  } catch (e) {
    await down(state).catch(() => undefined);
    throw e;
  }
}

/** Stop every process of the sandbox and delete its data folder. Safe to call twice. */
async function down(ref) {
  const state = loadState(ref);
  if (!state) return false;
  await Promise.all(PROCESSES.filter((n) => state.services[n]).map((n) => killGroup(state.services[n].pid, state.dir)));
  if (state.services.kube) await kube.stop(state.services.kube, state.dir, kubeHelpers);
  if (fs.existsSync(path.join(state.dir, MARKER))) fs.rmSync(state.dir, { recursive: true, force: true });
  return true;
}

/** Stop one registry, keeping its port and data (for "registry down mid-run" tests). */
async function stopService(ref, name) {
  const state = loadState(ref);
  const svc = state && state.services[name];
  if (!svc || !PROCESSES.includes(name)) throw new SandboxError(`no ${name} server in this sandbox`, `servers: ${PROCESSES.join(', ')}`);
  await killGroup(svc.pid, state.dir);
  svc.pid = null;
  saveState(state);
  return state;
}

/** Start a stopped registry again on its old port with its old data. */
async function startService(ref, name) {
  const state = loadState(ref);
  const svc = state && state.services[name];
  if (!svc || !PROCESSES.includes(name)) throw new SandboxError(`no ${name} server in this sandbox`, `servers: ${PROCESSES.join(', ')}`);
  if (svc.pid && groupMembers(svc.pid, state.dir).length) return state;
  try {
    await spawnServer({ root: state.root, dir: state.dir }, name, svc, startTimeout());
  } finally {
    saveState(state);
  }
  return state;
}

/** { name: { up: boolean, url, pid } } by asking each server. */
async function status(ref) {
  const state = loadState(ref);
  if (!state) return null;
  const out = {};
  for (const name of PROCESSES) {
    const svc = state.services[name];
    if (!svc) continue;
    const code = await httpStatus(`http://${HOST}:${svc.port}${SERVERS[name].healthPath}`);
    out[name] = { up: code === SERVERS[name].healthy, url: svc.url, pid: svc.pid };
  }
  if (state.services.go) out.go = { up: fs.existsSync(path.join(state.services.go.bare, 'HEAD')), path: state.services.go.bare };
  if (state.services.cosign) out.cosign = { up: fs.existsSync(state.services.cosign.key), path: state.services.cosign.key };
  if (state.services.kube) out.kube = await kube.status(state.services.kube);
  return out;
}

/** What kube.js needs of this file's process handling. */
const kubeHelpers = { freePort, portFree, sleep, tailLog, killGroup };

module.exports = { up, down, stopService, startService, status, loadState, envFile, SandboxError, SERVICES: ALL, readSecretFile };

// ---------------------------------------------------------------- CLI

async function cli(argv) {
  const [cmd, ...rest] = argv;
  const opt = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const root = defaultRoot();
  const isolatedDir = opt('--dir') && path.resolve(opt('--dir'));
  const wsDir = path.join(root, '.sandbox');
  // The workspace sandbox is found through .sandbox/state.json; an isolated one through its own dir.
  const current = () => loadState(isolatedDir || (fs.existsSync(path.join(wsDir, 'state.json')) ? JSON.parse(fs.readFileSync(path.join(wsDir, 'state.json'), 'utf8')).dir : ''));
  const publishWorkspace = (state) => {
    if (isolatedDir) return;
    fs.mkdirSync(wsDir, { recursive: true });
    fs.writeFileSync(path.join(wsDir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
    fs.writeFileSync(path.join(wsDir, 'env'), envFile(state.env));
  };
  const envPath = isolatedDir ? path.join(isolatedDir, 'env') : path.join(wsDir, 'env');
  const rel = path.relative(process.cwd(), envPath) || envPath;

  switch (cmd) {
    case 'up': {
      const existing = safe(current);
      if (existing) {
        const st = await status(existing);
        if (st && Object.values(st).every((s) => s.up)) {
          publishWorkspace(existing);
          console.log(`sandbox: already up in ${existing.dir}`);
          console.log(`sandbox: load it with: set -a; . ${rel}; set +a`);
          return 0;
        }
        // Restart only what died, so what was published to the others is kept.
        const dead = Object.keys(st || {}).filter((n) => !st[n].up);
        if (dead.every((n) => PROCESSES.includes(n))) {
          try {
            for (const n of dead) {
              await startService(existing, n);
              console.log(`sandbox: ${n} was down; restarted on port ${existing.services[n].port}`);
            }
            publishWorkspace(existing);
            console.log(`sandbox: up in ${existing.dir}`);
            console.log(`sandbox: load it with: set -a; . ${rel}; set +a`);
            return 0;
          } catch (e) {
            console.log(`sandbox: restart failed (${e.message.split('\n')[0]})`);
          }
        }
        console.log(`sandbox: the previous sandbox (${existing.dir}) is not healthy; replacing it`);
        await down(existing);
      }
      if (!isolatedDir) fs.rmSync(wsDir, { recursive: true, force: true });
      const services = opt('--services') ? opt('--services').split(',') : CLI_DEFAULT.filter((s) => !(rest.includes('--no-kube') && s === 'kube'));
      const t0 = Date.now();
      const state = loadState(await up({ root, dir: isolatedDir, services }));
      publishWorkspace(state);
      for (const [name, s] of Object.entries(await status(state))) console.log(`sandbox: ${name.padEnd(8)} ${s.up ? 'up  ' : 'DOWN'} ${s.url || s.path}`);
      console.log(`sandbox: up in ${((Date.now() - t0) / 1000).toFixed(1)}s, data in ${state.dir}`);
      console.log(`sandbox: load it with: set -a; . ${rel}; set +a`);
      return 0;
    }
    case 'down': {
      const existing = safe(current);
      if (!existing) {
        if (!isolatedDir) fs.rmSync(wsDir, { recursive: true, force: true });
        console.log('sandbox: nothing running');
        return 0;
      }
      await down(existing);
      if (!isolatedDir) fs.rmSync(wsDir, { recursive: true, force: true });
      console.log(`sandbox: stopped, ${existing.dir} removed`);
      return 0;
    }
    case 'status': {
      const existing = safe(current);
      if (!existing) {
        console.log('sandbox: not running');
        return 1;
      }
      const st = await status(existing);
      for (const [name, s] of Object.entries(st)) console.log(`sandbox: ${name.padEnd(8)} ${s.up ? 'up  ' : 'DOWN'} ${s.url || s.path}${s.pid ? ` (pid ${s.pid})` : ''}`);
      return Object.values(st).every((s) => s.up) ? 0 : 1;
    }
    case 'env': {
      const existing = safe(current);
      if (!existing) return 1;
      process.stdout.write(envFile(existing.env));
      return 0;
    }
    case 'stop':
    case 'start': {
      const existing = safe(current);
      if (!existing) throw new SandboxError('no sandbox running', 'pnpm sandbox:up');
      const st = await (cmd === 'stop' ? stopService : startService)(existing, rest[0]);
      publishWorkspace(st);
      console.log(`sandbox: ${rest[0]} ${cmd === 'stop' ? 'stopped' : 'started'} (port ${st.services[rest[0]].port})`);
      return 0;
    }
    default:
      console.error('usage: sandbox.js up|down|status|env|stop <service>|start <service> [--dir DIR] [--services npm,pypi,oci,ociAuth,ociV3,ociReferrers,go,cosign,oidc,fulcio,nxCache,kube] [--no-kube]');
      return 2;
  }
}

function safe(fn) {
  try {
    return fn();
  } catch {
    return null;
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`sandbox: ${e instanceof SandboxError ? e.message : e.stack || e}`);
      process.exit(1);
    },
  );
}
