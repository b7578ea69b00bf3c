import type { ExecutorContext } from '@nx/devkit';
import { formatContext, resolveContext } from '../../context';
import { ReleaseError } from '../../errors';
import type { VersionOptions } from '../../version/types';

export interface VersionExecutorOptions extends VersionOptions {
  ecosystem?: string;
  ref?: string;
  dryRun?: boolean;
  format?: 'json' | 'env';
}

/** Thin: options in, resolveContext, the context printed; a refusal is a failed target with its fix. */
export default async function versionExecutor(
  options: VersionExecutorOptions,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const { ecosystem: _ecosystem, dryRun: _dryRun, format = 'json', ...versionOptions } = options;
  try {
    const ctx = await resolveContext({ workspaceRoot: context.root, env: process.env, options: versionOptions });
    process.stdout.write(formatContext(ctx, format));
    return { success: true };
  } catch (e) {
    if (e instanceof ReleaseError) {
      console.error(e.message);
      return { success: false };
    }
    throw e;
  }
}
