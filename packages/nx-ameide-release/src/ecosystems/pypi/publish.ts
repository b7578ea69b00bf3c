import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ExecError, run } from '../../exec';
import { ReleaseError } from '../../errors';
import { pypiRegistry, type PypiRegistry } from '../../destinations/registries';
import { isTransientError, withRetry, type RetryOptions } from '../../retry';
import type { CheckInput, Finding, PlannedArtifact, PublishInput, PublishSteps } from '../../core/contract';
import type { Held } from '../../core/decide';
import { AlreadyThere, FlowReads, heldFindings } from '../../core/publish-flow';
import { credentialSource } from '../../credentials';
import { modeFindings, oidcChildEnv, resolveMode } from '../../core/credential-modes';
import { registerSecret } from '../../exec';
import { findingOf } from '../../core/findings';
import { probe } from '../../net';
import { checkPlaceholderVersion, readPyproject } from './pyproject';
import { distributionStem, inspectDist, resolvePythonTools, uvPublish, type PythonTools } from './commands';
import { listProjectFiles, downloadTo, projectPageUrl, type IndexFile } from './simple-index';

/** True when `filename` is a wheel or sdist of `name` at exactly `version`. Pure. */
export function isFileOfVersion(filename: string, name: string, version: string): boolean {
  const f = filename.toLowerCase();
  const stem = `${distributionStem(name)}-${version.toLowerCase()}`;
  return f === `${stem}.tar.gz` || f === `${stem}.zip` || (f.startsWith(`${stem}-`) && f.endsWith('.whl'));
}

/**
 * Where one of our files stands among the files the index lists for the project. Pure.
 *   same name               -> `file`, with `sameBytes` from the index's sha256 (unknown when it lists none)
 *   absent by name          -> `others`: the files of the same version that are not in our plan
 *                              (another build of this version: their commit decides)
 */
export function locate(
  artifact: Pick<PlannedArtifact, 'file' | 'sha256' | 'name' | 'version'>,
  planned: string[],
  remote: IndexFile[],
): { file: IndexFile; sameBytes?: boolean } | { file: null; others: IndexFile[] } {
  const name = basename(artifact.file!).toLowerCase();
  const r = remote.find((f) => f.filename.toLowerCase() === name);
  if (r) return { file: r, ...(r.sha256 ? { sameBytes: r.sha256 === artifact.sha256 } : {}) };
  const mine = new Set(planned.map((f) => basename(f).toLowerCase()));
  return { file: null, others: remote.filter((f) => !mine.has(f.filename.toLowerCase()) && isFileOfVersion(f.filename, artifact.name, artifact.version)) };
}

/** The project page, read once per flow for all its files (wheel and sdist); an upload drops it. */
const listings = new FlowReads<IndexFile[]>();
const listingKey = (registry: PypiRegistry, name: string) => `${registry.indexUrl} ${name}`;

async function indexFiles(input: PublishInput, registry: PypiRegistry): Promise<IndexFile[]> {
  try {
    return await listings.get(input, listingKey(registry, input.manifest.name), () => listProjectFiles(registry, input.manifest.name));
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause ? ` (${cause.code ?? cause.message})` : '';
    throw new Error(`cannot read the index ${projectPageUrl(registry, input.manifest.name)}: ${(err as Error).message}${why}; nothing was uploaded, re-run publish when it is back`);
  }
}

/** Download a file the index holds and read the commit it was built from (null when it records none). */
export async function remoteGitSha(tools: PythonTools, registry: PypiRegistry, remote: IndexFile): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), 'ameide-pypi-lookup-'));
  try {
    const file = join(dir, basename(new URL(remote.url).pathname) || remote.filename);
    await downloadTo(registry, remote.url, file);
    const res = await run(inspectDist(tools, file));
    if (res.exitCode !== 0) return null;
    return (JSON.parse(res.stdout.trim()) as { gitSha: string | null }).gitSha;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the index holds for one planned file, and from which commit, read from the index itself
 * (never installed). The same name with our sha256 is these very bytes, whose metadata records
 * this commit (pack stamped it): no download. Other bytes under our name, or another file of
 * our version (another wheel tag), are downloaded and their recorded commit read.
 */
export async function lookupFile(input: PublishInput, artifact: PlannedArtifact): Promise<Held> {
  const registry = pypiRegistry(input.env, input.destinations);
  const where = locate(artifact, input.manifest.files.map((f) => f.file), await indexFiles(input, registry));
  if (where.file && where.sameBytes) return { state: 'present', gitSha: input.manifest.gitSha, sameBytes: true };
  const tools = resolvePythonTools(input.workspaceRoot, process.env);
  if (where.file) return { state: 'present', gitSha: await remoteGitSha(tools, registry, where.file), ...(where.sameBytes === false ? { sameBytes: false } : {}) };
  for (const other of where.others) {
    const theirs = await remoteGitSha(tools, registry, other);
    // Another file of this version built from this same commit does not hold our file.
    if (theirs !== input.manifest.gitSha) return { state: 'present', gitSha: theirs };
  }
  return { state: 'absent' };
}

/** The server's own words from a failed `uv publish`: status and the text of its error page. */
export function parseUploadFailure(output: string): { status: number | null; message: string; alreadyExists: boolean } {
  const status = /status code (\d{3})/i.exec(output);
  const pre = /<pre>([\s\S]*?)<\/pre>/i.exec(output);
  const says = /Server says:\s*([\s\S]*)$/i.exec(output);
  const raw = pre?.[1] ?? says?.[1] ?? output.split('\n').filter((l) => /error|cause/i.test(l)).join('\n');
  const message = raw
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#0*39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
  const code = status ? Number(status[1]) : null;
  return { status: code, message, alreadyExists: code === 409 || /already exists|File already exists/i.test(message) };
}

export class UploadError extends Error {
  constructor(
    readonly status: number | null,
    readonly serverMessage: string,
    readonly alreadyExists: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/** Transient: connection failures and 5xx / 429. A 4xx (bad credentials, invalid file, conflict) fails at once. */
export function isTransientUpload(err: unknown): boolean {
  if (err instanceof UploadError) return err.status === null ? isTransientError(new Error(err.message)) : err.status >= 500 || err.status === 429;
  return isTransientError(err);
}

async function uploadOne(tools: PythonTools, registry: PypiRegistry, file: string, retry: RetryOptions, log: PublishInput['log'], oidc?: Record<string, string>): Promise<void> {
  await withRetry(
    async () => {
      const cmd = uvPublish(tools, registry.uploadUrl, file, oidc ? { oidc } : { username: registry.username, password: registry.password });
      const res = await run(cmd);
      if (res.exitCode === 0) return;
      const f = parseUploadFailure(`${res.stderr}\n${res.stdout}`);
      const detail = new ExecError(cmd, res).message;
      throw new UploadError(f.status, f.message, f.alreadyExists, f.status ? `upload of ${basename(file)} refused: HTTP ${f.status}: ${f.message}` : detail);
    },
    isTransientUpload,
    { ...retry, onRetry: (err, attempt, delay) => log(`upload of ${basename(file)} failed (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}; retrying in ${delay} ms`) },
  );
}

export interface PypiPublishOptions {
  retry?: RetryOptions;
}

/**
 * PyPI under the one publish flow (src/core/publish-flow.ts): one artifact per packed file (wheel,
 * sdist), looked up on the simple index, uploaded one at a time with `uv publish`. The channel,
 * the manifest, every sha256 and the decision are the flow's; the server's own answers
 * (refused credentials, its error text, "already exists") are read here.
 */
export function pypiSteps(opts: PypiPublishOptions = {}): PublishSteps {
  return {
    plan(input) {
      const { manifest } = input;
      // Named by the index it is read back from (uploads go to the upload URL of the same destination).
      const url = pypiRegistry(input.env, input.destinations).indexUrl;
      return manifest.files.map((f): PlannedArtifact => ({
        id: `${manifest.name}==${manifest.version} (${basename(f.file)})`,
        ecosystem: 'pypi',
        name: manifest.name,
        version: manifest.version,
        registry: url,
        kind: f.kind,
        file: f.file,
        sha256: f.sha256,
        tags: [],
      }));
    },
    lookup: lookupFile,
    async upload(input, artifact) {
      const registry = pypiRegistry(input.env, input.destinations);
      const tools = resolvePythonTools(input.workspaceRoot, process.env);
      listings.drop(input, listingKey(registry, input.manifest.name)); // the next lookup (a race) reads the index again
      const oidc = resolveMode('pypi', input.env).mode === 'oidc' ? oidcChildEnv(input.env) : undefined;
      registerSecret(oidc?.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
      try {
        await uploadOne(tools, registry, join(input.workspaceRoot, artifact.file!), opts.retry ?? {}, input.log, oidc);
      } catch (err) {
        if (err instanceof UploadError && err.alreadyExists) throw new AlreadyThere(artifact, err);
        if (!(err instanceof UploadError) || err.status === null) throw err;
        const said = err.serverMessage && !/^(None|null)?$/.test(err.serverMessage) ? `: ${err.serverMessage}` : '';
        const auth = err.status === 401 || err.status === 403;
        if (auth && oidc) {
          throw new ReleaseError(
            `${registry.uploadUrl} refused ${basename(artifact.file!)} by trusted publishing (OIDC): HTTP ${err.status}${said}`,
            `check the trusted publisher of ${artifact.name} on the index names this repository and the workflow file cd-packages.yml, not a reusable workflow (docs/ci.md, "Trusted publishing"), or set PYPI_TOKEN; then re-run publish (files already uploaded are not sent twice)`,
            `${artifact.name}==${artifact.version}`,
          );
        }
        throw new ReleaseError(
          `${registry.uploadUrl} refused ${basename(artifact.file!)}: HTTP ${err.status}${auth ? ` (the credentials in ${pypiCredentialSource(input.env)} were refused)` : ''}${said}`,
          auth
            ? `the credentials in ${pypiCredentialSource(input.env)} were refused: replace them with valid ones that may upload to ${artifact.name}; ${pypiCredentialCheck(registry.uploadUrl)}`
            : 'fix what the server reports, then re-run publish (files already uploaded are not sent twice)',
          `${artifact.name}==${artifact.version}`,
        );
      }
    },
  };
}

/** The variables the PyPI credentials came from, to name them when they are refused (never the values). */
function pypiCredentialSource(env: PublishInput['env']): string {
  const token = credentialSource(env, 'PYPI_TOKEN');
  if (env.PYPI_TOKEN || env.PYPI_TOKEN_FILE) return token;
  return `PYPI_USERNAME + ${credentialSource(env, 'PYPI_PASSWORD')}`;
}

/** How to check PyPI credentials by hand, as printed in every refusal. */
export function pypiCredentialCheck(uploadUrl: string): string {
  return `check them without uploading: curl -sS -o /dev/null -w '%{http_code}' -u "$PYPI_USERNAME" -X POST ${uploadUrl} answers 400 when they are accepted, 401/403 when refused; for pypi.org use an API token (PYPI_TOKEN)`;
}

/**
 * PyPI's own preflight checks, all of them, without writing: the pyproject placeholder, the
 * index reachable in bounded time, the upload credentials valid, and the version not held
 * by another SHA. Credentials are checked by a POST to the upload URL with no file: the
 * server authenticates first, so it answers 401/403 to refused credentials and 400 (a form
 * without a file) to accepted ones, and stores nothing. Measured on pypiserver 2.x (400 / 403 /
 * 401 without credentials); warehouse (pypi.org) checks authentication before the form too.
 */
export async function checksPypi(input: CheckInput): Promise<Finding[]> {
  const out: Finding[] = [];
  const where = join(input.projectRoot, 'pyproject.toml');
  try {
    checkPlaceholderVersion(readPyproject(readFileSync(join(input.workspaceRoot, where), 'utf8'), where), where);
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  try {
    resolvePythonTools(input.workspaceRoot, { ...process.env, ...input.env }); // uv publishes: a missing uv stops the run-wide preflight
  } catch (e) {
    out.push(findingOf('guard', e));
  }
  const registry = pypiRegistry(input.env, input.destinations);
  const mode = resolveMode('pypi', input.env);
  if (mode.mode !== 'token') {
    // Trusted publishing cannot be proven without uploading (uv exchanges the ID token at upload time): what can be told is checked.
    out.push(...modeFindings('pypi', mode, input.env, { registry: registry.uploadUrl }));
    if (out.length || mode.mode === 'none') return out;
    input.log(`pypi ${input.manifest?.name ?? ''}: trusted publishing (OIDC, uv publish --trusted-publishing always); the index's token exchange is only seen by the upload`);
    out.push(...(await heldFindings(pypiSteps(), input)));
    return out;
  }
  if (!registry.username || !registry.password) {
    out.push({
      check: 'credentials',
      problem: `no credentials for ${registry.uploadUrl}`,
      fix: 'set PYPI_TOKEN (an API token), or PYPI_USERNAME and PYPI_PASSWORD (each may be given as *_FILE pointing at a file)',
    });
    return out;
  }
  const source = pypiCredentialSource(input.env);
  const page = projectPageUrl(registry, input.manifest?.name ?? 'pip');
  try {
    const res = await probe(page, {}, input.timeoutMs);
    if (res.status >= 500) out.push({ check: 'destination', problem: `index ${page} answered HTTP ${res.status}`, fix: 'check the index is healthy and destinations.pypi.indexUrl (or AMEIDE_PYPI_INDEX_URL; docs/destinations.md) points at it' });
  } catch (e) {
    out.push({ check: 'destination', problem: `PyPI index: ${(e as Error).message}`, fix: `start the index, or point destinations.pypi.indexUrl (or AMEIDE_PYPI_INDEX_URL) at a reachable one (check: curl -sS ${registry.indexUrl})` });
    return out;
  }
  const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  try {
    const res = await probe(registry.uploadUrl, { method: 'POST', headers: { authorization: basic } }, input.timeoutMs);
    if (res.status === 401 || res.status === 403) {
      out.push({ check: 'credentials', problem: `PyPI upload URL ${registry.uploadUrl} refused the credentials in ${source} (HTTP ${res.status})`, fix: `replace ${source} with valid ones; ${pypiCredentialCheck(registry.uploadUrl)}` });
      return out;
    }
    if (res.status >= 500 || res.status === 404) {
      out.push({ check: 'destination', problem: `PyPI upload URL ${registry.uploadUrl} answered HTTP ${res.status}`, fix: 'check destinations.pypi.uploadUrl (or AMEIDE_PYPI_UPLOAD_URL: the legacy upload API, e.g. https://upload.pypi.org/legacy/)' });
      return out;
    }
  } catch (e) {
    out.push({ check: 'destination', problem: `PyPI upload URL: ${(e as Error).message}`, fix: `start the index, or point destinations.pypi.uploadUrl (or AMEIDE_PYPI_UPLOAD_URL) at a reachable one` });
    return out;
  }
  out.push(...(await heldFindings(pypiSteps(), input)));
  return out;
}
