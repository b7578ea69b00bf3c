import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The one place a child process is spawned. Commands are data ({command, args}),
 * never shell strings; every line this module prints or throws has registered
 * secrets replaced by `***`.
 */
export interface Command {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text written to stdin, then closed. */
  input?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const secrets = new Set<string>();

/** Register a value (token, password) that must never be printed. Short values are ignored to keep output readable. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

export function formatCommand(cmd: Command): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return redact([cmd.command, ...cmd.args].map(quote).join(' '));
}

export class ExecError extends Error {
  constructor(
    readonly cmd: Command,
    readonly result: ExecResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-20).join('\n');
    super(redact(`command failed (exit ${result.exitCode}): ${formatCommand(cmd)}\n${tail}`));
    this.name = 'ExecError';
  }
}

/** Run a command; resolves with its output whatever the exit code. */
export function run(cmd: Command): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.command, cmd.args, {
      cwd: cmd.cwd,
      env: cmd.env ?? process.env,
      shell: false,
      // stdin is only opened when there is input: writing to a child that already exited
      // (git often does) raises EPIPE on the parent.
      stdio: [cmd.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // spawn reports a missing working directory as ENOENT too: say which one is missing.
      const hint =
        e.code !== 'ENOENT' ? '' : cmd.cwd && !existsSync(cmd.cwd) ? ` (the working directory ${cmd.cwd} does not exist)` : ` (is '${cmd.command}' installed and on PATH?)`;
      reject(new Error(redact(`cannot run ${formatCommand(cmd)}: ${e.message}${hint}`)));
    });
    child.on('close', (code, signal) =>
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // the child may exit before reading all of its input
      child.stdin.end(cmd.input);
    }
  });
}

/** Run a command and throw a redacted ExecError when it exits non-zero. */
export async function runOrThrow(cmd: Command): Promise<ExecResult> {
  const result = await run(cmd);
  if (result.exitCode !== 0) throw new ExecError(cmd, result);
  return result;
}
