import { AmeideError, codeFromHttpStatus } from './errors';
import type { UnaryFn, UnaryRequest } from './types';

function headersToRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => (out[k] = v));
  return out;
}

/** Connect unary over HTTP with JSON: POST the message, read the message or the Connect error JSON. */
export function fetchTransport(fetchImpl: typeof fetch): UnaryFn {
  return async (req: UnaryRequest) => {
    let res: Response;
    try {
      res = await fetchImpl(req.url, {
        method: 'POST',
        headers: { ...req.headers, 'content-type': 'application/json', 'connect-protocol-version': '1' },
        body: JSON.stringify(req.body ?? {}),
        signal: req.signal,
      });
    } catch (err) {
      if (req.signal.aborted) throw req.signal.reason instanceof AmeideError ? req.signal.reason : new AmeideError('canceled', 'call canceled', undefined, undefined, { cause: err });
      throw new AmeideError('unavailable', `cannot reach ${req.url}: ${(err as Error).message}`, undefined, undefined, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      let parsed: { code?: string; message?: string; details?: unknown } = {};
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not a Connect error body: the HTTP status decides */
      }
      const code = typeof parsed.code === 'string' ? parsed.code : codeFromHttpStatus(res.status);
      throw new AmeideError(code, parsed.message ?? (text || `HTTP ${res.status}`), res.status, parsed.details);
    }
    let message: unknown = {};
    if (text) {
      try {
        message = JSON.parse(text);
      } catch (err) {
        throw new AmeideError('internal', `response of ${req.url} is not JSON`, res.status, undefined, { cause: err });
      }
    }
    return { status: res.status, headers: headersToRecord(res.headers), message };
  };
}
