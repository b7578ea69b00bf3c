import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ExecError, run } from '../../exec';
import { ReleaseError } from '../../errors';
import { pypiRegistry, type PypiRegistry } from '../../registries';
import { isTransientError, withRetry, type RetryOptions } from '../../retry';
import type { ArtifactFile, CheckInput, Finding, LookupResult, PublishInput, PublishOutcome } from '../types';
import { credentialSource } from '../../credentials';
import { findingOf } from '../../findings';
import { probe } from '../../net';
import { checkPlaceholderVersion, readPyproject } from './pyproject';
import { distributionStem, inspectDist, resolvePythonTools, uvPublish, type PythonTools } from './commands';
import { sha256File } from './pack';
import { listProjectFiles, downloadTo, projectPageUrl, type IndexFile } from './simple-index';

/** How one of our files stands on the index. */
export type FileState =
  | { file: ArtifactFile; state: 'absent' }
  | { file: ArtifactFile; state: 'same' } // same name, same sha256: these exact bytes
  | { file: ArtifactFile; state: 'different'; remote: IndexFile };

export interface IndexInspection {
  files: FileState[];
  /** Files of this version on the index that are not ours by name (another build of the same version). */
  foreign: IndexFile[];
}

const fileName = (f: ArtifactFile) => basename(f.file);

/** True when `filename` is a wheel or sdist of `name` at exactly `version`. Pure. */
export function isFileOfVersion(filename: string, name: string, version: string): boolean {
  const f = filename.toLowerCase();
  const stem = `${distributionStem(name)}-${version.toLowerCase()}`;
  return f === `${stem}.tar.gz` || f === `${stem}.zip` || (f.startsWith(`${stem}-`) && f.endsWith('.whl'));
}

/** Compare our packed files with what the index lists. Pure. */
export function classify(ours: ArtifactFile[], remote: IndexFile[], name: string, version: string): IndexInspection {
  const byName = new Map(remote.map((r) => [r.filename.toLowerCase(), r]));
  const files: FileState[] = ours.map((file) => {
    const r = byName.get(fileName(file).toLowerCase());
    if (!r) return { file, state: 'absent' };
    if (r.sha256 === file.sha256) return { file, state: 'same' };
    return { file, state: 'different', remote: r };
  });
  const mine = new Set(ours.map((f) => fileName(f).toLowerCase()));
  const foreign = remote.filter((r) => !mine.has(r.filename.toLowerCase()) && isFileOfVersion(r.filename, name, version));
  return { files, foreign };
}

export async function inspectIndex(input: PublishInput, registry = pypiRegistry(input.env, input.destinations)): Promise<IndexInspection> {
  let remote: IndexFile[];
  try {
    remote = await listProjectFiles(registry, input.manifest.name);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause ? ` (${cause.code ?? cause.message})` : '';
    throw new Error(`cannot read the index ${projectPageUrl(registry, input.manifest.name)}: ${(err as Error).message}${why}; nothing was uploaded, re-run publish when it is back`);
  }
  return classify(input.manifest.files, remote, input.manifest.name, input.manifest.version);
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

/** The other commit behind files of our version that are not our bytes, or null when all present files are ours. */
async function conflictingSha(input: PublishInput, inspection: IndexInspection, registry: PypiRegistry): Promise<{ sha: string | null; files: string[] } | null> {
  const tools = resolvePythonTools(input.workspaceRoot, process.env);
  const suspects = [
    ...inspection.files.flatMap((s) => (s.state === 'different' ? [s.remote] : [])),
    ...inspection.foreign,
  ];
  if (suspects.length === 0) return null;
  let sha: string | null = null;
  const conflicting: string[] = [];
  for (const r of suspects) {
    const theirs = await remoteGitSha(tools, registry, r);
    // A foreign file (say, another wheel tag) built from our own commit is no conflict.
    if (theirs === input.manifest.gitSha && !inspection.files.some((s) => s.state === 'different' && s.remote === r)) continue;
    sha ??= theirs;
    conflicting.push(r.filename);
  }
  return conflicting.length ? { sha, files: conflicting } : null;
}

export async function lookupPypi(input: PublishInput): Promise<LookupResult> {
  const registry = pypiRegistry(input.env, input.destinations);
  const inspection = await inspectIndex(input, registry);
  const present = inspection.files.some((s) => s.state !== 'absent') || inspection.foreign.length > 0;
  if (!present) return { state: 'absent' };
  const conflict = await conflictingSha(input, inspection, registry);
  // Builds are reproducible, so the same bytes mean the same commit. Partial presence is still 'present': publish completes it.
  return { state: 'present', gitSha: conflict ? conflict.sha : input.manifest.gitSha };
}

function otherShaError(input: PublishInput, conflict: { sha: string | null; files: string[] }, registry: PypiRegistry): ReleaseError {
  const { manifest } = input;
  const other = conflict.sha ?? 'an unknown commit (its files record none)';
  if (conflict.sha === manifest.gitSha) {
    return new ReleaseError(
      `${manifest.name} ${manifest.version} is already on ${registry.indexUrl} from this same commit ${manifest.gitSha}, but with other bytes (${conflict.files.join(', ')}); nothing was uploaded`,
      'the build was not reproducible: pin the build backend in [build-system] requires (e.g. hatchling==X.Y.Z); the published files stay as they are',
      `${manifest.name}==${manifest.version}`,
    );
  }
  return new ReleaseError(
    `${manifest.name} ${manifest.version} is already on ${registry.indexUrl} from ${other}, but this run packed it from ${manifest.gitSha} (differing: ${conflict.files.join(', ')}); nothing was uploaded`,
    'a published version can never be replaced: publish from a new commit (a new dev version) or tag a new release',
    `${manifest.name}==${manifest.version}`,
  );
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

async function uploadOne(tools: PythonTools, registry: PypiRegistry, file: string, retry: RetryOptions, log: PublishInput['log']): Promise<void> {
  await withRetry(
    async () => {
      const cmd = uvPublish(tools, registry.uploadUrl, file, { username: registry.username, password: registry.password });
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

export async function publishPypi(input: PublishInput, opts: PypiPublishOptions = {}): Promise<PublishOutcome> {
  const { manifest, context, log } = input;
  if (manifest.skipped) return { status: 'skipped', reason: manifest.skipped };
  if (context.CHANNEL === 'build') return { status: 'skipped', reason: `channel is build (ref ${context.REF || 'unknown'}): only main (dev) and vX.Y.Z tags publish` };
  checkManifestFiles(input);
  const registry = pypiRegistry(input.env, input.destinations);
  const tools = resolvePythonTools(input.workspaceRoot, process.env);

  const inspection = await inspectIndex(input, registry);
  const conflict = await conflictingSha(input, inspection, registry);
  if (conflict) throw otherShaError(input, conflict, registry);

  const missing = inspection.files.filter((s) => s.state === 'absent').map((s) => s.file);
  const present = inspection.files.filter((s) => s.state === 'same').map((s) => fileName(s.file));
  if (missing.length === 0) {
    return { status: 'already-published', detail: `${manifest.name} ${manifest.version} is on ${registry.indexUrl} from ${manifest.gitSha} (${present.join(', ')}); nothing uploaded` };
  }
  if (present.length) log(`already on the index from this commit: ${present.join(', ')}; uploading only what is missing`);

  const uploaded: string[] = [];
  for (const f of missing) {
    const abs = join(input.workspaceRoot, f.file);
    log(`uploading ${fileName(f)} to ${registry.uploadUrl}`);
    try {
      await uploadOne(tools, registry, abs, opts.retry ?? {}, log);
      uploaded.push(fileName(f));
    } catch (err) {
      if (err instanceof UploadError && err.alreadyExists) {
        // Someone got there between our lookup and our upload: fine if it is our bytes.
        const again = await inspectIndex(input, registry);
        const mine = again.files.find((s) => s.file === f);
        if (mine?.state === 'same') {
          present.push(fileName(f));
          continue;
        }
        const c = await conflictingSha(input, again, registry);
        if (c) throw otherShaError(input, c, registry);
      }
      // Per artifact, what is on the index now and what is not: the same command completes the rest.
      const onIndex = [...present, ...uploaded];
      const notYet = missing.slice(missing.indexOf(f)).map(fileName);
      const state = `on the index: ${onIndex.join(', ') || 'none of this version'}; not uploaded: ${notYet.join(', ')}`;
      if (err instanceof UploadError && err.status !== null) {
        const said = err.serverMessage && !/^(None|null)?$/.test(err.serverMessage) ? `: ${err.serverMessage}` : '';
        const auth = err.status === 401 || err.status === 403;
        throw new ReleaseError(
          `${registry.uploadUrl} refused ${fileName(f)}: HTTP ${err.status}${auth ? ` (the credentials in ${pypiCredentialSource(input.env)} were refused)` : ''}${said} (${state})`,
          auth
            ? `the credentials in ${pypiCredentialSource(input.env)} were refused: replace them with valid ones that may upload to ${manifest.name}; ${pypiCredentialCheck(registry.uploadUrl)}`
            : 'fix what the server reports, then re-run publish (files already uploaded are not sent twice)',
          `${manifest.name}==${manifest.version}`,
        );
      }
      throw new Error(`${(err as Error).message}\n(${state}; run the same command again on this commit to upload the rest)`);
    }
  }
  const also = present.length ? `; already there: ${present.join(', ')}` : '';
  return { status: 'published', detail: `${manifest.name} ${manifest.version} (${manifest.gitSha}) -> ${registry.uploadUrl}: uploaded ${uploaded.join(', ') || 'nothing'}${also}` };
}

/** The packed files exist and are the bytes the manifest names (a half-rebuilt dist/ must not be uploaded). */
export function checkManifestFiles(input: PublishInput): void {
  for (const f of input.manifest.files) {
    const abs = join(input.workspaceRoot, f.file);
    if (!existsSync(abs)) throw new ReleaseError(`${f.file} is missing`, `re-run \`nx run ${input.manifest.project}:pack\``, f.file);
    if (sha256File(abs) !== f.sha256) {
      throw new ReleaseError(`${f.file} does not match the sha256 in pack-manifest.json`, `re-run \`nx run ${input.manifest.project}:pack\``, f.file);
    }
  }
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
  if (!input.manifest || input.manifest.skipped) return out;
  const publishInput = { ...input, manifest: input.manifest };
  const inspection = await inspectIndex(publishInput, registry);
  const conflict = await conflictingSha(publishInput, inspection, registry);
  if (conflict) {
    const e = otherShaError(publishInput, conflict, registry);
    out.push({ check: 'version', problem: e.what, fix: e.fix });
  }
  return out;
}

/** Dry-run lines: what goes where. Pure. */
export function planPypi(input: PublishInput): string[] {
  const { manifest, context } = input;
  if (manifest.skipped) return [`pypi ${manifest.name}: skipped (${manifest.skipped})`];
  if (context.CHANNEL === 'build') return [`pypi ${manifest.name} ${manifest.version}: nothing (build channel never publishes)`];
  const registry = pypiRegistry(input.env, input.destinations);
  return manifest.files.map(
    (f) => `pypi ${f.kind} ${f.file} -> ${registry.uploadUrl} (${manifest.name}==${manifest.version}, from ${manifest.gitSha}, sha256 ${f.sha256.slice(0, 12)})`,
  );
}
