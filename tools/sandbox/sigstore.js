'use strict';
/**
 * The signing side of the sandbox, beside the registries of sandbox.js:
 *
 *   ociV3   distribution v3.1.2 (`registry serve`, from the Go module proxy) beside docker-registry
 *           2.8 (`oci`). Neither has the OCI 1.1 referrers API (distribution v3.1.2's router has no
 *           /referrers route, seen here): cosign v3 keeps its bundles under the referrers tag
 *           (sha256-<hex>, an index) on both.
 *   ociReferrers  a registry WITH the referrers API: go-containerregistry's registry
 *           (referrers-registry/main.go starts it; manifests in memory, blobs on disk), where cosign
 *           v3's bundles are referrers the API lists.
 *   oidc    an OpenID Connect issuer on loopback (oidc-issuer.js) standing in for GitHub's token
 *           service: it issues GitHub-shaped ID tokens to "jobs" registered with its admin token.
 *   fulcio  a real Fulcio (`fulcio serve --ca fileca`): its CA is a key and certificate made here by
 *           openssl in the sandbox folder; it trusts the oidc issuer as a `github-workflow` issuer,
 *           so its certificates name the workflow (https://github.com/<owner>/<repo>/.github/workflows/<file>@<ref>).
 *           No CT log (`--ct-log-url=`), and there is no Rekor: keyless signing here runs with the
 *           transparency-log upload off, and verification skips tlog and SCT checks
 *           (cosign --insecure-ignore-tlog --insecure-ignore-sct). Those two are not tested here.
 *
 * A trusted root (trusted_root.json, made by `cosign trusted-root create`) names this Fulcio's CA, for
 * `cosign verify --trusted-root`. sandbox.js owns the process handling (ports, start, stop); this
 * module only says what each server is.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');

const HOST = '127.0.0.1';

/** Where `go install` puts binaries: GOBIN, else the first GOPATH entry's bin, else ~/go/bin. */
function goBinDirs() {
  const dirs = [];
  if (process.env.GOBIN) dirs.push(process.env.GOBIN);
  const r = spawnSync('go', ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' });
  if (r.status === 0) {
    const [gobin, gopath] = r.stdout.split('\n');
    if (gobin) dirs.push(gobin);
    if (gopath) dirs.push(path.join(gopath.split(path.delimiter)[0], 'bin'));
  }
  dirs.push(path.join(os.homedir(), 'go', 'bin'));
  return [...new Set(dirs)];
}

/** A Go-installed program: <ENV> (a path) first, then PATH, then the go install folders. */
function goTool(name, envVar, fix) {
  const override = process.env[envVar];
  if (override) return override;
  for (const d of [...(process.env.PATH || '').split(path.delimiter).filter((x) => path.isAbsolute(x)), ...goBinDirs()]) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  const err = new Error(`${name} not found (${envVar}, PATH, $(go env GOPATH)/bin)\n  fix: ${fix}`);
  err.name = 'SandboxError';
  throw err;
}

const referrersRegistryBin = () => goTool('ameide-referrers-registry', 'SANDBOX_REFERRERS_REGISTRY_BIN', 'run `bash tools/setup.sh` (builds tools/sandbox/referrers-registry)');
const registryBin = () => goTool('registry', 'SANDBOX_DISTRIBUTION_BIN', 'run `bash tools/setup.sh` (go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2)');
const fulcioBin = () => goTool('fulcio', 'SANDBOX_FULCIO_BIN', 'run `bash tools/setup.sh` (go install github.com/sigstore/fulcio@v1.8.8)');
const cosignBin = () => goTool('cosign', 'COSIGN_BIN', 'run `bash tools/setup.sh` (go install github.com/sigstore/cosign/v3/cmd/cosign)');

function run(command, args, opts = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', ...opts });
  if (r.error || r.status !== 0) {
    const err = new Error(`${command} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status}`}):\n${(r.stderr || r.stdout || '').trim()}`);
    err.name = 'SandboxError';
    throw err;
  }
  return r.stdout;
}

/**
 * The file CA of Fulcio: an EC P-256 key (PKCS#8, a 0600 file in the sandbox folder: fulcio takes a
 * key password only on its command line, so the key is left unencrypted rather than put a password
 * on argv) and a self-signed CA certificate for code signing, valid for two days (a sandbox lives minutes).
 */
function makeCa(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = path.join(dir, 'ca-key.pem');
  const cert = path.join(dir, 'ca-cert.pem');
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  fs.chmodSync(key, 0o600);
  run('openssl', [
    'req', '-x509', '-new', '-key', key, '-sha256', '-days', '2',
    '-subj', '/O=ameide-sandbox/CN=ameide sandbox fulcio',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'extendedKeyUsage=codeSigning',
    '-out', cert,
  ]);
  return { key, cert };
}

const SERVERS = {
  ociV3: {
    healthPath: '/v2/',
    healthy: 200,
    prepare(ctx, svc) {
      const base = path.join(ctx.dir, 'oci-v3');
      fs.mkdirSync(path.join(base, 'storage'), { recursive: true });
      svc.config = path.join(base, 'config.yml');
      fs.writeFileSync(
        svc.config,
        [
          `# distribution v3 for the Ameide sandbox: plain http on loopback, with the OCI 1.1 referrers API.`,
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
          `  secret: ${crypto.randomBytes(24).toString('base64url')}`,
          ``,
        ].join('\n'),
        { mode: 0o600 },
      );
      svc.registry = `${HOST}:${svc.port}`;
      svc.url = `http://${svc.registry}/`;
    },
    command: (ctx, svc) => ({ command: registryBin(), args: ['serve', svc.config] }),
  },

  ociReferrers: {
    healthPath: '/v2/',
    healthy: 200,
    prepare(ctx, svc) {
      svc.blobs = path.join(ctx.dir, 'oci-referrers', 'blobs');
      fs.mkdirSync(svc.blobs, { recursive: true });
      svc.registry = `${HOST}:${svc.port}`;
      svc.url = `http://${svc.registry}/`;
    },
    command: (ctx, svc) => ({ command: referrersRegistryBin(), args: ['-addr', svc.registry, '-blobs', svc.blobs] }),
  },

  oidc: {
    healthPath: '/health',
    healthy: 200,
    prepare(ctx, svc, { writeSecret }) {
      const base = path.join(ctx.dir, 'oidc');
      fs.mkdirSync(base, { recursive: true, mode: 0o700 });
      svc.adminTokenFile = writeSecret(ctx.dir, 'oidc-admin-token', crypto.randomBytes(24).toString('base64url'));
      svc.config = path.join(base, 'config.json');
      fs.writeFileSync(
        svc.config,
        JSON.stringify({ port: svc.port, adminTokenFile: svc.adminTokenFile, keyFile: path.join(base, 'signing-key.pem'), jobsFile: path.join(base, 'jobs.json') }),
        { mode: 0o600 },
      );
      svc.url = `http://${HOST}:${svc.port}`;
    },
    command: (ctx, svc) => ({ command: process.execPath, args: [path.join(__dirname, 'oidc-issuer.js'), svc.config] }),
  },

  fulcio: {
    healthPath: '/api/v2/configuration',
    healthy: 200,
    /** Needs the oidc issuer: prepared after it, and started once it answers (fulcio reads its discovery document at start). */
    after: ['oidc'],
    prepare(ctx, svc, { services }) {
      const base = path.join(ctx.dir, 'fulcio');
      svc.ca = makeCa(path.join(base, 'ca'));
      const issuer = services.oidc && services.oidc.url;
      if (!issuer) throw Object.assign(new Error('the fulcio service needs the oidc service (--services ...,oidc,fulcio)'), { name: 'SandboxError' });
      svc.config = path.join(base, 'config.json');
      // github-workflow: Fulcio reads the GitHub claims (job_workflow_ref, sha, repository, ...) into
      // the certificate; its SAN is https://github.com/<job_workflow_ref>.
      fs.writeFileSync(svc.config, JSON.stringify({ OIDCIssuers: { [issuer]: { IssuerURL: issuer, ClientID: 'sigstore', Type: 'github-workflow' } } }, null, 2));
      [svc.grpcPort, svc.metricsPort] = svc.extraPorts;
      svc.url = `http://${HOST}:${svc.port}`;
      svc.issuer = issuer;
      // For `cosign verify --trusted-root` (cosign v3): this Fulcio's CA, no transparency log, no CT log.
      svc.trustedRoot = path.join(base, 'trusted_root.json');
      run(cosignBin(), ['trusted-root', 'create', '--fulcio', `url=${svc.url},certificate-chain=${svc.ca.cert}`, '--out', svc.trustedRoot]);
    },
    command(ctx, svc) {
      // HTTP and gRPC on two ports (fulcio 1.8.8's one-port duplex mode panics registering its metrics twice, seen here),
      // its legacy gRPC socket in the sandbox folder (the default is one abstract socket per machine); no CT log;
      // fulcio insists on --fileca-key-passwd: empty, the key is not encrypted (see makeCa).
      return {
        command: fulcioBin(),
        args: [
          'serve', '--ca', 'fileca', '--fileca-cert', svc.ca.cert, '--fileca-key', svc.ca.key, '--fileca-key-passwd=', '--fileca-watch=false',
          '--config-path', svc.config, '--ct-log-url=', '--host', HOST, '--port', String(svc.port), '--grpc-host', HOST, '--grpc-port', String(svc.grpcPort),
          '--metrics-port', String(svc.metricsPort), '--legacy-unix-domain-socket', path.join(path.dirname(svc.config), 'legacy-grpc.sock'), '--log_type', 'prod',
        ],
      };
    },
  },
};

/** How many extra free ports each server needs (besides its main one). */
const EXTRA_PORTS = { fulcio: 2 };

function buildEnv(s) {
  const env = {};
  if (s.ociV3) Object.assign(env, { SANDBOX_OCI_V3_REGISTRY: s.ociV3.registry });
  if (s.ociReferrers) Object.assign(env, { SANDBOX_OCI_REFERRERS_REGISTRY: s.ociReferrers.registry });
  if (s.oidc) Object.assign(env, { SANDBOX_OIDC_ISSUER: s.oidc.url, SANDBOX_OIDC_ADMIN_TOKEN_FILE: s.oidc.adminTokenFile });
  if (s.fulcio) Object.assign(env, { SANDBOX_FULCIO_URL: s.fulcio.url, SANDBOX_SIGSTORE_TRUSTED_ROOT: s.fulcio.trustedRoot, SANDBOX_FULCIO_CA_CERT: s.fulcio.ca.cert });
  return env;
}

/**
 * A GitHub Actions job of `workflow` (a file name under .github/workflows) at ref/sha: registers it
 * with the sandbox's OIDC issuer and returns the environment a runner gives that job for keyless
 * signing: ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN (cosign asks them for an ID token, audience sigstore),
 * GITHUB_ACTIONS=true, and the Fulcio and trusted root of the sandbox for the plugin
 * (AMEIDE_FULCIO_URL, AMEIDE_SIGSTORE_TRUSTED_ROOT).
 */
function githubJob(env, job) {
  const body = JSON.stringify(job);
  const token = fs.readFileSync(env.SANDBOX_OIDC_ADMIN_TOKEN_FILE, 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = http.request(`${env.SANDBOX_OIDC_ISSUER}/jobs`, { method: 'POST', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 201) return reject(new Error(`oidc issuer refused the job (HTTP ${res.statusCode}): ${text}`));
        const { url, token: requestToken } = JSON.parse(text);
        resolve({
          GITHUB_ACTIONS: 'true',
          ACTIONS_ID_TOKEN_REQUEST_URL: url,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
          AMEIDE_FULCIO_URL: env.SANDBOX_FULCIO_URL,
          AMEIDE_SIGSTORE_TRUSTED_ROOT: env.SANDBOX_SIGSTORE_TRUSTED_ROOT,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The certificate identity Fulcio gives a job of `workflow` in `repository` at `ref`. */
const workflowIdentity = (repository, workflow, ref) => `https://github.com/${repository}/.github/workflows/${workflow}@${ref}`;

module.exports = { SERVERS, EXTRA_PORTS, buildEnv, githubJob, workflowIdentity, goTool };
