'use strict';
/**
 * A counting HTTP reverse proxy on loopback, one per registry, for the publish benchmarks.
 * Every request is forwarded unchanged (Host header included, so a registry builds its absolute
 * URLs - npm tarball links, OCI upload locations - against the proxy) to one upstream on 127.0.0.1,
 * and recorded: method, path, status, request body bytes (what a client uploads) and response body bytes.
 *
 *   const p = await startProxy('http://127.0.0.1:4873/', 'npm');  // p.url = 'http://127.0.0.1:<port>/', p.hostPort
 *   ... p.reset(); ... p.stats() -> { requests, uploadBytes, downloadBytes, byMethod, log }
 *   await p.close();
 *
 * It never forwards anywhere but the one loopback upstream it was started with.
 */
const http = require('node:http');

function startProxy(upstream, name) {
  const target = new URL(upstream);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
    throw new Error(`count-proxy ${name}: upstream ${upstream} is not on loopback; the benchmarks only measure local registries`);
  }
  const agent = new http.Agent({ keepAlive: true });
  let log = [];
  const server = http.createServer((req, res) => {
    const entry = { method: req.method, path: req.url, status: 0, up: 0, down: 0 };
    log.push(entry);
    const out = http.request(
      { host: target.hostname, port: Number(target.port), method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        entry.status = upRes.statusCode;
        res.writeHead(upRes.statusCode, upRes.statusMessage, upRes.rawHeaders);
        upRes.on('data', (c) => (entry.down += c.length));
        upRes.pipe(res);
      },
    );
    out.on('error', (err) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`count-proxy ${name}: ${err.message}\n`);
    });
    req.on('data', (c) => (entry.up += c.length));
    req.pipe(out);
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        name,
        url: `http://127.0.0.1:${port}/`,
        hostPort: `127.0.0.1:${port}`,
        reset() {
          log = [];
        },
        stats() {
          const byMethod = {};
          for (const e of log) byMethod[e.method] = (byMethod[e.method] || 0) + 1;
          return {
            requests: log.length,
            uploadBytes: log.reduce((s, e) => s + e.up, 0),
            downloadBytes: log.reduce((s, e) => s + e.down, 0),
            byMethod,
            log: log.slice(),
          };
        },
        close() {
          agent.destroy();
          server.closeAllConnections();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

module.exports = { startProxy };
