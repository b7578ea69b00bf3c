import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_RETRY_POLICY } from '@ameideio/configuration';
import { AmeideClient, AmeideError, BUILTIN_INTERCEPTORS, buildInfo, type Interceptor, type Span, type Tracer } from './index';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}
type Reply = { status: number; body?: unknown; text?: string; delayMs?: number };

/** A real HTTP server on loopback; each test queues its replies (the last one repeats). */
let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let replies: Reply[] = [];
const pending = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: raw ? JSON.parse(raw) : undefined });
      const reply = (replies.length > 1 ? replies.shift() : replies[0]) ?? { status: 200, body: {} };
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'content-type': reply.text !== undefined ? 'text/plain' : 'application/json' });
        res.end(reply.text ?? JSON.stringify({ ...(reply.body as object), attempt: seen.length }));
      };
      if (reply.delayMs) {
        const t = setTimeout(() => (pending.delete(t), send()), reply.delayMs);
        pending.add(t);
      }
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  pending.forEach(clearTimeout);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen = [];
  replies = [];
});

const connectError = (status: number, code: string): Reply => ({ status, body: { code, message: `${code} from server` } });

/** Records every backoff instead of waiting it out, so bounds are exact and tests fast. */
function recordingSleep() {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms) };
}

describe('AmeideClient defaults', () => {
  it('come from @ameideio/configuration, with no localhost default', () => {
    const c = new AmeideClient();
    expect(c.baseUrl).toBe('https://api.ameide.io');
    expect(c.timeoutMs).toBe(5000);
    expect(c.retryPolicy).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('refuse a baseUrl that is not http(s)', () => {
    expect(() => new AmeideClient({ baseUrl: 'api.ameide.io' })).toThrow(/baseUrl must be an http/);
  });
});

describe('unary call', () => {
  it('POSTs JSON to {baseUrl}/{service}/{method} and returns the message', async () => {
    replies = [{ status: 200, body: { greeting: 'hi' } }];
    const c = new AmeideClient({ baseUrl: baseUrl + '/' });
    const res = await c.call<{ greeting: string }>('ameide.v1.Greeter', 'Greet', { name: 'x' });
    expect(res.greeting).toBe('hi');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/ameide.v1.Greeter/Greet', body: { name: 'x' } });
    expect(seen[0].headers['content-type']).toBe('application/json');
  });
});

describe('metadata', () => {
  it('merges tenant, user, client and call headers, lower-cased, the call winning', async () => {
    const c = new AmeideClient({
      baseUrl,
      tenantId: 't-1',
      userId: 'u-1',
      headers: { 'X-Client': 'a', 'X-Both': 'client' },
    });
    await c.call('s', 'm', {}, { headers: { 'X-Both': 'call', 'X-CALL-Only': 'c' } });
    const h = seen[0].headers;
    expect(h).toMatchObject({ 'x-tenant-id': 't-1', 'x-user-id': 'u-1', 'x-client': 'a', 'x-both': 'call', 'x-call-only': 'c' });
  });

  it('injects x-request-id when missing and keeps the caller one', async () => {
    const c = new AmeideClient({ baseUrl });
    await c.call('s', 'm', {});
    await c.call('s', 'm', {}, { headers: { 'X-Request-ID': 'given-id' } });
    expect(seen[0].headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(seen[1].headers['x-request-id']).toBe('given-id');
  });

  it('keeps one request id across the retries of a call', async () => {
    replies = [connectError(503, 'unavailable'), { status: 200, body: {} }];
    const { sleep } = recordingSleep();
    await new AmeideClient({ baseUrl, sleep }).call('s', 'm', {});
    expect(seen).toHaveLength(2);
    expect(seen[1].headers['x-request-id']).toBe(seen[0].headers['x-request-id']);
  });
});

describe('auth', () => {
  it('sends Authorization: Bearer from a sync provider', async () => {
    await new AmeideClient({ baseUrl, tokenProvider: () => 'tok-sync' }).call('s', 'm', {});
    expect(seen[0].headers.authorization).toBe('Bearer tok-sync');
  });

  it('awaits an async provider', async () => {
    const tokenProvider = async () => {
      await new Promise((r) => setTimeout(r, 5));
      return 'tok-async';
    };
    await new AmeideClient({ baseUrl, tokenProvider }).call('s', 'm', {});
    expect(seen[0].headers.authorization).toBe('Bearer tok-async');
  });

  it('lets a provider error reach the caller unchanged, and sends nothing', async () => {
    const boom = new Error('vault is sealed');
    const c = new AmeideClient({ baseUrl, tokenProvider: async () => Promise.reject(boom) });
    await expect(c.call('s', 'm', {})).rejects.toBe(boom);
    expect(seen).toHaveLength(0);
  });
});

describe('timeout', () => {
  it('fails with deadline_exceeded when the server is slower than the client timeout', async () => {
    replies = [{ status: 200, body: {}, delayMs: 1000 }];
    const started = Date.now();
    const err = (await new AmeideClient({ baseUrl, timeoutMs: 100 }).call('s', 'm', {}).catch((e: unknown) => e)) as AmeideError;
    expect(err).toBeInstanceOf(AmeideError);
    expect(err.code).toBe('deadline_exceeded');
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('takes a per-call timeout over the client one', async () => {
    replies = [{ status: 200, body: {}, delayMs: 300 }];
    const c = new AmeideClient({ baseUrl, timeoutMs: 50 });
    await expect(c.call('s', 'm', {}, { timeoutMs: 3000 })).resolves.toMatchObject({ attempt: 1 });
  });

  it('covers the backoff between attempts too', async () => {
    replies = [connectError(503, 'unavailable')];
    const c = new AmeideClient({ baseUrl, timeoutMs: 150, retry: { initialBackoffMs: 10_000 } });
    const started = Date.now();
    await expect(c.call('s', 'm', {})).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('retry', () => {
  it.each(['unavailable', 'deadline_exceeded', 'aborted', 'resource_exhausted'])('retries %s, then succeeds', async (code) => {
    replies = [connectError(503, code), connectError(503, code), { status: 200, body: { ok: true } }];
    const { sleep, sleeps } = recordingSleep();
    const res = await new AmeideClient({ baseUrl, sleep, random: () => 0.5 }).call('s', 'm', {});
    expect(res).toEqual({ ok: true, attempt: 3 });
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it('backs off within the jitter bounds: 0.5x at random 0, just under 1.5x at random ~1', async () => {
    replies = [connectError(503, 'unavailable')];
    const low = recordingSleep();
    await new AmeideClient({ baseUrl, sleep: low.sleep, random: () => 0 }).call('s', 'm', {}).catch(() => undefined);
    expect(low.sleeps).toEqual([125, 250]);
    const high = recordingSleep();
    await new AmeideClient({ baseUrl, sleep: high.sleep, random: () => 0.999999 }).call('s', 'm', {}).catch(() => undefined);
    expect(high.sleeps[0]).toBeCloseTo(375, 3);
    expect(high.sleeps[0]).toBeLessThan(375);
    expect(high.sleeps[1]).toBeCloseTo(750, 2);
    expect(high.sleeps[1]).toBeLessThan(750);
  });

  it('caps each delay at maxBackoffMs', async () => {
    replies = [connectError(503, 'unavailable')];
    const { sleep, sleeps } = recordingSleep();
    const c = new AmeideClient({ baseUrl, sleep, random: () => 0.999, retry: { maxAttempts: 6, initialBackoffMs: 1000 } });
    await c.call('s', 'm', {}).catch(() => undefined);
    expect(sleeps.map(Math.round)).toEqual([1499, 2998, 5000, 5000, 5000]);
  });

  it('throws the last attempt\'s own AmeideError after maxAttempts', async () => {
    replies = [connectError(503, 'unavailable')];
    const { sleep } = recordingSleep();
    const err = (await new AmeideClient({ baseUrl, sleep }).call('s', 'm', {}).catch((e: unknown) => e)) as AmeideError;
    expect(seen).toHaveLength(3);
    expect(err).toBeInstanceOf(AmeideError);
    expect(err).toMatchObject({ code: 'unavailable', httpStatus: 503 });
    expect(err.message).toContain('unavailable from server');
  });

  it.each([
    ['invalid_argument', 400],
    ['not_found', 404],
    ['permission_denied', 403],
    ['internal', 500],
  ])('fails fast on %s', async (code, status) => {
    replies = [connectError(status, code)];
    const { sleep, sleeps } = recordingSleep();
    await expect(new AmeideClient({ baseUrl, sleep }).call('s', 'm', {})).rejects.toMatchObject({ code, httpStatus: status });
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('maps HTTP status without a Connect body: 429 retried as unavailable, 404 fails fast as unimplemented', async () => {
    replies = [{ status: 429, text: 'slow down' }];
    const r1 = recordingSleep();
    await expect(new AmeideClient({ baseUrl, sleep: r1.sleep }).call('s', 'm', {})).rejects.toMatchObject({ code: 'unavailable' });
    expect(seen).toHaveLength(3);
    seen = [];
    replies = [{ status: 404, text: 'no such route' }];
    await expect(new AmeideClient({ baseUrl, sleep: r1.sleep }).call('s', 'm', {})).rejects.toMatchObject({ code: 'unimplemented' });
    expect(seen).toHaveLength(1);
  });

  it('retries a refused connection as unavailable', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const { sleep, sleeps } = recordingSleep();
    await expect(new AmeideClient({ baseUrl: `http://127.0.0.1:${port}`, sleep }).call('s', 'm', {})).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(sleeps).toHaveLength(2);
  });
});

describe('interceptor order and tracing', () => {
  it('lists the built-in chain in the documented order', () => {
    expect(BUILTIN_INTERCEPTORS).toEqual(['metadata', 'auth', 'timeout', 'retry', 'tracing']);
  });

  it('runs metadata -> auth -> timeout -> retry -> tracing -> user interceptors', async () => {
    replies = [connectError(503, 'unavailable'), { status: 200, body: {} }];
    const events: string[] = [];
    const spans: { name: string; attributes: Record<string, unknown>; status?: unknown }[] = [];
    const tracer: Tracer = {
      startSpan(name, attributes) {
        const rec: (typeof spans)[number] = { name, attributes: { ...attributes } };
        spans.push(rec);
        events.push(`span-start#${attributes['rpc.attempt']}`);
        const span: Span = {
          setAttribute: (k, v) => void (rec.attributes[k] = v),
          end: (status) => {
            rec.status = status;
            events.push(`span-end:${status.code}`);
          },
        };
        return span;
      },
    };
    const seenByUser: Record<string, string>[] = [];
    const user = (label: string): Interceptor => (next) => async (req) => {
      events.push(`${label}#${req.attempt}`);
      seenByUser.push(req.headers);
      return next(req);
    };
    const { sleep } = recordingSleep();
    const c = new AmeideClient({
      baseUrl,
      sleep,
      tracer,
      tokenProvider: () => {
        events.push('auth');
        return 'tok';
      },
      interceptors: [user('user-a'), user('user-b')],
    });
    await c.call('ameide.v1.Greeter', 'Greet', {}, { headers: { 'X-Upper': '1' } });

    // auth once per call (outside retry); one span per attempt (inside retry); user interceptors innermost.
    expect(events).toEqual([
      'auth',
      'span-start#1',
      'user-a#1',
      'user-b#1',
      'span-end:unavailable',
      'span-start#2',
      'user-a#2',
      'user-b#2',
      'span-end:ok',
    ]);
    // metadata and auth ran before the user interceptors saw the request.
    expect(seenByUser[0]).toMatchObject({ 'x-upper': '1', authorization: 'Bearer tok' });
    expect(seenByUser[0]['x-request-id']).toBeTruthy();
    expect(spans[0]).toMatchObject({
      name: 'ameide.v1.Greeter/Greet',
      attributes: {
        'rpc.system': 'connect_rpc',
        'rpc.service': 'ameide.v1.Greeter',
        'rpc.method': 'Greet',
        'rpc.status': 'unavailable',
        'rpc.connect_rpc.error_code': 'unavailable',
      },
      status: { code: 'unavailable' },
    });
    expect(spans[1].attributes['rpc.status']).toBe('ok');
  });
});

describe('close', () => {
  it('cancels a call in flight and refuses new ones', async () => {
    replies = [{ status: 200, body: {}, delayMs: 2000 }];
    const c = new AmeideClient({ baseUrl });
    const inFlight = c.call('s', 'm', {});
    await new Promise((r) => setTimeout(r, 50));
    c.close();
    c.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'canceled' });
    await expect(c.call('s', 'm', {})).rejects.toMatchObject({ code: 'canceled' });
    expect(seen).toHaveLength(1);
    expect(c.closed).toBe(true);
  });
});

describe('buildInfo', () => {
  it('reports the SDK package.json: 0.0.0 / unknown in the workspace', () => {
    expect(buildInfo()).toEqual({ name: '@ameideio/ameide-sdk-ts', version: '0.0.0', gitSha: 'unknown' });
  });
});
