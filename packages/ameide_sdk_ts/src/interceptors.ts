import { randomUUID } from 'node:crypto';
import { backoffDelayMs, type RetryPolicy } from '@ameideio/configuration';
import { AmeideError, errorCode } from './errors';
import type { Interceptor, Sleep, TokenProvider, Tracer, UnaryRequest } from './types';

export function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}

export interface MetadataOptions {
  tenantId?: string;
  userId?: string;
  headers?: Record<string, string>;
  requestId?: () => string;
}

/** Tenant, user and client headers under the call's own (the call wins); x-request-id when missing. */
export function metadataInterceptor(opts: MetadataOptions): Interceptor {
  const fixed = lowerCaseKeys(opts.headers);
  if (opts.tenantId) fixed['x-tenant-id'] = opts.tenantId;
  if (opts.userId) fixed['x-user-id'] = opts.userId;
  const newId = opts.requestId ?? randomUUID;
  return (next) => (req) => {
    const headers = { ...fixed, ...lowerCaseKeys(req.headers) };
    if (!headers['x-request-id']) headers['x-request-id'] = newId();
    return next({ ...req, headers });
  };
}

/** Authorization: Bearer <token>, asked once per call (retries reuse it). */
export function authInterceptor(tokenProvider: TokenProvider | undefined): Interceptor {
  return (next) => async (req) => {
    if (!tokenProvider) return next(req);
    const token = await tokenProvider();
    if (!token) throw new AmeideError('unauthenticated', 'the token provider returned an empty token');
    return next({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } });
  };
}

/** One deadline for the whole call, retries and backoff included. */
export function timeoutInterceptor(): Interceptor {
  return (next) => async (req) => {
    const ctl = new AbortController();
    const deadline = new AmeideError('deadline_exceeded', `${req.service}/${req.method} timed out after ${req.timeoutMs} ms`);
    const timer = setTimeout(() => ctl.abort(deadline), req.timeoutMs);
    const forward = () => ctl.abort(req.signal.reason);
    if (req.signal.aborted) forward();
    else req.signal.addEventListener('abort', forward, { once: true });
    try {
      return await next({ ...req, signal: ctl.signal });
    } catch (err) {
      if (ctl.signal.reason === deadline) throw deadline;
      throw err;
    } finally {
      clearTimeout(timer);
      req.signal.removeEventListener('abort', forward);
    }
  };
}

export interface RetryOptions {
  policy: RetryPolicy;
  sleep: Sleep;
  random: () => number;
}

/** Exponential backoff with jitter on the policy's codes only; the last attempt's error is thrown as is. */
export function retryInterceptor({ policy, sleep, random }: RetryOptions): Interceptor {
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next({ ...req, attempt });
      } catch (err) {
        const retryable = err instanceof AmeideError && policy.retryableCodes.includes(err.code);
        if (!retryable || attempt >= policy.maxAttempts || req.signal.aborted) throw err;
        await sleep(backoffDelayMs(policy, attempt, random()), req.signal);
      }
    }
  };
}

/** One span per attempt, named `service/method`, with OpenTelemetry rpc.* attributes. */
export function tracingInterceptor(tracer: Tracer | undefined): Interceptor {
  return (next) => async (req: UnaryRequest) => {
    if (!tracer) return next(req);
    const span = tracer.startSpan(`${req.service}/${req.method}`, {
      'rpc.system': 'connect_rpc',
      'rpc.service': req.service,
      'rpc.method': req.method,
      'rpc.attempt': req.attempt,
    });
    try {
      const res = await next(req);
      span.setAttribute('rpc.status', 'ok');
      span.end({ code: 'ok' });
      return res;
    } catch (err) {
      const code = errorCode(err);
      span.setAttribute('rpc.status', code);
      span.setAttribute('rpc.connect_rpc.error_code', code);
      span.end({ code, message: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  };
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
