import { redact } from './exec';

/**
 * One bounded HTTP exchange for the preflight checks: no retry (a check answers quickly or
 * says why not), a hard timeout, and a failure that names the host, the cause and the time
 * allowed. Credentials go in `headers` and never into a message.
 */

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

export class NetworkError extends Error {
  constructor(
    readonly host: string,
    readonly code: string,
    readonly timeoutMs: number,
    url: string,
  ) {
    super(
      redact(
        code === 'ETIMEDOUT'
          ? `${host} did not answer within ${timeoutMs / 1000} s (${url})`
          : `cannot reach ${host} (${url}): ${code}, gave up after at most ${timeoutMs / 1000} s`,
      ),
    );
    this.name = 'NetworkError';
  }
}

export interface ProbeResult {
  status: number;
  body: string;
}

export interface ProbeInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The cause code of a failed fetch (ECONNREFUSED, ENOTFOUND, ETIMEDOUT...). */
export function networkCode(e: unknown): string {
  const err = e as { name?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
  if (err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError' || err?.name === 'AbortError') return 'ETIMEDOUT';
  return err?.cause?.code ?? err?.code ?? err?.cause?.message ?? (e instanceof Error ? e.message : String(e));
}

export async function probe(url: string, init: ProbeInit = {}, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const u = new URL(url);
  const shown = `${u.protocol}//${u.host}${u.pathname}`;
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers,
      body: init.body,
      redirect: 'follow',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    throw new NetworkError(u.host, networkCode(e), timeoutMs, shown);
  }
}
