import { createServer, type Server } from 'node:http';
import { NetworkError, probe } from './net';

/** A real loopback server that accepts and never answers, and one that answers. */
describe('probe: bounded, and a failure names host, cause and time', () => {
  let silent: Server;
  let ok: Server;
  const port = (s: Server) => (s.address() as { port: number }).port;
  beforeAll(async () => {
    silent = createServer(() => undefined);
    ok = createServer((req, res) => res.writeHead(req.method === 'POST' ? 400 : 200).end('body'));
    await Promise.all([silent, ok].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await Promise.all([silent, ok].map((s) => new Promise((r) => s.close(r))));
  });

  it('answers with status and body', async () => {
    await expect(probe(`http://127.0.0.1:${port(ok)}/x`, { method: 'POST' }, 2000)).resolves.toEqual({ status: 400, body: 'body' });
  });

  it('a registry that does not answer: the host and the time allowed', async () => {
    const started = Date.now();
    const err = await probe(`http://127.0.0.1:${port(silent)}/-/whoami`, {}, 300).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toBe(`127.0.0.1:${port(silent)} did not answer within 0.3 s (http://127.0.0.1:${port(silent)}/-/whoami)`);
  });

  it('nothing listening: the cause code, never the credentials in the headers', async () => {
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    const closed = port(spare);
    await new Promise((r) => spare.close(r));
    const err = await probe(`http://127.0.0.1:${closed}/`, { headers: { authorization: 'Bearer s3cret' } }, 1000).catch((e) => e);
    expect(err.message).toMatch(new RegExp(`^cannot reach 127\\.0\\.0\\.1:${closed} \\(http://127\\.0\\.0\\.1:${closed}/\\): ECONNREFUSED, gave up after at most 1 s$`));
    expect(err.message).not.toContain('s3cret');
  });
});
