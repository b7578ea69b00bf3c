/**
 * Kill drill (docs/drills.md): a dev `publish ghcr` run is SIGKILLed (the nx process and every task
 * process it forked) at a seeded random moment; then the same command runs again. After each trial
 * every registry holds each artifact of that SHA exactly once, whole, counted from the registries'
 * own storage. DRILL_KILLS trials (default 3; 10 in the long variant), seed DRILL_SEED, both printed.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DRILL_TIMEOUT_MS, exactlyOnce, MAIN, secretHits, seeded, table } from './drills-support';
import { descendants, sandbox, sandboxEnv, ScratchWorkspace } from './workspace';

const TRIALS = Number(process.env.DRILL_KILLS || 3);
const SEED = Number(process.env.DRILL_SEED || 20261125);

let env: Record<string, string>;
let ws: ScratchWorkspace;
const outputs: Record<string, string> = {};

beforeAll(async () => {
  env = await sandboxEnv();
  ws = new ScratchWorkspace(env);
}, DRILL_TIMEOUT_MS);

afterAll(async () => {
  if (env) await sandbox.down(env);
  if (ws) rmSync(dirname(ws.dir), { recursive: true, force: true });
});


/** `nx run-many -t publish ghcr`, SIGKILLed with its whole tree after `afterMs`. */
function killedAfter(afterMs: number): Promise<{ code: number | null; output: string; killed: boolean; lastLine: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(ws.dir, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'publish', 'ghcr', '--parallel=1', '--outputStyle=static'], {
      cwd: ws.dir,
      env: { ...process.env, ...ws.env, GITHUB_REF: MAIN, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' },
    });
    let output = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      killed = true;
      for (const pid of descendants(child.pid!)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, afterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = output.split('\n').filter((l) => /\[(publish|ghcr|preflight) [\w-]+\]|> nx run/.test(l));
      resolve({ code, output, killed, lastLine: (lines.pop() ?? '(nothing printed yet)').trim().slice(0, 90) });
    });
  });
}

describe('kill drill', () => {
  it(`${TRIALS} dev publishes killed at random points: the re-run completes, each artifact exactly once`, async () => {
    // How long one uninterrupted run takes here: the kills are drawn within it.
    ws.commit('kill drill: calibration');
    const t0 = Date.now();
    const calibration = ws.nx(MAIN, ['publish', 'ghcr']);
    const fullMs = Date.now() - t0;
    outputs.calibration = calibration.output;
    expect(calibration.code).toBe(0);
    const random = seeded(SEED);
    console.log(`kill drill: seed ${SEED}, ${TRIALS} trials, kill points drawn in 0..${fullMs} ms (one full run)`);

    const rows: (string | number)[][] = [];
    const problems: string[] = [];
    for (let i = 1; i <= TRIALS; i++) {
      const sha = ws.commit(`kill drill trial ${i}`);
      const at = Math.floor(random() * fullMs);
      const killed = await killedAfter(at);
      outputs[`trial ${i} killed`] = killed.output;
      const rerun = ws.nx(MAIN, ['publish', 'ghcr']);
      outputs[`trial ${i} re-run`] = rerun.output;
      const already = (rerun.output.match(/already-published/g) ?? []).length;
      const missing = rerun.code === 0 ? await exactlyOnce(ws, env, sha) : [`re-run failed (exit ${rerun.code}): ${rerun.output.slice(-2000)}`];
      problems.push(...missing.map((p) => `trial ${i} (kill at ${at} ms): ${p}`));
      rows.push([i, sha.slice(0, 7), at, killed.killed ? 'killed' : `ended (${killed.code})`, killed.lastLine, already, missing.length ? 'FAIL' : 'ok']);
      console.log(`kill drill: trial ${i}: ${rows[rows.length - 1].join(' | ')}`);
    }
    console.log(table(['trial', 'sha', 'kill at ms', 'run', 'last line before the kill', 'already-published on re-run', 'verdict'], rows));
    expect(problems).toEqual([]);
    expect(rows.filter((r) => r[3] === 'killed').length).toBeGreaterThan(0);
  }, DRILL_TIMEOUT_MS);

  it('no secret in any output of the drill', () => {
    expect(secretHits(outputs, env)).toEqual([]);
  });
});
