/** Connect error codes a client may retry: the call did not take effect or may succeed later. */
export const RETRYABLE_CODES = ['unavailable', 'deadline_exceeded', 'aborted', 'resource_exhausted'] as const;
export type RetryableCode = (typeof RETRYABLE_CODES)[number];

export interface RetryPolicy {
  /** Total attempts, the first one included. */
  readonly maxAttempts: number;
  /** Delay before the first retry, in milliseconds. */
  readonly initialBackoffMs: number;
  /** Each further retry waits this many times longer than the previous one. */
  readonly backoffMultiplier: number;
  /** Upper bound of any single delay, in milliseconds (applied before and after jitter). */
  readonly maxBackoffMs: number;
  /** The delay is multiplied by a uniform random factor in [min, max). */
  readonly jitter: { readonly min: number; readonly max: number };
  readonly retryableCodes: readonly string[];
}

export interface ClientDefaults {
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

export const DEFAULT_ENDPOINT = 'https://api.ameide.io';
export const DEFAULT_TIMEOUT_MS = 5_000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  initialBackoffMs: 250,
  backoffMultiplier: 2,
  maxBackoffMs: 5_000,
  jitter: Object.freeze({ min: 0.5, max: 1.5 }),
  retryableCodes: Object.freeze([...RETRYABLE_CODES]),
});

export const CLIENT_DEFAULTS: ClientDefaults = Object.freeze({
  endpoint: DEFAULT_ENDPOINT,
  timeoutMs: DEFAULT_TIMEOUT_MS,
  retry: DEFAULT_RETRY_POLICY,
});

/**
 * Delay before retry number `retry` (1 = first retry), given a random number in [0, 1).
 * base = min(cap, initial * multiplier^(retry-1)); delay = min(cap, base * jitter(random)).
 * Pure so every SDK can share the formula and tests can pin the bounds exactly.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: number): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.backoffMultiplier ** (retry - 1));
  const factor = policy.jitter.min + random * (policy.jitter.max - policy.jitter.min);
  return Math.min(policy.maxBackoffMs, base * factor);
}
