import type { ExecutorContext } from '@nx/devkit';
import { redact } from '../../exec';
import { ReleaseError } from '../../errors';
import { gitopsCheck, gitopsTable } from '../../gitops';

export interface GitopsCheckExecutorOptions {
  dirs?: string[];
  prodPaths?: string[];
  format?: 'table' | 'json';
}

/** Thin: options in, the same check as `nx-ameide-release gitops-check`, the table printed; any violation fails the target. */
export default async function gitopsCheckExecutor(options: GitopsCheckExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const prefix = `[gitops-check ${context.projectName ?? ''}]`;
  try {
    if (!Array.isArray(options.dirs) || options.dirs.length === 0) {
      throw new ReleaseError('gitops-check has no dirs', 'set them in nx.json: plugins[@ameideio/nx-ameide-release].options.gitops.dirs, e.g. ["deploy/overlays"]');
    }
    const report = await gitopsCheck({ workspaceRoot: context.root, cwd: context.root, dirs: options.dirs, protectedPaths: options.prodPaths, env: process.env });
    const text = options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : gitopsTable(report);
    for (const line of text.trimEnd().split('\n')) console.log(redact(`${prefix} ${line}`));
    return { success: report.violations.length === 0 };
  } catch (e) {
    if (!(e instanceof ReleaseError)) throw e;
    console.error(redact(`${prefix} failed: ${e.message}`));
    return { success: false };
  }
}
