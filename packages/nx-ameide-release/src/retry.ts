/**
 * Retry transient failures (connection refused/reset, timeouts, 5xx) with exponential
 * backoff; anything else fails at once. `isTransient` decides per error. With `budgetMs`
 * the whole call (every attempt and every wait) is bounded: no attempt starts once the
 * budget is spent, and each attempt is told how much of it is left.
 */
export interface RetryOptions {
  attempts?: number; // total attempts, default 4
  initialDelayMs?: number; // default 500
  factor?: number; // default 2
  maxDelayMs?: number; // default 5000
  /** Total time for all attempts and waits, from the first attempt; unbounded when absent. */
  budgetMs?: number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

// UND_ERR_SOCKET / "other side closed": Node's fetch (undici) when the peer resets a connection.
const TRANSIENT_TEXT =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EPIPE|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|other side closed|socket hang up|network|timed? ?out|\b5\d\d\b|Service Unavailable|Bad Gateway|Gateway Time-?out|Internal Server Error/i;

/** True for failures worth another try: network errors and 5xx. A 4xx is never transient. */
export function isTransientError(err: unknown): boolean {
  const status = (err as { status?: number })?.status;
  if (typeof status === 'number') return status >= 500 || status === 429;
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
  if (TRANSIENT_TEXT.test(text)) return true;
  // Node's fetch throws TypeError('fetch failed') and puts the socket's error in `cause`
  // (ECONNRESET, UND_ERR_SOCKET...): without reading it a reset connection looked final.
  const cause = (err as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== err && isTransientError(cause);
}

/**
 * Run `fn` until it succeeds, a failure is final, the attempts are used up, or (with budgetMs)
 * the next wait would end past the budget; then the last error is thrown. `remainingMs` is the
 * budget left when the attempt starts (Infinity without a budget).
 */
export async function withRetry<T>(
  fn: (attempt: number, remainingMs: number) => Promise<T>,
  isTransient: (err: unknown) => boolean = isTransientError,
  opts: RetryOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const started = now();
  const remaining = () => (opts.budgetMs === undefined ? Infinity : opts.budgetMs - (now() - started));
  let delay = opts.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt, remaining());
    } catch (err) {
      if (attempt >= attempts || !isTransient(err) || remaining() <= delay) throw err;
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * (opts.factor ?? 2), opts.maxDelayMs ?? 5000);
    }
  }
}
