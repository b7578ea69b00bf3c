/**
 * The drills' own tools (tools/drills): the fault proxy does to connections what it says, by its
 * seeded share; the secret scan finds a secret in every encoding it claims and never prints it.
 */
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startFaultProxy } = require(join(__dirname, '..', '..', '..', '..', 'tools', 'drills', 'fault-proxy.js'));
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { scanTexts } = require(join(__dirname, '..', '..', '..', '..', 'tools', 'drills', 'secret-scan.js'));

let server: Server;
let received: number[] = [];
let target = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      received.push(n);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  target = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => (received = []));

/** One POST over a fresh connection: the status, or the error code. */
function post(url: string, body: Buffer, timeoutMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent: false, timeout: timeoutMs, headers: { 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end(body);
  });
}

describe('fault proxy', () => {
  it.each([
    ['pass', {}, '200', 1],
    ['refuse', { refuse: 1 }, 'ECONNRESET', 0],
    ['http5xx', { http5xx: 1 }, '503', 0],
    ['stall', { stall: 1 }, 'TIMEOUT', 0],
  ])('%s (rates %j): the client sees %s', async (_name, rates, expected, reached) => {
    const p = await startFaultProxy({ target, rates });
    try {
      expect(await post(p.url, Buffer.alloc(1000))).toBe(expected);
      expect(received).toHaveLength(reached);
    } finally {
      await p.close();
    }
  });

  it('reset: part of a large body reaches the registry, then the client sees a reset (a partial upload)', async () => {
    const p = await startFaultProxy({ target, rates: { reset: 1 } });
    try {
      expect(await post(p.url, Buffer.alloc(256 * 1024))).toMatch(/ECONNRESET|EPIPE/);
      expect(received.every((n) => n < 256 * 1024)).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('the same seed draws the same faults; the share is roughly the rate', async () => {
    const fates = async (seed: number) => {
      const p = await startFaultProxy({ target, seed, rates: { http5xx: 0.3 } });
      const out: string[] = [];
      for (let i = 0; i < 40; i++) out.push(await post(p.url, Buffer.from('x')));
      await p.close();
      return out;
    };
    const a = await fates(42);
    expect(await fates(42)).toEqual(a);
    const share = a.filter((s) => s === '503').length / a.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.55);
  });

  it('refuses rates it cannot honour', () => {
    expect(() => startFaultProxy({ target, rates: { refuse: 0.7, reset: 0.7 } })).toThrow(/add up to 1\.4 > 1/);
    expect(() => startFaultProxy({ target, rates: { drop: 0.1 } })).toThrow(/unknown fault "drop"/);
  });
});

describe('secret scan', () => {
  const secret = 'Zq9-s3cr3t_T0ken-abcdef';
  it.each([
    ['plain', `Authorization: Bearer ${secret}`],
    ['url-encoded', `https://x/?t=${encodeURIComponent(`${secret}/+`)}`],
    ['base64', Buffer.from(secret).toString('base64')],
    ['basic-auth(ameide)', `Authorization: Basic ${Buffer.from(`ameide:${secret}`).toString('base64')}`],
  ])('finds the secret %s', (form, text) => {
    const s = form === 'url-encoded' ? `${secret}/+` : secret;
    const hits = scanTexts({ log: text }, { NPM_TOKEN: s });
    expect(hits.map((h: { form: string }) => h.form)).toContain(form);
    expect(JSON.stringify(hits)).not.toContain(s);
  });

  it('a clean log has no hits; a too-short secret is refused, not silently matched', () => {
    expect(scanTexts({ log: 'published @ameideio/configuration' }, { NPM_TOKEN: secret })).toEqual([]);
    expect(() => scanTexts({ log: 'x' }, { NPM_TOKEN: 'abc' })).toThrow(/shorter than 6/);
  });
});
