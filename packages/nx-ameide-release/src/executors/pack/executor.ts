import type { ExecutorContext } from '@nx/devkit';
import { packTask } from '../../flow/task';
import { runExecutor, taskOf, type CommonOptions } from '../common';

/** `pack`: the project's artifacts into dist/<project>/ with its adapter (src/flow/task.ts). */
export default async function packExecutor(options: CommonOptions, ctx: ExecutorContext) {
  return runExecutor('pack', options, ctx, (args) => packTask(taskOf(args), Boolean(ctx.projectsConfigurations?.projects?.[args.project]?.targets?.build)));
}
