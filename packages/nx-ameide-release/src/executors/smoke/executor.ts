import type { ExecutorContext } from '@nx/devkit';
import { smokeTask } from '../../flow/task';
import { runExecutor, taskOf, type CommonOptions } from '../common';

export interface SmokeOptions extends CommonOptions {
  /** npm projects: the package manager the consumer installs with (npm | pnpm); default: the workspace's. */
  smokePackageManager?: string;
}

/** `smoke`: install what was published, outside the workspace, as a consumer would (src/flow/task.ts). */
export default async function smokeExecutor(options: SmokeOptions, ctx: ExecutorContext) {
  return runExecutor('smoke', options, ctx, (args) => smokeTask(taskOf(args)));
}
