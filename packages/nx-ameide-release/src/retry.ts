/**
 * Retry transient failures (connection refused/reset, timeouts, 5xx) with exponential
 * backoff; anything else fails at once. `isTransient` decides per error.
 */
export interface RetryOptions {
  attempts?: number; // total attempts, default 4
  initialDelayMs?: number; // default 500
  factor?: number; // default 2
  maxDelayMs?: number; // default 5000
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const TRANSIENT_TEXT =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|network|timed? ?out|\b5\d\d\b|Service Unavailable|Bad Gateway|Gateway Time-?out|Internal Server Error/i;

/** True for failures worth another try: network errors and 5xx. A 4xx is never transient. */
export function isTransientError(err: unknown): boolean {
  const status = (err as { status?: number })?.status;
  if (typeof status === 'number') return status >= 500 || status === 429;
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
  return TRANSIENT_TEXT.test(text);
}

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  isTransient: (err: unknown) => boolean = isTransientError,
  opts: RetryOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = opts.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * (opts.factor ?? 2), opts.maxDelayMs ?? 5000);
    }
  }
}
