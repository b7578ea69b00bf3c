#!/usr/bin/env node
'use strict';
/**
 * A loopback OpenID Connect issuer that stands in for GITHUB'S TOKEN SERVICE (the one behind
 * ACTIONS_ID_TOKEN_REQUEST_URL in a GitHub Actions job), so keyless signing can run here: cosign
 * asks it for an ID token the way it asks GitHub, and Fulcio checks that token against this
 * issuer's discovery document and keys. It does not stand in for a registry or for Fulcio (those
 * are the real servers). Written here because no GitHub-shaped issuer builds on these machines.
 *
 *   GET  /.well-known/openid-configuration   discovery (issuer, jwks_uri, RS256)
 *   GET  /.well-known/jwks                   the signing key (RSA, public half)
 *   POST /jobs                               (admin bearer token) register a job: its claims
 *                                            -> { url, token }: that job's ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN
 *   GET  /jobs/<id>/idtoken?api-version=2.0&audience=<aud>
 *                                            (the job's bearer token) -> { value: <ID token> }, as GitHub answers
 *
 * The ID token carries the claims GitHub's does (iss, sub `repo:<owner>/<repo>:ref:<ref>`, aud,
 * repository, ref, sha, workflow, workflow_ref, job_workflow_ref, event_name, run_id, ...), so
 * Fulcio's github-workflow issuer type puts the workflow identity in the certificate:
 * `https://github.com/<job_workflow_ref>`.
 *
 * The JWT is made with node:crypto (RS256: base64url(header).base64url(claims).signature): a
 * library would add a dependency for three lines of code.
 *
 *   node oidc-issuer.js <config.json>    config: { port, adminTokenFile, keyFile }
 */
const fs = require('node:fs');
const http = require('node:http');
const crypto = require('node:crypto');

const HOST = '127.0.0.1';
const b64url = (buf) => Buffer.from(buf).toString('base64url');

function loadKey(file) {
  if (!fs.existsSync(file)) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return crypto.createPrivateKey(fs.readFileSync(file));
}

function jwt(key, kid, claims) {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.sign('sha256', Buffer.from(`${header}.${body}`), key);
  return `${header}.${body}.${b64url(sig)}`;
}

/** The claims of a GitHub Actions ID token for a job of `workflow` (a file under .github/workflows) at ref/sha. */
function githubClaims(issuer, job, audience, now) {
  const repository = job.repository || 'ameideio/ameide';
  const [owner] = repository.split('/');
  const ref = job.ref || 'refs/heads/main';
  const sha = job.sha || '0'.repeat(40);
  const workflowRef = `${repository}/.github/workflows/${job.workflow}@${ref}`;
  return {
    iss: issuer,
    sub: `repo:${repository}:ref:${ref}`,
    aud: audience,
    jti: crypto.randomUUID(),
    iat: now,
    nbf: now - 5,
    exp: now + 300,
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: 'true',
    sha,
    repository,
    repository_id: '100000001',
    repository_owner: owner,
    repository_owner_id: '100000000',
    repository_visibility: 'public',
    actor: 'ameide-bot',
    actor_id: '100000002',
    event_name: job.event_name || (ref.startsWith('refs/tags/') ? 'push' : 'push'),
    workflow: job.workflowName || job.workflow,
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: job.job_workflow_ref || workflowRef,
    job_workflow_sha: sha,
    run_id: job.run_id || '7000000001',
    run_number: '1',
    run_attempt: '1',
    runner_environment: 'github-hosted',
    head_ref: '',
    base_ref: '',
  };
}

function main(configFile) {
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  const issuer = `http://${HOST}:${config.port}`;
  const key = loadKey(config.keyFile);
  const jwk = crypto.createPublicKey(key).export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(JSON.stringify(jwk)).digest('hex').slice(0, 16);
  const adminToken = fs.readFileSync(config.adminTokenFile, 'utf8').trim();
  const jobsFile = config.jobsFile; // jobs survive a restart of the issuer (stop/start keep the data)
  const jobs = new Map(Object.entries(fs.existsSync(jobsFile) ? JSON.parse(fs.readFileSync(jobsFile, 'utf8')) : {}));
  const saveJobs = () => fs.writeFileSync(jobsFile, JSON.stringify(Object.fromEntries(jobs)), { mode: 0o600 });
  const same = (a, b) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
  const bearer = (req) => /^bearer (.+)$/i.exec(req.headers.authorization || '')?.[1] || '';

  const send = (res, status, body) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, issuer);
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
          return send(res, 200, {
            issuer,
            jwks_uri: `${issuer}/.well-known/jwks`,
            subject_types_supported: ['public', 'pairwise'],
            response_types_supported: ['id_token'],
            claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'sha', 'workflow', 'job_workflow_ref'],
            id_token_signing_alg_values_supported: ['RS256'],
            scopes_supported: ['openid'],
          });
        }
        if (req.method === 'GET' && url.pathname === '/.well-known/jwks') return send(res, 200, { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] });
        if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, 'ok\n');
        if (req.method === 'POST' && url.pathname === '/jobs') {
          if (!same(bearer(req), adminToken)) return send(res, 401, { message: 'admin token required' });
          const job = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
          if (!job.workflow || !/^[\w.-]+\.ya?ml$/.test(job.workflow)) return send(res, 400, { message: 'workflow: a file name under .github/workflows (e.g. cd-packages.yml)' });
          const id = crypto.randomUUID();
          const token = crypto.randomBytes(24).toString('base64url');
          jobs.set(id, { ...job, token });
          saveJobs();
          // GitHub's request URL already has a query (api-version); cosign appends `&audience=sigstore`.
          return send(res, 201, { url: `${issuer}/jobs/${id}/idtoken?api-version=2.0`, token });
        }
        const m = /^\/jobs\/([\w-]+)\/idtoken$/.exec(url.pathname);
        if (req.method === 'GET' && m) {
          const job = jobs.get(m[1]);
          if (!job || !same(bearer(req), job.token)) return send(res, 401, { message: 'bad or missing ACTIONS_ID_TOKEN_REQUEST_TOKEN' });
          const audience = url.searchParams.get('audience') || `https://github.com/${(job.repository || 'ameideio/ameide').split('/')[0]}`;
          const { token: _t, ...claimsOfJob } = job;
          return send(res, 200, { value: jwt(key, kid, githubClaims(issuer, claimsOfJob, audience, Math.floor(Date.now() / 1000))) });
        }
        return send(res, 404, { message: 'not found' });
      } catch (e) {
        return send(res, 400, { message: String(e && e.message) });
      }
    });
  });
  server.listen(config.port, HOST);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main(process.argv[2]);

module.exports = { githubClaims };
