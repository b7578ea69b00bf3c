import type { ExecutorContext } from '@nx/devkit';
import { redact } from '../exec';
import { ReleaseError } from '../errors';
import { resolveContext } from '../context';
import type { Ecosystem, Log } from '../core/contract';
import type { VersionContext, VersionOptions } from '../version/types';
import type { TaskInput } from '../flow/task';

export interface CommonOptions extends VersionOptions {
  ecosystem: Ecosystem;
  dryRun?: boolean;
  ref?: string;
  /** nx.json `destinations` merged with the project's own (set by the plugin); resolved at run time with AMEIDE_* on top. */
  destinations?: unknown;
}

export interface RunArgs<O> {
  options: O;
  workspaceRoot: string;
  project: string;
  projectRoot: string;
  dryRun: boolean;
  log: Log;
  /** The version context, computed once per task (or loaded from AMEIDE_CONTEXT_FILE). */
  context: () => Promise<VersionContext>;
}

/** Dry-run is read here and only here: the --dry-run option or NX_DRY_RUN=true. */
export function isDryRun(options: { dryRun?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return options.dryRun === true || /^(1|true|yes)$/i.test(env.NX_DRY_RUN ?? '');
}

/**
 * The one wrapper every executor goes through: resolves the project, reads dry-run,
 * prints prefixed and redacted lines, and turns any error into `{ success: false }`
 * with its message (a ReleaseError already says what and how to fix it).
 */
export async function runExecutor<O extends CommonOptions>(
  name: string,
  options: O,
  ctx: ExecutorContext,
  body: (args: RunArgs<O>) => Promise<void>,
): Promise<{ success: boolean }> {
  const project = ctx.projectName ?? '';
  const projectRoot = ctx.projectsConfigurations?.projects?.[project]?.root ?? '';
  const prefix = `[${name} ${project}]`;
  const log: Log = (line) => console.log(redact(`${prefix} ${line}`));
  let cached: Promise<VersionContext> | undefined;
  const { ecosystem: _e, dryRun: _d, ref, destinations: _dest, ...versionOptions } = options;
  try {
    await body({
      options,
      workspaceRoot: ctx.root,
      project,
      projectRoot,
      dryRun: isDryRun(options),
      log,
      context: () =>
        (cached ??= resolveContext({ workspaceRoot: ctx.root, env: process.env, options: { ...versionOptions, ref } })),
    });
    return { success: true };
  } catch (err) {
    const message = err instanceof Error ? describeSystemError(err) : String(err);
    // A ReleaseError already says what and how to fix it; a stack is for unexpected errors, on request.
    const stack = process.env.AMEIDE_DEBUG && err instanceof Error && !(err instanceof ReleaseError) ? `\n${err.stack}` : '';
    console.error(redact(`${prefix} failed: ${message}${stack}`));
    return { success: false };
  }
}

/** A full disk or a missing permission says where and what to do, as every other refusal does. */
export function describeSystemError(err: Error): string {
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? ` (${e.path})` : '';
  if (e.code === 'ENOSPC') return `no space left on the device${where}: ${err.message}\n  fix: free space there, or point TMPDIR at a disk with room (the packs and the smoke installs write to TMPDIR), then run the same command again`;
  if (e.code === 'EACCES' || e.code === 'EROFS') return `cannot write${where}: ${err.message}\n  fix: make it writable for this user, or point TMPDIR at a writable folder, then run the same command again`;
  return err.message;
}

/** The pipeline's input (src/flow/task.ts) from an executor's: the task's options, nothing read yet. */
export function taskOf<O extends CommonOptions>(a: RunArgs<O>): TaskInput {
  return {
    workspaceRoot: a.workspaceRoot, project: a.project, projectRoot: a.projectRoot, ecosystem: a.options.ecosystem,
    destinationsConfig: a.options.destinations, options: a.options as unknown as Record<string, unknown>, dryRun: a.dryRun, env: process.env, log: a.log, context: a.context,
  };
}
