import { createServer, type Server } from 'node:http';
import { listProjectFiles } from './simple-index';

/**
 * A real loopback HTTP server (not a registry) that resets the first connections, then serves a
 * PEP 503 page: what the fault drill's proxy does to pypiserver at a 3 % fault rate.
 */
let server: Server;
let requests = 0;
let resets = 0;
let indexUrl = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    if (requests <= resets) {
      res.socket?.resetAndDestroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<a href="/packages/demo-0.1.0.tar.gz#sha256=' + 'a'.repeat(64) + '">demo-0.1.0.tar.gz</a>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  indexUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/simple/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  requests = 0;
});

describe('PyPI index reads survive a reset connection', () => {
  it('a connection reset twice is read on the third attempt', async () => {
    resets = 2;
    const files = await listProjectFiles({ indexUrl, uploadUrl: indexUrl }, 'demo');
    expect(files.map((f) => f.filename)).toEqual(['demo-0.1.0.tar.gz']);
    expect(requests).toBe(3);
  });

  it('a connection that resets every time fails after the attempts, naming fetch', async () => {
    resets = 99;
    await expect(listProjectFiles({ indexUrl, uploadUrl: indexUrl }, 'demo')).rejects.toThrow(/fetch failed/);
    expect(requests).toBe(3);
  });
});
