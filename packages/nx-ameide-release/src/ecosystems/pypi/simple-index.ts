import { writeFileSync } from 'node:fs';
import { registerSecret } from '../../exec';
import type { PypiRegistry } from '../../destinations/registries';
import { withRetry } from '../../retry';
import { normalizeProjectName } from './commands';

/** A PEP 503 simple index, read over HTTP: which files a project has, with their sha256. */

export interface IndexFile {
  filename: string;
  url: string; // absolute, without the #fragment
  sha256: string | null;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    body: string,
  ) {
    super(`HTTP ${status} from ${url}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'HttpError';
  }
}

const decode = (s: string) =>
  s.replace(/&amp;/g, '&').replace(/&#0*39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** Parse the anchors of a simple-index project page. Pure. */
export function parseSimplePage(html: string, pageUrl: string): IndexFile[] {
  const files: IndexFile[] = [];
  for (const m of html.matchAll(/<a\s[^>]*href\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a>/gi)) {
    const href = decode(m[2] ?? m[3] ?? '');
    const abs = new URL(href, pageUrl);
    const sha = /(?:^|&)sha256=([0-9a-fA-F]{64})/.exec(abs.hash.slice(1));
    abs.hash = '';
    const text = decode(m[4].replace(/<[^>]*>/g, '').trim());
    const filename = text || decodeURIComponent(abs.pathname.split('/').pop() ?? '');
    files.push({ filename, url: abs.toString(), sha256: sha ? sha[1].toLowerCase() : null });
  }
  return files;
}

export function projectPageUrl(registry: PypiRegistry, name: string): string {
  return new URL(`${normalizeProjectName(name)}/`, registry.indexUrl).toString();
}

function basicAuth(registry: PypiRegistry): string | null {
  if (!registry.username || !registry.password) return null;
  return `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
}

/**
 * GET with credentials only when the index asks for them (401/403 on an anonymous read):
 * public indexes never see the upload token. Network errors and 5xx are retried.
 */
export async function indexGet(registry: PypiRegistry, url: string, timeoutMs = 30_000): Promise<{ status: number; body: Buffer; authUsed: boolean }> {
  const once = async (auth: string | null) => {
    const res = await fetch(url, {
      headers: auth ? { authorization: auth } : {},
      redirect: 'follow',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status >= 500) throw new HttpError(res.status, url, body.toString('utf8'));
    return { status: res.status, body };
  };
  return withRetry(
    async () => {
      const anon = await once(null);
      const auth = basicAuth(registry);
      if ((anon.status === 401 || anon.status === 403) && auth) return { ...(await once(auth)), authUsed: true };
      return { ...anon, authUsed: false };
    },
    undefined,
    { attempts: 3, initialDelayMs: 300 },
  );
}

/** The files the index lists for a project (empty when the project does not exist there yet). */
export async function listProjectFiles(registry: PypiRegistry, name: string): Promise<IndexFile[]> {
  const url = projectPageUrl(registry, name);
  const res = await indexGet(registry, url);
  if (res.status === 404) return [];
  if (res.status !== 200) throw new HttpError(res.status, url, res.body.toString('utf8'));
  return parseSimplePage(res.body.toString('utf8'), url);
}

export async function downloadTo(registry: PypiRegistry, url: string, file: string): Promise<void> {
  const res = await indexGet(registry, url, 120_000);
  if (res.status !== 200) throw new HttpError(res.status, url, res.body.toString('utf8'));
  writeFileSync(file, res.body);
}

/**
 * The index URL pip should use: with credentials embedded only when anonymous reads are
 * refused. The encoded forms are registered as secrets so they are redacted too.
 */
export async function readableIndexUrl(registry: PypiRegistry, name: string): Promise<string> {
  const res = await indexGet(registry, projectPageUrl(registry, name));
  if (!res.authUsed) return registry.indexUrl;
  const u = new URL(registry.indexUrl);
  u.username = encodeURIComponent(registry.username ?? '');
  u.password = encodeURIComponent(registry.password ?? '');
  registerSecret(u.password);
  registerSecret(u.toString());
  return u.toString();
}
