import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runOrThrow } from '../../exec';
import { forgetKeyAnswers, keyOpens, runIdentity } from './key-check';

/** Real cosign (a key pair made here), behind a wrapper that counts its runs. */
jest.setTimeout(120_000);

const COSIGN = process.env.COSIGN_BIN ?? join(homedir(), 'go/bin/cosign');

describe('runIdentity (pure)', () => {
  const stat = (pid: number) => `${pid} (node run (x)) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 19 20`;
  it.each([
    ['the Nx process that started the task, with its start time', { NX_INVOCATION_ANCESTOR_PIDS: '11,42' }, '42@987654'],
    ['one ancestor', { NX_INVOCATION_ANCESTOR_PIDS: '42' }, '42@987654'],
    ['outside Nx: none', {}, null],
    ['garbage: none', { NX_INVOCATION_ANCESTOR_PIDS: 'x,y' }, null],
  ])('%s', (_name, env, expected) => {
    expect(runIdentity(env, stat)).toBe(expected);
  });
  it('a process that is gone (no /proc entry): none', () => {
    expect(runIdentity({ NX_INVOCATION_ANCESTOR_PIDS: '42' }, () => null)).toBeNull();
  });
});

describe('keyOpens with the real cosign', () => {
  let tmp: string;
  let ws: string;
  let counter: string;
  let cosign: string;
  const runs = () => (existsSync(counter) ? readFileSync(counter, 'utf8').trim().split('\n').length : 0);

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ameide-key-check-'));
    await runOrThrow({ command: COSIGN, args: ['generate-key-pair'], cwd: tmp, env: { ...process.env, COSIGN_PASSWORD: 'key-pass' } });
    ws = join(tmp, 'ws');
    mkdirSync(join(ws, '.git'), { recursive: true });
    counter = join(tmp, 'cosign-runs.log');
    cosign = join(tmp, 'cosign-counting');
    writeFileSync(cosign, `#!/bin/sh\necho run >> '${counter}'\nexec '${COSIGN}' "$@"\n`);
    chmodSync(cosign, 0o755);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  beforeEach(() => forgetKeyAnswers());

  const ask = (password: string, env: NodeJS.ProcessEnv) => keyOpens({ key: join(tmp, 'cosign.key'), password, cosign, env: { ...process.env, ...env }, workspaceRoot: ws });
  // this test process stands in for the Nx process of a run: it has a /proc entry
  const thisRun = { NX_INVOCATION_ANCESTOR_PIDS: String(process.pid) };
  const otherRun = { NX_INVOCATION_ANCESTOR_PIDS: String(process.ppid) };

  it('the right password opens the key and gives its public half; a wrong one does not', async () => {
    const before = runs();
    const outsideNx = { NX_INVOCATION_ANCESTOR_PIDS: '' };
    const good = await ask('key-pass', outsideNx);
    expect(good).toEqual({ opens: true, publicKey: readFileSync(join(tmp, 'cosign.pub'), 'utf8') });
    const bad = await ask('wrong', outsideNx);
    expect(bad.opens).toBe(false);
    expect(runs() - before).toBe(2);
  });

  it('cosign runs once per key per run: a second task process of the same run reads the answer, another run asks again', async () => {
    const before = runs();
    expect((await ask('key-pass', thisRun)).opens).toBe(true);
    expect((await ask('key-pass', thisRun)).opens).toBe(true); // the same process: remembered in memory
    forgetKeyAnswers(); // another task process of the same run
    expect(await ask('key-pass', thisRun)).toEqual({ opens: true, publicKey: readFileSync(join(tmp, 'cosign.pub'), 'utf8') });
    expect(runs() - before).toBe(1);
    forgetKeyAnswers();
    expect((await ask('key-pass', otherRun)).opens).toBe(true);
    expect(runs() - before).toBe(2);
    // the record names the run and holds the public key: no password, nothing made from it
    const dir = join(ws, '.git/nx-ameide-release/cosign-key');
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text).not.toContain('key-pass');
      expect(Object.keys(JSON.parse(text)).sort()).toEqual(['publicKey', 'run']);
    }
  });

  it('task processes of one run that ask at the same time run cosign once: one holds the lock, the others wait for its record', async () => {
    const sameRun = { NX_INVOCATION_ANCESTOR_PIDS: String(process.ppid) }; // one run; a fresh workspace below, so no record yet
    const ws2 = join(tmp, 'ws-parallel');
    mkdirSync(join(ws2, '.git'), { recursive: true });
    const before = runs();
    const script = `require(${JSON.stringify(join(__dirname, 'key-check.ts'))}).keyOpens({ key: ${JSON.stringify(join(tmp, 'cosign.key'))}, password: 'key-pass', cosign: ${JSON.stringify(cosign)}, env: process.env, workspaceRoot: ${JSON.stringify(ws2)} }).then((a) => process.stdout.write(String(a.opens)))`;
    const child = () =>
      new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['-r', '@swc-node/register', '-e', script], { env: { ...process.env, ...sameRun }, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('error', reject);
        p.on('close', () => resolve(out));
      });
    expect(await Promise.all([child(), child(), child()])).toEqual(['true', 'true', 'true']);
    expect(runs() - before).toBe(1);
    expect(readdirSync(join(ws2, '.git/nx-ameide-release/cosign-key')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('a refusal is not stored (cosign is asked again), and another key file is another question', async () => {
    const thirdRun = { NX_INVOCATION_ANCESTOR_PIDS: '1' }; // a run whose tasks have not opened the key
    const before = runs();
    expect((await ask('wrong', thirdRun)).opens).toBe(false);
    forgetKeyAnswers();
    expect((await ask('wrong', thirdRun)).opens).toBe(false);
    expect(runs() - before).toBe(2);
    const missing = await keyOpens({ key: join(tmp, 'nope.key'), password: 'key-pass', cosign, env: { ...process.env, ...thirdRun }, workspaceRoot: ws });
    expect(missing).toEqual({ opens: false, said: expect.stringContaining('cannot read') });
  });
});
