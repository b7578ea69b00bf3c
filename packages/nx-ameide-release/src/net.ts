import { redact } from './exec';
import { isTransientError, withRetry, type RetryOptions } from './retry';

/**
 * One bounded HTTP exchange for the preflight checks. A transient fault (a connection refused
 * or reset once, 5xx such as 502/503/504, one attempt that times out) is retried with the
 * project's one retry rule (src/retry.ts, as the uploads do), inside ONE time bound: the whole
 * probe, every attempt and wait included, ends within `timeoutMs`; each attempt gets at most
 * PROBE_ATTEMPT_MS of it, so a stalled first connection leaves time for a second. A registry
 * that stalls every connection fails at `timeoutMs`, never later. The final failure names the
 * host, the cause, the attempts and the time allowed. Credentials go in `headers` and never
 * into a message.
 */

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * The preflight's retry policy for one read, from the shared rule: 3 attempts, 250 ms then
 * 500 ms between them, all within `timeoutMs`. Adapters whose preflight reads go through their
 * own client (OCI, the npm packument) pass this as that client's `retry` and
 * probeAttemptMs(timeoutMs) as its per-request timeout.
 */
export function probeRetry(timeoutMs: number): RetryOptions {
  return { attempts: 3, initialDelayMs: 250, factor: 2, maxDelayMs: 1000, budgetMs: timeoutMs };
}

/** At most this per attempt: two timed-out attempts and the wait between them fit in timeoutMs. */
export function probeAttemptMs(timeoutMs: number): number {
  return Math.max(1, Math.floor((timeoutMs - (probeRetry(timeoutMs).initialDelayMs ?? 0)) / 2));
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

export class NetworkError extends Error {
  constructor(
    readonly host: string,
    readonly code: string,
    readonly timeoutMs: number,
    url: string,
    /** The cause of each attempt, in order (a code, or `HTTP 503`). */
    readonly causes: string[] = [code],
  ) {
    const tries = causes.length === 1 ? '1 attempt' : `${causes.length} attempts: ${causes.join(', ')}`;
    super(
      redact(
        code === 'ETIMEDOUT'
          ? `${host} did not answer within ${seconds(timeoutMs)} (${url}; ${tries})`
          : `cannot reach ${host} (${url}): ${code}, gave up after at most ${seconds(timeoutMs)} (${tries})`,
      ),
    );
    this.name = 'NetworkError';
  }
}

export interface ProbeResult {
  status: number;
  body: string;
  /** How many attempts it took (1 when the first answer was final). */
  attempts: number;
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

/** A transient status, carried through withRetry; the last one is returned as the answer. */
class TransientStatus extends Error {
  constructor(readonly status: number, readonly result: ProbeResult) {
    super(`HTTP ${status}`);
  }
}

/** One attempt's failure: its code decides transient (isTransientError reads `code`). */
class AttemptFailed extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * GET (or `init.method`) `url` within `timeoutMs` in all. Any HTTP answer is returned (the
 * caller judges 401, 404...); a 5xx is returned only when the retries did not get a better
 * one. No answer at all throws NetworkError.
 */
export async function probe(url: string, init: ProbeInit = {}, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS, retry: RetryOptions = probeRetry(timeoutMs)): Promise<ProbeResult> {
  const u = new URL(url);
  const shown = `${u.protocol}//${u.host}${u.pathname}`;
  const perAttempt = probeAttemptMs(timeoutMs);
  const causes: string[] = [];
  try {
    return await withRetry(
      async (attempt, remainingMs) => {
        let res: Response;
        let body: string;
        try {
          res = await fetch(url, {
            method: init.method ?? 'GET',
            headers: init.headers,
            body: init.body,
            redirect: 'follow',
            signal: AbortSignal.timeout(Math.max(1, Math.min(perAttempt, remainingMs))),
          });
          body = await res.text();
        } catch (e) {
          causes.push(networkCode(e));
          throw new AttemptFailed(causes[causes.length - 1]);
        }
        const result = { status: res.status, body, attempts: attempt };
        if (isTransientError({ status: res.status })) {
          causes.push(`HTTP ${res.status}`);
          throw new TransientStatus(res.status, result);
        }
        return result;
      },
      isTransientError,
      { ...retry, budgetMs: Math.min(retry.budgetMs ?? timeoutMs, timeoutMs) },
    );
  } catch (e) {
    if (e instanceof TransientStatus) return e.result;
    const code = e instanceof AttemptFailed ? e.code : networkCode(e);
    throw new NetworkError(u.host, code, timeoutMs, shown, causes.length ? causes : [code]);
  }
}
