import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { NetworkError, probe, probeAttemptMs } from './net';

/**
 * Real loopback HTTP servers (not registries): one that answers, one that never answers, and
 * ones that fail the first N requests in a chosen way, then answer.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
const servers: Server[] = [];
async function serve(handler: Handler): Promise<{ url: string; host: string; requests: () => number }> {
  let n = 0;
  const s = createServer((req, res) => handler(req, res, ++n));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(s.address() as { port: number }).port}`;
  return { url: `http://${host}/`, host, requests: () => n };
}
/** Fails the first `times` requests with `fail`, then answers 200 `ok`. */
const failing = (times: number, fail: (res: ServerResponse) => void): Handler => (_req, res, n) => (n <= times ? fail(res) : res.writeHead(200).end('ok'));
const status = (code: number) => (res: ServerResponse) => res.writeHead(code).end(`status ${code}`);
const reset = (res: ServerResponse) => res.socket?.resetAndDestroy();
const stall = () => undefined;

afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('probe: bounded, and a failure names host, cause and time', () => {
  it('answers with status and body', async () => {
    const ok = await serve((req, res) => res.writeHead(req.method === 'POST' ? 400 : 200).end('body'));
    await expect(probe(`${ok.url}x`, { method: 'POST' }, 2000)).resolves.toEqual({ status: 400, body: 'body', attempts: 1 });
  });

  it('a registry that does not answer: fails within the time allowed, naming host, time and attempts', async () => {
    const silent = await serve(stall);
    const started = Date.now();
    const err = await probe(`${silent.url}-/whoami`, {}, 1000).catch((e) => e);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(1600); // the bound is the whole probe's, not each attempt's
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toBe(`${silent.host} did not answer within 1 s (http://${silent.host}/-/whoami; 2 attempts: ETIMEDOUT, ETIMEDOUT)`);
    expect(silent.requests()).toBe(2);
  });

  it('nothing listening: the cause code and the attempts, never the credentials in the headers', async () => {
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    const closed = (spare.address() as { port: number }).port;
    await new Promise((r) => spare.close(r));
    const err = await probe(`http://127.0.0.1:${closed}/`, { headers: { authorization: 'Bearer s3cret' } }, 5000).catch((e) => e);
    expect(err.message).toBe(
      `cannot reach 127.0.0.1:${closed} (http://127.0.0.1:${closed}/): ECONNREFUSED, gave up after at most 5 s (3 attempts: ECONNREFUSED, ECONNREFUSED, ECONNREFUSED)`,
    );
    expect(err.message).not.toContain('s3cret');
  });
});

describe('probe: a transient fault is retried within the same bound', () => {
  it.each([
    ['503 once', failing(1, status(503)), 2],
    ['502 then 504', (_q: IncomingMessage, res: ServerResponse, n: number) => (n === 1 ? status(502)(res) : n === 2 ? status(504)(res) : res.writeHead(200).end('ok')), 3],
    ['a connection reset once', failing(1, reset), 2],
    ['a connection reset twice', failing(2, reset), 3],
  ])('%s: answered on a later attempt', async (_name, handler, attempts) => {
    const flaky = await serve(handler as Handler);
    await expect(probe(flaky.url, {}, 5000)).resolves.toEqual({ status: 200, body: 'ok', attempts });
    expect(flaky.requests()).toBe(attempts);
  });

  it('a first attempt that stalls: the second answers, inside the time allowed', async () => {
    const slow = await serve(failing(1, stall));
    const started = Date.now();
    await expect(probe(slow.url, {}, 2000)).resolves.toEqual({ status: 200, body: 'ok', attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(probeAttemptMs(2000) - 50);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a 5xx on every attempt: the last answer is returned for the caller to judge, after 3 attempts', async () => {
    const down = await serve(failing(99, status(503)));
    await expect(probe(down.url, {}, 5000)).resolves.toEqual({ status: 503, body: 'status 503', attempts: 3 });
    expect(down.requests()).toBe(3);
  });

  it.each([401, 404, 409])('HTTP %s is an answer, not a fault: one attempt', async (code) => {
    const final = await serve(failing(99, status(code)));
    await expect(probe(final.url, {}, 5000)).resolves.toEqual({ status: code, body: `status ${code}`, attempts: 1 });
    expect(final.requests()).toBe(1);
  });

  it('a name that does not resolve is final: one attempt', async () => {
    const err = await probe('http://no-such-host.invalid/', {}, 5000).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.causes).toEqual(['ENOTFOUND']);
    expect(err.message).toMatch(/ENOTFOUND, gave up after at most 5 s \(1 attempt\)$/);
  });
});
