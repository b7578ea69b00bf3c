import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redact, run, type Command } from '../../exec';
import type { NpmRegistry } from '../../destinations/registries';
import { isTransientError, withRetry, type RetryOptions } from '../../retry';

/** The parts of a packument (GET <registry>/<name>) the release reads. */
export interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, { version: string; gitHead?: string }>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(redact(message));
    this.name = 'HttpError';
  }
}

/** `@scope/name` -> `@scope%2fname`, the form registries expect in a packument URL. */
export function packumentUrl(registryUrl: string, name: string): string {
  return `${registryUrl}${name.replace('/', '%2f')}`;
}

/** `http://127.0.0.1:4873/` -> `//127.0.0.1:4873/`, the key npm scopes credentials by. */
export function nerfDart(registryUrl: string): string {
  const u = new URL(registryUrl);
  return `//${u.host}${u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`}`;
}

/** GET with the token; network failures carry their code (ECONNREFUSED...) in the message so retry can tell. */
export async function httpGet(registry: NpmRegistry, url: string, timeoutMs = 15000): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (registry.token) headers.authorization = `Bearer ${registry.token}`;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const err = new Error(redact(`GET ${url}: ${cause?.code ?? ''} ${cause?.message ?? (e as Error).message}`.trim()));
    (err as NodeJS.ErrnoException).code = cause?.code;
    throw err;
  }
  return { status: res.status, body: await res.text() };
}

/** The packument, or null when the registry has never seen the package. */
export async function getPackument(registry: NpmRegistry, name: string, retry?: RetryOptions): Promise<Packument | null> {
  return withRetry(
    async () => {
      const url = packumentUrl(registry.url, name);
      const { status, body } = await httpGet(registry, url);
      if (status === 404) return null;
      if (status !== 200) throw new HttpError(status, `GET ${url}: HTTP ${status} ${body.slice(0, 300)}`);
      const doc = JSON.parse(body);
      return { name: doc.name ?? name, 'dist-tags': doc['dist-tags'] ?? {}, versions: doc.versions ?? {} };
    },
    isTransientError,
    retry,
  );
}

/** npm's own failure text, sorted into what the release does about it. */
export type NpmFailure = 'exists' | 'client' | 'transient' | 'unknown';

export function classifyNpmFailure(text: string): NpmFailure {
  if (/\bE409\b|EPUBLISHCONFLICT|cannot publish over|previously published|already present|already exists/i.test(text)) return 'exists';
  if (/\bE4\d\d\b|\b4\d\d (Bad Request|Unauthorized|Forbidden|Not Found|Conflict)/i.test(text)) return 'client';
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|\bE5\d\d\b|\b50[0234]\b/i.test(text)) return 'transient';
  return 'unknown';
}

export class NpmCommandError extends Error {
  constructor(
    readonly kind: NpmFailure,
    readonly text: string,
    what: string,
  ) {
    // npm's own lines, without its log-file noise; redacted like everything else.
    const lines = text
      .split('\n')
      .filter((l) => l.trim() && !/A complete log of this run|verbose|timing/.test(l))
      .slice(-12)
      .join('\n');
    super(redact(`${what} failed (${kind}):\n${lines}`));
    this.name = 'NpmCommandError';
  }
}

/**
 * A throwaway npm configuration OUTSIDE the workspace: a temp dir used as cwd (so no
 * workspace .npmrc is read) holding a 0600 userconfig that points npm at the registry. The
 * token is not written to disk: the npmrc references ${AMEIDE_NPM_AUTH_TOKEN}, which only the
 * child's environment carries. Always dispose() (finally).
 */
export class NpmSession {
  readonly dir: string;
  readonly userconfig: string;

  constructor(
    readonly registry: NpmRegistry,
    scope?: string,
    /** Trusted publishing: the CI's OIDC variables, handed to npm, which exchanges the ID token itself on `npm publish`. */
    private readonly oidcEnv: Record<string, string> = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'ameide-npm-'));
    this.userconfig = join(this.dir, '.npmrc-ameide');
    const lines = [`registry=${registry.url}`];
    if (scope) lines.push(`${scope}:registry=${registry.url}`);
    if (registry.token) lines.push(`${nerfDart(registry.url)}:_authToken=\${AMEIDE_NPM_AUTH_TOKEN}`);
    writeFileSync(this.userconfig, `${lines.join('\n')}\n`, { mode: 0o600 });
    chmodSync(this.userconfig, 0o600);
  }

  /** The child's environment: the caller's, minus npm settings that could redirect it, plus the token. */
  env(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(base)) {
      if (/^npm_config_/i.test(k) && /registry|userconfig|_auth|token|^npm_config_\/\//i.test(k)) continue;
      env[k] = v;
    }
    if (this.registry.token) env.AMEIDE_NPM_AUTH_TOKEN = this.registry.token;
    Object.assign(env, this.oidcEnv);
    return env;
  }

  /**
   * `npm <args> --registry <url> --userconfig <tmp>`, run in the session's temp dir. npm's own
   * retries are off (withRetry decides, and logs each attempt). Pure builder.
   */
  command(args: string[]): Command {
    return {
      command: 'npm',
      args: [...args, '--registry', this.registry.url, '--userconfig', this.userconfig, '--fetch-retries', '0', '--fetch-timeout', '120000'],
      cwd: this.dir,
      env: this.env(),
    };
  }

  /** Run npm once; a failure becomes an NpmCommandError classified for retry. */
  async npm(args: string[], what: string): Promise<string> {
    const res = await run(this.command(args));
    if (res.exitCode !== 0) {
      const text = `${res.stderr}\n${res.stdout}`;
      throw new NpmCommandError(classifyNpmFailure(text), text, what);
    }
    return res.stdout;
  }

  /** Run npm with retries on transient failures only. */
  async npmWithRetry(args: string[], what: string, retry?: RetryOptions): Promise<string> {
    return withRetry(() => this.npm(args, what), isTransientNpm, retry);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function isTransientNpm(err: unknown): boolean {
  if (err instanceof NpmCommandError) return err.kind === 'transient';
  return isTransientError(err);
}

/** `access` (destinations.npm.access) when configured; else npm's own rule (publishConfig.access). */
export function publishArgs(tgz: string, tag: string, access?: 'public' | 'restricted'): string[] {
  return ['publish', tgz, '--tag', tag, ...(access ? ['--access', access] : []), '--ignore-scripts'];
}

export function distTagAddArgs(name: string, version: string, tag: string): string[] {
  return ['dist-tag', 'add', `${name}@${version}`, tag];
}

export function distTagRmArgs(name: string, tag: string): string[] {
  return ['dist-tag', 'rm', name, tag];
}
