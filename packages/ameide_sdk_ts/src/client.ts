import { CLIENT_DEFAULTS, type RetryPolicy } from '@ameideio/configuration';
import { AmeideError } from './errors';
import {
  abortableSleep,
  authInterceptor,
  metadataInterceptor,
  retryInterceptor,
  timeoutInterceptor,
  tracingInterceptor,
} from './interceptors';
import { fetchTransport } from './transport';
import type { Interceptor, Sleep, TokenProvider, Tracer, UnaryFn } from './types';

export interface AmeideClientOptions {
  /** Default `https://api.ameide.io` (from @ameideio/configuration). */
  baseUrl?: string;
  /** Per-call deadline in ms, retries included. Default 5000. */
  timeoutMs?: number;
  /** Overrides of the default retry policy. `maxAttempts: 1` turns retries off. */
  retry?: Partial<RetryPolicy>;
  tenantId?: string;
  userId?: string;
  /** Sent on every call; keys are lower-cased. */
  headers?: Record<string, string>;
  tokenProvider?: TokenProvider;
  tracer?: Tracer;
  /** Run innermost, after tracing, once per attempt. */
  interceptors?: Interceptor[];
  /** Seams for tests and custom runtimes. */
  fetch?: typeof fetch;
  sleep?: Sleep;
  random?: () => number;
  requestId?: () => string;
}

export interface CallOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The built-in chain, outermost first; user interceptors follow. */
export const BUILTIN_INTERCEPTORS = ['metadata', 'auth', 'timeout', 'retry', 'tracing'] as const;

export class AmeideClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retryPolicy: RetryPolicy;
  private readonly chain: UnaryFn;
  private readonly closing = new AbortController();

  constructor(options: AmeideClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? CLIENT_DEFAULTS.endpoint).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    this.retryPolicy = { ...CLIENT_DEFAULTS.retry, ...options.retry };
    if (!/^https?:\/\//.test(this.baseUrl)) throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(this.baseUrl)}`);
    if (!(this.timeoutMs > 0)) throw new TypeError(`timeoutMs must be > 0, got ${this.timeoutMs}`);
    if (!(this.retryPolicy.maxAttempts >= 1)) throw new TypeError(`retry.maxAttempts must be >= 1, got ${this.retryPolicy.maxAttempts}`);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('no fetch available: pass options.fetch (Node >= 20 has one)');

    const interceptors: Interceptor[] = [
      metadataInterceptor(options),
      authInterceptor(options.tokenProvider),
      timeoutInterceptor(),
      retryInterceptor({ policy: this.retryPolicy, sleep: options.sleep ?? abortableSleep, random: options.random ?? Math.random }),
      tracingInterceptor(options.tracer),
      ...(options.interceptors ?? []),
    ];
    this.chain = interceptors.reduceRight<UnaryFn>((next, wrap) => wrap(next), fetchTransport(fetchImpl));
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Unary call: POST {baseUrl}/{service}/{method} with a JSON body; resolves to the response message. */
  async call<Res = unknown, Req = unknown>(service: string, method: string, body: Req, options: CallOptions = {}): Promise<Res> {
    if (this.closed) throw new AmeideError('canceled', 'the client is closed');
    const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
    const res = await this.chain({
      service,
      method,
      url: `${this.baseUrl}/${service}/${method}`,
      headers: options.headers ?? {},
      body,
      signal,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      attempt: 1,
    });
    return res.message as Res;
  }

  /** Cancels calls in flight and refuses new ones. Idempotent. */
  close(): void {
    if (!this.closed) this.closing.abort(new AmeideError('canceled', 'the client was closed'));
  }
}
