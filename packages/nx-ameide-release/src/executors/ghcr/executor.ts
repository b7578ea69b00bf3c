import type { ExecutorContext } from '@nx/devkit';
import { publishTask } from '../../flow/task';
import { runExecutor, taskOf, type CommonOptions } from '../common';

export interface GhcrOptions extends CommonOptions {
  /** key | keyless | off; default: key when COSIGN_KEY is set, keyless in GitHub Actions. */
  sign?: string;
}

/** `ghcr`: the project's image through the one pipeline (src/flow/task.ts) with the image adapter. */
export default async function ghcrExecutor(options: GhcrOptions, ctx: ExecutorContext) {
  return runExecutor('ghcr', options, ctx, (args) => publishTask(taskOf(args), 'image', 'ghcr'));
}
