#!/usr/bin/env node
'use strict';
/**
 * Scan logs for the secrets a run used: zero hits is the verdict (docs/drills.md, "Secrets").
 *
 * Looks for each secret as written, base64-encoded (Basic auth headers carry `user:secret` in base64)
 * and URL-encoded. Secrets shorter than 6 characters are refused: they would match by chance.
 *
 * API (CommonJS, for the e2e specs):
 *   const { scanTexts, scanPaths, sandboxSecrets } = require('tools/drills/secret-scan.js');
 *   scanTexts({ 'run 3': output }, secrets)  -> [{ source, secret: '<name>', form }]   (empty: clean)
 *   scanPaths(['/tmp/logs', file], secrets)  -> same, files and folders (recursively, text files < 64 MB)
 *   sandboxSecrets(env)                      -> { NPM_TOKEN: '...', ... } read from the sandbox's *_FILE
 * CLI: node tools/drills/secret-scan.js [--sandbox-env FILE] PATH...   exit 1 on any hit; never prints a secret.
 */
const fs = require('node:fs');
const path = require('node:path');

const SECRET_FILES = ['NPM_TOKEN_FILE', 'PYPI_PASSWORD_FILE', 'COSIGN_PASSWORD_FILE', 'OCI_AUTH_PASSWORD_FILE'];

/** The sandbox's secrets by variable name (read from the 0600 files its env names). */
function sandboxSecrets(env) {
  const out = {};
  for (const key of SECRET_FILES) {
    const file = env[key];
    if (file && fs.existsSync(file)) out[key.replace(/_FILE$/, '')] = fs.readFileSync(file, 'utf8').trim();
  }
  return out;
}

function forms(value) {
  const out = [['plain', value], ['url-encoded', encodeURIComponent(value)], ['base64', Buffer.from(value).toString('base64').replace(/=+$/, '')]];
  // Basic auth: base64 of `user:secret` does not contain base64(secret); a 3-byte-aligned tail of it does.
  for (const user of ['ameide', '__token__']) {
    const b = Buffer.from(`${user}:${value}`).toString('base64').replace(/=+$/, '');
    out.push([`basic-auth(${user})`, b.slice(Math.ceil((user.length + 1) / 3) * 4)]);
  }
  return out.filter(([, v], i, all) => v.length >= 6 && all.findIndex(([, w]) => w === v) === i);
}

/** `secrets`: { name: value } or [value]. Returns the hits, naming the secret, never showing it. */
function scanTexts(texts, secrets) {
  const named = Array.isArray(secrets) ? Object.fromEntries(secrets.map((v, i) => [`secret#${i + 1}`, v])) : secrets;
  for (const [name, v] of Object.entries(named)) {
    if (typeof v !== 'string' || v.length < 6) throw new Error(`secret-scan: ${name} is empty or shorter than 6 characters: give the real secret`);
  }
  const hits = [];
  for (const [source, text] of Object.entries(texts)) {
    for (const [name, value] of Object.entries(named)) {
      for (const [form, needle] of forms(value)) if (text.includes(needle)) hits.push({ source, secret: name, form });
    }
  }
  return hits;
}

function listFiles(p, out = []) {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p)) if (e !== 'node_modules' && e !== '.git') listFiles(path.join(p, e), out);
  } else if (st.isFile() && st.size < 64 * 1024 * 1024) out.push(p);
  return out;
}

function scanPaths(paths, secrets) {
  const texts = {};
  for (const p of paths) for (const f of listFiles(p)) texts[f] = fs.readFileSync(f, 'latin1');
  return { files: Object.keys(texts).length, hits: scanTexts(texts, secrets) };
}

module.exports = { scanTexts, scanPaths, sandboxSecrets };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--sandbox-env');
  let envFile = path.resolve(__dirname, '..', '..', '.sandbox', 'env');
  if (i >= 0) envFile = argv.splice(i, 2)[1];
  if (!argv.length || !fs.existsSync(envFile)) {
    console.error(`usage: secret-scan.js [--sandbox-env FILE] PATH...  (sandbox env ${envFile}${fs.existsSync(envFile) ? '' : ' is missing: pnpm sandbox:up'})`);
    process.exit(2);
  }
  const env = {};
  for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^export (\w+)='(.*)'$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  const secrets = sandboxSecrets(env);
  const { files, hits } = scanPaths(argv, secrets);
  for (const h of hits) console.log(`secret-scan: HIT ${h.secret} (${h.form}) in ${h.source}`);
  console.log(`secret-scan: ${files} files, ${Object.keys(secrets).length} secrets (${Object.keys(secrets).join(', ')}), ${hits.length} hits`);
  process.exit(hits.length ? 1 : 0);
}
