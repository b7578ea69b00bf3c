import type { ExecutorContext } from '@nx/devkit';
import { publishTask } from '../../flow/task';
import { runExecutor, taskOf, type CommonOptions } from '../common';

/** `publish`: the project's package through the one pipeline (src/flow/task.ts) with its own adapter. */
export default async function publishExecutor(options: CommonOptions, ctx: ExecutorContext) {
  return runExecutor('publish', options, ctx, (args) => publishTask(taskOf(args), 'package', 'publish'));
}
