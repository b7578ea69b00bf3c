import { AsyncLocalStorage } from 'node:async_hooks';
import { redact } from '../../exec';
import { rememberRead } from '../../memo';
import { isTransientError, withRetry, type RetryOptions } from '../../retry';
import { MEDIA_TYPE_MANIFEST } from './image';
import { sha256Hex } from '../../hash';

/**
 * An OCI distribution (v2) client over fetch: enough to push an image and read tags back.
 * Auth: anonymous, Basic, and the Bearer token flow (GHCR, distribution `auth: token`), the
 * token fetched from the challenge's realm with Basic credentials when there are any, cached
 * per scope. Transient failures (network, 5xx, 429) are retried; any other 4xx fails at once
 * with the registry's own message. Credentials never appear in errors or logs.
 */

export interface RegistryClientOptions {
  registry: string; // host[:port]
  insecure?: boolean; // plain http
  username?: string;
  password?: string;
  retry?: RetryOptions;
  timeoutMs?: number; // per request, default 60s
}

export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly url: string,
    readonly detail: string,
  ) {
    super(redact(`${method} ${url} -> ${status}${detail ? `: ${detail}` : ''}`));
    this.name = 'RegistryHttpError';
  }
}

/** An OCI descriptor as a referrers index lists it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface RegistryStats {
  blobsUploaded: number;
  blobsSkipped: number;
  manifestsPut: number;
  tokenRequests: number;
}

export const MANIFEST_ACCEPT = [
  MEDIA_TYPE_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parse `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (quoted values may hold commas). */
export function parseChallenge(header: string | null): Challenge | null {
  if (!header) return null;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return null;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]))) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return { scheme, params };
}

/** The `next` target of an RFC 5988 Link header, if any. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel="?next"?/.test(m[2])) return m[1];
  }
  return null;
}

const digestOf = (b: Buffer) => `sha256:${sha256Hex(b)}`;

type Manifest = { digest: string; bytes: Buffer; mediaType: string };

/**
 * What one task learned from a registry, shared by every client it makes inside `inRegistrySession`
 * (the ghcr executor: its preflight re-check and its publish ask the same registry the same things).
 * The registry answered `GET /v2/` (per credentials), each repository's tags, each manifest read,
 * each blob (content-addressed). A write updates what it changed; a read that must see the registry
 * as it is now (the race check right before a PUT, what cosign wrote) asks with `fresh`. Kept in
 * memory for the task only: outside a session every read goes to the registry.
 */
export class RegistrySession {
  readonly answered = new Set<string>();
  readonly manifests = new Map<string, Promise<Manifest | null>>();
  readonly tags = new Map<string, Promise<string[]>>();
  readonly blobs = new Map<string, Promise<Buffer>>();
}

const sessions = new AsyncLocalStorage<RegistrySession>();

/** Run `fn` with one RegistrySession: every RegistryClient made inside shares what the registry said. */
export function inRegistrySession<T>(fn: () => Promise<T>): Promise<T> {
  return sessions.run(new RegistrySession(), fn);
}


function networkError(method: string, url: string, e: unknown): Error {
  const err = e as Error & { cause?: NodeJS.ErrnoException };
  const code = err?.cause?.code ?? (err?.name === 'TimeoutError' ? 'ETIMEDOUT' : '');
  const msg = err?.cause?.message ?? err?.message ?? String(e);
  const out = new Error(redact(`${method} ${url} failed: ${code ? `${code} ` : ''}${msg}`)) as NodeJS.ErrnoException;
  if (code) out.code = code;
  return out;
}

export class RegistryClient {
  readonly base: string;
  readonly stats: RegistryStats = { blobsUploaded: 0, blobsSkipped: 0, manifestsPut: 0, tokenRequests: 0 };
  private readonly tokens = new Map<string, string>();
  private scheme: 'basic' | 'bearer' | null = null;
  /** The task's session (inRegistrySession), if any; reads are keyed by registry and credentials. */
  private readonly session = sessions.getStore();
  private readonly who: string;

  constructor(private readonly opts: RegistryClientOptions) {
    this.base = `${opts.insecure ? 'http' : 'https'}://${opts.registry}`;
    this.who = `${this.base}\n${opts.username ?? ''}\n${sha256Hex(opts.password ?? '')}`;
  }

  private basicHeader(): string | null {
    const { username, password } = this.opts;
    if (!username && !password) return null;
    return `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`;
  }

  private async fetchToken(ch: Challenge, scope: string): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw new Error(`registry ${this.opts.registry} sent a Bearer challenge without realm`);
    const url = new URL(realm);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    if (scope) url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    const basic = this.basicHeader();
    if (basic) headers.authorization = basic;
    this.stats.tokenRequests++;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000) });
    } catch (e) {
      throw networkError('GET', url.origin + url.pathname, e);
    }
    const text = await res.text();
    if (!res.ok) throw new RegistryHttpError(res.status, 'GET', url.origin + url.pathname, `token request refused: ${text.slice(0, 300)}`);
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`token endpoint ${url.origin + url.pathname} did not answer JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`token endpoint ${url.origin + url.pathname} answered without token/access_token`);
    return token;
  }

  /**
   * One HTTP exchange with auth: sends known credentials, answers one 401 challenge, retries once.
   * `scope` is the bearer scope this request needs (repository:<repo>:pull or :pull,push).
   */
  private async send(method: string, url: string, scope: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
    const attempt = async (): Promise<Response> => {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (this.scheme === 'basic') {
        const b = this.basicHeader();
        if (b) headers.authorization = b;
      } else if (this.scheme === 'bearer') {
        const t = this.tokens.get(scope) ?? (scope.endsWith(':pull') ? this.tokens.get(`${scope},push`) : undefined);
        if (t) headers.authorization = `Bearer ${t}`;
      }
      try {
        return await fetch(url, {
          method,
          headers,
          body: init.body,
          redirect: 'follow',
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
        });
      } catch (e) {
        throw networkError(method, url, e);
      }
    };
    let res = await attempt();
    if (res.status !== 401) return res;
    const ch = parseChallenge(res.headers.get('www-authenticate'));
    await res.arrayBuffer().catch(() => undefined);
    if (!ch) return res;
    if (ch.scheme === 'basic') {
      if (!this.basicHeader() || this.scheme === 'basic') return res; // no creds, or creds refused
      this.scheme = 'basic';
    } else {
      // a cached token may have expired or lack the scope: fetch a fresh one, once
      const tokenScope = ch.params.scope || scope;
      this.scheme = 'bearer';
      this.tokens.set(scope, await this.fetchToken(ch, tokenScope));
    }
    res = await attempt();
    return res;
  }

  private async fail(res: Response, method: string, url: string): Promise<never> {
    const text = await res.text().catch(() => '');
    let detail = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
      if (j.errors?.length) detail = j.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      /* not JSON: keep the text */
    }
    if (res.status === 401) detail += ' (check OCI_USERNAME/OCI_PASSWORD or GITHUB_TOKEN)';
    throw new RegistryHttpError(res.status, method, url, detail);
  }

  private retry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, isTransientError, this.opts.retry);
  }

  private url(path: string): string {
    return `${this.base}/v2/${path}`;
  }

  /** GET /v2/: the registry answers and the credentials (if any) are accepted. */
  async ping(): Promise<void> {
    if (this.session?.answered.has(this.who)) return; // this task's session saw it answer with these credentials
    const url = this.url('');
    await this.retry(async () => {
      const res = await this.send('GET', url, '');
      if (!res.ok) await this.fail(res, 'GET', url);
      await res.arrayBuffer();
    });
    this.session?.answered.add(this.who);
  }

  /**
   * GET /v2/ asking for push rights on `repo`: Basic registries check the credentials on this
   * request, token registries when the token for `repository:<repo>:pull,push` is fetched.
   * Writes nothing. Throws RegistryHttpError (401/403: refused) or a network error.
   */
  async checkPush(repo: string): Promise<void> {
    const pushKey = `${this.who}\npush ${repo}`;
    if (this.session?.answered.has(pushKey)) return;
    const url = this.url('');
    await this.retry(async () => {
      const res = await this.send('GET', url, `repository:${repo}:pull,push`);
      if (!res.ok) await this.fail(res, 'GET', url);
      await res.arrayBuffer();
    });
    this.session?.answered.add(pushKey);
    this.session?.answered.add(this.who);
  }

  async blobExists(repo: string, digest: string): Promise<boolean> {
    const url = this.url(`${repo}/blobs/${digest}`);
    return this.retry(async () => {
      const res = await this.send('HEAD', url, `repository:${repo}:pull`);
      if (res.status === 404) return false;
      if (!res.ok) await this.fail(res, 'HEAD', url);
      return true;
    });
  }

  async getBlob(repo: string, digest: string): Promise<Buffer> {
    const read = () => this.fetchBlob(repo, digest);
    return this.session ? rememberRead(this.session.blobs, `${this.who}\n${repo}@${digest}`, read) : read();
  }

  private async fetchBlob(repo: string, digest: string): Promise<Buffer> {
    const url = this.url(`${repo}/blobs/${digest}`);
    return this.retry(async () => {
      const res = await this.send('GET', url, `repository:${repo}:pull`);
      if (!res.ok) await this.fail(res, 'GET', url);
      const bytes = Buffer.from(await res.arrayBuffer());
      if (digestOf(bytes) !== digest) throw new Error(`blob ${digest} from ${repo} does not match its digest`);
      return bytes;
    });
  }

  /** Upload unless present: HEAD, then POST + monolithic PUT ?digest=. Returns whether bytes were sent. */
  async uploadBlob(repo: string, digest: string, bytes: Buffer): Promise<'uploaded' | 'exists'> {
    if (await this.blobExists(repo, digest)) {
      this.stats.blobsSkipped++;
      return 'exists';
    }
    const scope = `repository:${repo}:pull,push`;
    await this.retry(async () => {
      const start = this.url(`${repo}/blobs/uploads/`);
      const res = await this.send('POST', start, scope, { headers: { 'content-length': '0' } });
      if (res.status !== 202) await this.fail(res, 'POST', start);
      await res.arrayBuffer();
      const location = res.headers.get('location');
      if (!location) throw new Error(`registry ${this.opts.registry} started an upload without a Location`);
      const put = new URL(location, this.base); // relative or absolute
      put.searchParams.set('digest', digest);
      const putRes = await this.send('PUT', put.toString(), scope, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
        body: bytes,
      });
      if (putRes.status !== 201) await this.fail(putRes, 'PUT', `${put.origin}${put.pathname}`);
      await putRes.arrayBuffer();
    });
    this.stats.blobsUploaded++;
    return 'uploaded';
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports (or computes). */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const url = this.url(`${repo}/manifests/${reference}`);
    return this.retry(async () => {
      const res = await this.send('PUT', url, `repository:${repo}:pull,push`, {
        headers: { 'content-type': mediaType },
        body: bytes,
      });
      if (res.status !== 201 && res.status !== 200) await this.fail(res, 'PUT', url);
      await res.arrayBuffer();
      this.stats.manifestsPut++;
      const digest = res.headers.get('docker-content-digest') ?? digestOf(bytes);
      if (this.session) {
        // what this task wrote is what a read would now return
        const stored = Promise.resolve({ digest, bytes, mediaType });
        this.session.manifests.set(`${this.who}\n${repo}:${reference}`, stored);
        this.session.manifests.set(`${this.who}\n${repo}:${digest}`, stored);
        const tags = this.session.tags.get(`${this.who}\n${repo}`);
        if (tags && !reference.startsWith('sha256:')) this.session.tags.set(`${this.who}\n${repo}`, tags.then((t) => (t.includes(reference) ? t : [...t, reference])));
      }
      return digest;
    });
  }

  /**
   * The manifest under a tag or digest, or null when there is none (404). In a session, a tag read
   * before is answered from it unless `fresh` (the registry as it is now: before a PUT, after cosign).
   */
  async getManifest(repo: string, reference: string, opts: { fresh?: boolean } = {}): Promise<Manifest | null> {
    const read = () => this.fetchManifest(repo, reference);
    return this.session ? rememberRead(this.session.manifests, `${this.who}\n${repo}:${reference}`, read, Boolean(opts.fresh)) : read();
  }

  private async fetchManifest(repo: string, reference: string): Promise<Manifest | null> {
    const url = this.url(`${repo}/manifests/${reference}`);
    return this.retry(async () => {
      const res = await this.send('GET', url, `repository:${repo}:pull`, { headers: { accept: MANIFEST_ACCEPT } });
      if (res.status === 404) {
        await res.arrayBuffer();
        return null;
      }
      if (!res.ok) await this.fail(res, 'GET', url);
      const bytes = Buffer.from(await res.arrayBuffer());
      return { digest: digestOf(bytes), bytes, mediaType: res.headers.get('content-type') ?? '' };
    });
  }

  /**
   * The referrers of a digest (OCI 1.1): `GET /v2/<repo>/referrers/<digest>` where the registry has
   * the API; where it answers 404 (docker-registry 2.8 has no such route), the index under the
   * referrers tag `sha256-<hex>` that clients keep there instead. [] when there are none. Never cached:
   * cosign writes referrers, not this client.
   */
  async referrers(repo: string, digest: string): Promise<Descriptor[]> {
    const url = this.url(`${repo}/referrers/${digest}`);
    const api = await this.retry(async () => {
      const res = await this.send('GET', url, `repository:${repo}:pull`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
      if (res.status === 404) {
        await res.arrayBuffer();
        return null;
      }
      if (!res.ok) await this.fail(res, 'GET', url);
      return Buffer.from(await res.arrayBuffer());
    });
    const index = api ?? (await this.fetchManifest(repo, digest.replace(':', '-')))?.bytes ?? null;
    if (!index) return [];
    try {
      const body = JSON.parse(index.toString('utf8')) as { manifests?: Descriptor[] };
      return Array.isArray(body.manifests) ? body.manifests : [];
    } catch {
      throw new Error(`the referrers of ${repo}@${digest} on ${this.opts.registry} are not an OCI index`);
    }
  }

  /** Every tag of a repository (following Link pagination); [] when the repository does not exist. */
  async listTags(repo: string, pageSize = 100): Promise<string[]> {
    const read = () => this.fetchTags(repo, pageSize);
    return this.session ? rememberRead(this.session.tags, `${this.who}\n${repo}`, read) : read();
  }

  private async fetchTags(repo: string, pageSize: number): Promise<string[]> {
    const tags: string[] = [];
    let next: string | null = this.url(`${repo}/tags/list?n=${pageSize}`);
    while (next) {
      const url: string = next;
      const page = await this.retry(async () => {
        const res = await this.send('GET', url, `repository:${repo}:pull`);
        if (res.status === 404) {
          await res.arrayBuffer();
          return { tags: [] as string[], link: null };
        }
        if (!res.ok) await this.fail(res, 'GET', url);
        const body = (await res.json()) as { tags?: string[] | null };
        return { tags: body.tags ?? [], link: nextLink(res.headers.get('link')) };
      });
      tags.push(...page.tags);
      next = page.link ? new URL(page.link, this.base).toString() : null;
    }
    return tags;
  }
}
