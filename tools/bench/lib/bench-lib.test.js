'use strict';
// node --test tools/bench/lib/bench-lib.test.js : the counting proxy and the spawn log the publish benchmarks rely on.
const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startProxy } = require('./count-proxy.js');
const { run, spawnSummary, childCpuSeconds } = require('./workbench.js');

function upstream() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      // like a registry: an absolute URL built from the Host header it was sent
      res.writeHead(req.method === 'PUT' ? 201 : 200, { location: `http://${req.headers.host}/x` });
      res.end(req.method === 'PUT' ? '' : `got ${body.length}`);
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function request(url, method, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('count-proxy forwards unchanged and counts requests, uploaded and downloaded bytes', async () => {
  const up = await upstream();
  const p = await startProxy(`http://127.0.0.1:${up.address().port}/`, 't');
  try {
    const a = await request(`${p.url}pkg`, 'GET');
    const b = await request(`${p.url}pkg`, 'PUT', 'x'.repeat(1000));
    assert.strictEqual(a.status, 200);
    assert.strictEqual(a.data, 'got 0');
    assert.strictEqual(b.status, 201);
    assert.strictEqual(a.location, `http://${p.hostPort}/x`, 'the Host header reaches the upstream unchanged');
    const s = p.stats();
    assert.strictEqual(s.requests, 2);
    assert.strictEqual(s.uploadBytes, 1000);
    assert.strictEqual(s.downloadBytes, 5);
    assert.deepStrictEqual(s.byMethod, { GET: 1, PUT: 1 });
    p.reset();
    assert.strictEqual(p.stats().requests, 0);
  } finally {
    await p.close();
    up.close();
  }
});

test('count-proxy refuses an upstream off loopback', () => {
  assert.throws(() => startProxy('http://registry.example.org/', 't'), /not on loopback/);
});

test('run() logs child processes through the spawn log and measures CPU seconds', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lib-'));
  try {
    const script = "const cp=require('node:child_process');cp.spawnSync('git',['--version']);cp.execFileSync('git',['-C','.','rev-parse','--git-dir'],{stdio:'ignore'});let x=0;for(let i=0;i<5e7;i++)x+=i;";
    const r = await run(process.execPath, ['-e', script], { cwd: dir, env: process.env, spawnLog: path.join(dir, 'spawns.jsonl'), allowFail: true });
    const by = spawnSummary(r.spawns);
    assert.strictEqual(by.git.n, 1, 'git with no subcommand (--version)');
    assert.strictEqual(by['git rev-parse'].n, 1);
    if (childCpuSeconds() !== null) assert.ok(r.cpu > 0, `CPU seconds measured: ${r.cpu}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tree-memory sums the resident sets of a process and its children', async () => {
  const { watchTree, treeRss } = require('./tree-memory.js');
  if (!fs.existsSync('/proc/self/stat')) return; // Linux only: elsewhere stop() gives nulls
  const self = treeRss(process.pid);
  assert.ok(self.tree >= process.memoryUsage().rss * 0.5, `own RSS counted: ${self.tree}`);
  // a child holding 150 MB, and its own child holding 100 MB: the tree's peak holds both
  const script = "const b=Buffer.alloc(150e6,1);require('node:child_process').spawnSync(process.execPath,['-e','const c=Buffer.alloc(100e6,1);setTimeout(()=>c.length,800)']);b.length;";
  const r = await run(process.execPath, ['-e', script], { cwd: os.tmpdir(), env: process.env, memory: true });
  assert.ok(r.memory.samples > 0);
  assert.ok(r.memory.peakTreeBytes >= 250e6, `peak tree ${r.memory.peakTreeBytes}`);
  assert.ok(r.memory.peakProcessBytes >= 150e6 && r.memory.peakProcessBytes < r.memory.peakTreeBytes, `largest ${r.memory.peakProcessBytes}`);
  assert.strictEqual(r.memory.peakProcesses, 2);
  const none = watchTree(() => []).stop();
  assert.strictEqual(none.peakTreeBytes, 0, 'no roots, nothing counted');
});

test('scale-workspace plans the mix: npm with workspace dependencies, PyPI, Go with and without /v2', () => {
  const { planProjects } = require('./scale-workspace.js');
  const five = planProjects(5);
  assert.deepStrictEqual(five.map((p) => p.ecosystem), ['npm', 'pypi', 'go', 'npm', 'pypi']);
  assert.deepStrictEqual(five.find((p) => p.name === 'npm-p3').dependsOn, ['npm-p0']);
  assert.match(five.find((p) => p.ecosystem === 'go').goModule, /\/v2$/);
  const hundred = planProjects(100);
  const count = (e) => hundred.filter((p) => p.ecosystem === e).length;
  assert.deepStrictEqual([count('npm'), count('pypi'), count('go')], [40, 30, 30]);
  const index = new Map(hundred.map((p, i) => [p.name, i]));
  for (const p of hundred) for (const d of p.dependsOn || []) assert.ok(index.get(d) < index.get(p.name), `${p.name} depends on an earlier project`);
  assert.strictEqual(hundred.filter((p) => /\/v2$/.test(p.goModule || '')).length, 15);
  assert.strictEqual(hundred.filter((p) => p.dependsOn).length, 20);
});
