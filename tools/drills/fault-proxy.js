#!/usr/bin/env node
'use strict';
/**
 * A loopback TCP proxy that injects faults in front of one registry (Verdaccio, pypiserver,
 * docker-registry), for the fault drills (docs/drills.md).
 *
 * Each new client connection draws one fate from a seeded generator (so a drill is repeatable):
 *   pass     forwarded both ways untouched
 *   refuse   closed with a TCP reset before a byte is read (the client sees ECONNRESET / "socket hang up")
 *   reset    forwarded until part of the request body has reached the registry, then both sides are
 *            reset: a partial upload, as a dropped network does it
 *   stall    accepted and read, never answered, never closed (the client's own timeout must end it)
 *   http5xx  the request head is read and answered `503 Service Unavailable` (Connection: close)
 *            without reaching the registry
 * `rates` gives each fault's share (0..1); the rest passes. Faults decided per connection, not per
 * request: a keep-alive connection that passed keeps passing.
 *
 * Why not Toxiproxy: it injects TCP faults only (latency, reset_peer, timeout), not HTTP 5xx answers,
 * and it would be one more daemon to build and drive over its own API; this file is ~150 lines and
 * runs in the test's process.
 *
 * API:  const p = await startFaultProxy({ target: '127.0.0.1:4873', seed: 7, rates: { http5xx: 0.2 } });
 *       p.url / p.hostPort; p.setRates({...}); p.stats; await p.close();
 * CLI:  node tools/drills/fault-proxy.js <target host:port> [--seed N] [--refuse R] [--reset R] [--stall R] [--http5xx R] [--port P]
 */
const net = require('node:net');

const HOST = '127.0.0.1';
const FATES = ['refuse', 'reset', 'stall', 'http5xx'];

/** mulberry32: a small seeded PRNG, enough to replay a drill from its printed seed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validRates(rates) {
  const out = {};
  let sum = 0;
  for (const [k, v] of Object.entries(rates || {})) {
    if (!FATES.includes(k)) throw new Error(`fault-proxy: unknown fault "${k}" (known: ${FATES.join(', ')})`);
    if (!(typeof v === 'number' && v >= 0 && v <= 1)) throw new Error(`fault-proxy: rate of ${k} must be a number in 0..1, got ${v}`);
    out[k] = v;
    sum += v;
  }
  if (sum > 1) throw new Error(`fault-proxy: fault rates add up to ${sum} > 1`);
  return out;
}

/**
 * Start a proxy on 127.0.0.1 (a free port unless `port` is given) forwarding to `target` ("host:port").
 * Resolves { port, hostPort, url, stats, setRates, close }.
 */
function startFaultProxy({ target, seed = 1, rates = {}, port = 0, onFault } = {}) {
  const [targetHost, targetPort] = String(target).split(':');
  if (!targetHost || !Number(targetPort)) throw new Error(`fault-proxy: target must be host:port, got ${target}`);
  const random = prng(seed);
  let current = validRates(rates);
  const stats = { connections: 0, pass: 0, refuse: 0, reset: 0, stall: 0, http5xx: 0 };
  const open = new Set();

  const draw = () => {
    let x = random();
    for (const fate of FATES) {
      const r = current[fate] || 0;
      if (x < r) return fate;
      x -= r;
    }
    return 'pass';
  };

  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    stats.connections++;
    const fate = draw();
    stats[fate]++;
    if (fate !== 'pass' && onFault) onFault(fate);

    if (fate === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (fate === 'stall') {
      client.on('data', () => undefined); // read and hold: never answer, never close
      return;
    }
    if (fate === 'http5xx') {
      let head = '';
      const onData = (chunk) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        client.off('data', onData);
        client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 28\r\nConnection: close\r\n\r\nfault-proxy: injected 503\r\n\r\n');
        client.on('data', () => undefined);
      };
      client.on('data', onData);
      return;
    }

    const upstream = net.connect(Number(targetPort), targetHost);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    if (fate === 'pass') {
      client.pipe(upstream);
      upstream.pipe(client);
      return;
    }
    // reset: let the request head and part of its body through, then cut both sides mid-stream.
    let forwarded = 0;
    const budget = 256 + Math.floor(random() * 4096);
    let cut = false;
    const doCut = () => {
      if (cut) return;
      cut = true;
      upstream.resetAndDestroy();
      client.resetAndDestroy();
    };
    client.on('data', (chunk) => {
      if (cut) return;
      const room = budget - forwarded;
      if (chunk.length < room) {
        forwarded += chunk.length;
        upstream.write(chunk);
        return;
      }
      upstream.write(chunk.subarray(0, room), doCut);
    });
    // A request smaller than the budget (a GET) still gets cut once the registry starts answering.
    upstream.once('data', doCut);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      const p = server.address().port;
      resolve({
        port: p,
        hostPort: `${HOST}:${p}`,
        url: `http://${HOST}:${p}/`,
        stats,
        setRates(next) {
          current = validRates(next);
        },
        close() {
          for (const s of open) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

module.exports = { startFaultProxy, prng, FATES };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rates = {};
  for (const f of FATES) if (opt(`--${f}`) !== undefined) rates[f] = Number(opt(`--${f}`));
  startFaultProxy({ target: argv[0], seed: Number(opt('--seed') || 1), rates, port: Number(opt('--port') || 0), onFault: (f) => console.log(`fault-proxy: ${f}`) }).then(
    (p) => {
      console.log(`fault-proxy: ${p.url} -> ${argv[0]} rates ${JSON.stringify(rates)}`);
      const stop = () => p.close().then(() => {
        console.log(`fault-proxy: ${JSON.stringify(p.stats)}`);
        process.exit(0);
      });
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (e) => {
      console.error(e.message);
      process.exit(2);
    },
  );
}
