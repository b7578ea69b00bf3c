/**
 * Fault drill (docs/drills.md): a fault-injecting loopback proxy (tools/drills/fault-proxy.js) in
 * front of Verdaccio, pypiserver and the docker registry refuses, resets mid-request, or answers
 * 503 for a share of connections. Dev publishes in a row (DRILL_PUBLISHES, default 3; 20 in the long
 * variant), each re-run with the same command until it completes: every artifact ends in the
 * registries exactly once, whole (read back from the registries' storage), and every failed attempt
 * said clearly what failed. A registry that stalls fails the run within the stated probe timeout.
 * The Go mirror is not faulted: it is a local bare repository reached through git's file transport
 * (no socket to cut), and dev runs publish no Go version.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DRILL_TIMEOUT_MS, exactlyOnce, faultProxy, MAIN, nxAsync, registryState, secretHits, table } from './drills-support';
import { sandbox, sandboxEnv, ScratchWorkspace } from './workspace';

const PUBLISHES = Number(process.env.DRILL_PUBLISHES || 3);
const MAX_ATTEMPTS = Number(process.env.DRILL_MAX_ATTEMPTS || 10);
const SEED = Number(process.env.DRILL_SEED || 20261125);
const RATE = Number(process.env.DRILL_FAULT_RATE ?? 0.01); // per fault kind, per connection (a run opens dozens)
const RATES = { refuse: RATE, reset: RATE, http5xx: RATE };
/**
 * A stalled PyPI costs the preflight its probe timeouts (src/net.ts DEFAULT_PROBE_TIMEOUT_MS, 10 s; the
 * index and the upload URL are probed one after the other): the stalled run may take at most this much
 * longer than the same run against a PyPI that refuses at once (measured in the same drill, so the
 * machine's load cancels out).
 */
const STALL_EXTRA_S = 2 * 10 + 15;

let env: Record<string, string>;
let ws: ScratchWorkspace;
const proxies: Record<string, any> = {};
const outputs: Record<string, string> = {};

const hostPort = (url: string) => new URL(url).host;

beforeAll(async () => {
  env = await sandboxEnv();
  proxies.npm = await faultProxy.startFaultProxy({ target: hostPort(env.AMEIDE_NPM_REGISTRY), seed: SEED });
  proxies.pypi = await faultProxy.startFaultProxy({ target: hostPort(env.AMEIDE_PYPI_UPLOAD_URL), seed: SEED + 1 });
  proxies.oci = await faultProxy.startFaultProxy({ target: env.AMEIDE_OCI_REGISTRY, seed: SEED + 2 });
  // The plugin talks to the proxies; the checks read the registries directly (env).
  ws = new ScratchWorkspace({
    ...env,
    AMEIDE_NPM_REGISTRY: proxies.npm.url,
    AMEIDE_PYPI_UPLOAD_URL: proxies.pypi.url,
    AMEIDE_PYPI_INDEX_URL: `${proxies.pypi.url}simple/`,
    AMEIDE_OCI_REGISTRY: proxies.oci.hostPort,
  });
}, DRILL_TIMEOUT_MS);

afterAll(async () => {
  for (const p of Object.values(proxies)) await p.close();
  if (env) await sandbox.down(env);
  if (ws) rmSync(dirname(ws.dir), { recursive: true, force: true });
});

const setAll = (rates: Record<string, number>) => Object.values(proxies).forEach((p) => p.setRates(rates));
const faultCount = () => Object.values(proxies).reduce((n, p) => n + p.stats.refuse + p.stats.reset + p.stats.http5xx + p.stats.stall, 0);

/**
 * A failed attempt is clear when it names what failed: the preflight's table, a ReleaseError's fix,
 * or a failed upload's report of what the registry holds. Never a bare stack trace.
 */
const CLEAR = /\| check \| problem \| fix \||\n\s*fix: |the same command|registry now holds|re-run/i;

describe('fault drill', () => {
  it(`${PUBLISHES} dev publishes in a row through refusing, resetting and 503-answering registries: each artifact exactly once, whole`, async () => {
    console.log(`fault drill: seed ${SEED}, rates ${JSON.stringify(RATES)} per connection, ${PUBLISHES} publishes, at most ${MAX_ATTEMPTS} attempts each`);
    const rows: (string | number)[][] = [];
    const unclear: string[] = [];
    const problems: string[] = [];
    for (let i = 1; i <= PUBLISHES; i++) {
      const sha = ws.commit(`fault drill publish ${i}`);
      let attempts = 0;
      let ok = false;
      const firstLines: string[] = [];
      const faultsBefore = faultCount();
      setAll(RATES);
      while (!ok && attempts < MAX_ATTEMPTS) {
        attempts++;
        const run = await nxAsync(ws, MAIN, ['publish', 'ghcr']);
        outputs[`publish ${i} attempt ${attempts}`] = run.output;
        ok = run.code === 0;
        console.log(`fault drill: publish ${i} attempt ${attempts}: exit ${run.code}, faults so far ${faultCount()}`);
        if (!ok) {
          if (!CLEAR.test(run.output)) unclear.push(`publish ${i} attempt ${attempts}:\n${run.output.slice(-3000)}`);
          const line = run.output.split('\n').find((l) => /error|refused|cannot|failed|503|ECONN|did not answer/i.test(l) && !/^\s*at /.test(l));
          firstLines.push((line ?? '(no error line)').trim().slice(0, 110));
        }
      }
      setAll({});
      const missing = await exactlyOnce(ws, env, sha);
      problems.push(...missing.map((p) => `publish ${i}: ${p}`));
      rows.push([i, sha.slice(0, 7), attempts, faultCount() - faultsBefore, ok ? (missing.length ? 'INCOMPLETE' : 'ok') : 'GAVE UP', firstLines[0] ?? '']);
    }
    const stats = Object.entries(proxies).map(([n, p]) => [n, p.stats.connections, p.stats.refuse, p.stats.reset, p.stats.http5xx]);
    console.log(`${table(['publish', 'sha', 'attempts', 'faults', 'verdict', 'first failure'], rows)}\n\n${table(['proxy', 'connections', 'refused', 'reset', '503'], stats)}`);
    expect(faultCount()).toBeGreaterThan(0); // the drill drilled
    expect(unclear).toEqual([]);
    expect(problems).toEqual([]);
    expect(rows.filter((r) => r[4] !== 'ok')).toEqual([]);
  }, DRILL_TIMEOUT_MS);

  it(`a stalled registry (PyPI accepts, never answers): the run fails at most ${STALL_EXTRA_S} s later than against a refusing one, naming it, nothing published`, async () => {
    const sha = ws.commit('fault drill: stalled pypi');
    const before = await registryState(env);
    const timed = async (rates: Record<string, number>) => {
      proxies.pypi.setRates(rates);
      const t0 = Date.now();
      const run = await nxAsync(ws, MAIN, ['publish', 'ghcr']);
      proxies.pypi.setRates({});
      return { ...run, seconds: (Date.now() - t0) / 1000 };
    };
    const refused = await timed({ refuse: 1 });
    const stalled = await timed({ stall: 1 });
    outputs['refusing pypi'] = refused.output;
    outputs['stalled pypi'] = stalled.output;
    console.log(`stalled PyPI: exit ${stalled.code} after ${stalled.seconds.toFixed(1)} s; refusing PyPI: exit ${refused.code} after ${refused.seconds.toFixed(1)} s`);
    expect(refused.code).not.toBe(0);
    expect(stalled.code).not.toBe(0);
    expect(stalled.seconds - refused.seconds).toBeLessThan(STALL_EXTRA_S);
    expect(stalled.output).toMatch(new RegExp(`${proxies.pypi.hostPort.replace(/\./g, '\\.')} did not answer within 10 s`));
    expect(await registryState(env)).toEqual(before);
    // and the same command completes once the registry answers again
    const rerun = await nxAsync(ws, MAIN, ['publish', 'ghcr']);
    outputs['after the stall'] = rerun.output;
    expect(rerun.code).toBe(0);
    expect(await exactlyOnce(ws, env, sha)).toEqual([]);
  }, DRILL_TIMEOUT_MS);

  it('no secret in any output of the drill', () => {
    expect(Object.keys(outputs).length).toBeGreaterThanOrEqual(PUBLISHES + 2);
    expect(secretHits(outputs, env)).toEqual([]);
  });
});
