import { createServer, request, type Server } from 'node:http';

/**
 * A loopback HTTP proxy in front of the test registry that records every request it forwards
 * (method and path), so a test can assert what was sent to the registry: e.g. that a re-run
 * makes no blob upload and no manifest PUT. The Host header is passed through, so the
 * registry's absolute upload locations point back at the proxy.
 */
export interface CountingProxy {
  host: string; // 127.0.0.1:<port>
  requests: { method: string; path: string }[];
  /** The recorded writes (POST, PUT, PATCH, DELETE). */
  writes(): { method: string; path: string }[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const [targetHost, targetPort] = target.split(':');
  const requests: { method: string; path: string }[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    const upstream = request(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => !['GET', 'HEAD'].includes(r.method)),
    reset: () => void requests.splice(0),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
