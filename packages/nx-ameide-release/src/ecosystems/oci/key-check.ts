import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../hash';
import { run } from '../../exec';
import { readEntry, storeDir, writeEntry } from '../../store';
import { keyOpensCommand } from './sign';

/**
 * Does COSIGN_PASSWORD open COSIGN_KEY? `cosign public-key` answers (it opens the key and prints
 * its public half; writes nothing, asks no registry), and its answer is remembered for the rest of
 * the run: the preflight of every release project and each ghcr task ask the same question, and
 * one cosign run per key per run is enough.
 *
 * - In one process: by key-file digest and password (in memory only).
 * - Across the task processes of one Nx run: by key-file digest and the run (the Nx process that
 *   started the task, by pid and start time, from NX_INVOCATION_ANCESTOR_PIDS and /proc), in the
 *   clone's git directory (src/store.ts). Tasks that start together wait for the one that
 *   took the lock (`<digest>.lock`, naming its pid; a lock of a process that is gone is taken over). The record holds the public key and the run, never
 *   the password or anything made from it: within one run every task gets the same COSIGN_PASSWORD.
 *   Outside Nx, or where the run cannot be told (no /proc), cosign answers every time.
 *
 * The public half is what a re-run checks its stored bundles against (attest.ts, `reusableBundle`).
 */

export type KeyAnswer = { opens: true; publicKey: string } | { opens: false; said: string };

const inProcess = new Map<string, Promise<KeyAnswer>>();

/** The Nx run this process is a task of: the pid of the Nx process that started it and that process's start time. */
export function runIdentity(env: Record<string, string | undefined>, readProc: (pid: number) => string | null = procStat): string | null {
  const pids = (env.NX_INVOCATION_ANCESTOR_PIDS ?? '').split(',').map((p) => Number(p.trim())).filter((p) => Number.isInteger(p) && p > 0);
  const pid = pids[pids.length - 1];
  if (!pid) return null;
  const stat = readProc(pid);
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; the start time is field 22, counted after the ")"
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = fields?.[19];
  return start && /^\d+$/.test(start) ? `${pid}@${start}` : null;
}

function procStat(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
}

export interface KeyCheckInput {
  key: string; // a path (a KMS URI is not checked here)
  password?: string;
  cosign: string;
  env: NodeJS.ProcessEnv;
  workspaceRoot: string;
}

/** Whether the password opens the key, with the key's public half; cosign runs at most once per key per run. */
export function keyOpens(input: KeyCheckInput): Promise<KeyAnswer> {
  let keyDigest: string;
  try {
    keyDigest = sha256Hex(readFileSync(input.key));
  } catch (e) {
    return Promise.resolve({ opens: false, said: `cannot read ${input.key}: ${(e as Error).message}` });
  }
  const memo = `${keyDigest}\n${input.password ?? ''}`;
  let answer = inProcess.get(memo);
  if (!answer) {
    answer = ask(input, keyDigest);
    inProcess.set(memo, answer);
  }
  return answer;
}

async function ask(input: KeyCheckInput, keyDigest: string): Promise<KeyAnswer> {
  const runId = runIdentity(input.env);
  const dir = runId ? storeDir(input.workspaceRoot, 'cosign-key', input.env) : null;
  const name = `${keyDigest}.json`;
  const recorded = (): KeyAnswer | null => {
    try {
      const seen = JSON.parse(readEntry(dir, name) ?? 'null') as { run?: string; publicKey?: string } | null;
      return seen?.run === runId && typeof seen.publicKey === 'string' && seen.publicKey.includes('PUBLIC KEY') ? { opens: true, publicKey: seen.publicKey } : null;
    } catch {
      return null; // torn entry: ask cosign
    }
  };
  const known = recorded();
  if (known || !dir) return known ?? cosignAnswer(input, null, name);
  // The tasks of a run start together: one asks cosign, the others wait for its record.
  const lock = join(dir, `${keyDigest}.lock`);
  if (takeLock(lock)) {
    try {
      return await cosignAnswer(input, dir, name, runId);
    } finally {
      rmSync(lock, { force: true });
    }
  }
  for (let waited = 0; waited < LOCK_WAIT_MS && lockHeld(lock); waited += 100) await new Promise((r) => setTimeout(r, 100));
  return recorded() ?? cosignAnswer(input, dir, name, runId); // the holder found no opening key, or is gone: ask ourselves
}

const LOCK_WAIT_MS = 60_000;

/** Create the lock (it names this process); false when another live process holds it. */
function takeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(join(lock, '..'), { recursive: true });
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false; // no store: ask without one
      if (lockHeld(lock)) return false;
      rmSync(lock, { force: true }); // left by a process that is gone
    }
  }
  return false;
}

function lockHeld(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return true; // being written
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function cosignAnswer(input: KeyCheckInput, dir: string | null, name: string, runId: string | null = null): Promise<KeyAnswer> {
  const res = await run(keyOpensCommand({ key: input.key, password: input.password }, { cosign: input.cosign, env: input.env }));
  if (res.exitCode !== 0) {
    const said = `${res.stderr}\n${res.stdout}`.split('\n').map((l) => l.trim()).find((l) => /error/i.test(l)) ?? `exit ${res.exitCode}`;
    return { opens: false, said };
  }
  const publicKey = res.stdout.trim() + '\n';
  if (runId) writeEntry(dir, name, JSON.stringify({ run: runId, publicKey }));
  return { opens: true, publicKey };
}

/** Tests only: forget what this process remembered. */
export function forgetKeyAnswers(): void {
  inProcess.clear();
}
