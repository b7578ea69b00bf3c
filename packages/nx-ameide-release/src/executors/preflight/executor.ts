import type { ExecutorContext } from '@nx/devkit';
import { assertPreflight, runTargetsOf } from '../../flow/preflight';
import { isDryRun, runExecutor, type CommonOptions } from '../common';

export interface PreflightOptions extends CommonOptions {
  sign?: string;
  timeoutMs?: number;
}

/** `preflight`: every check of src/flow/preflight.ts for this project; one table of every problem, then fail. Writes nothing. */
export default async function preflightExecutor(options: PreflightOptions, ctx: ExecutorContext) {
  return runExecutor('preflight', options, ctx, async ({ workspaceRoot, project, projectRoot, log, context }) => {
    const { packages, images } = runTargetsOf(ctx.taskGraph, project);
    if (!packages && !images) {
      log('not published by this run (no publish, ghcr or smoke task of it in the task graph): nothing to check');
      return;
    }
    await assertPreflight({
      workspaceRoot,
      project,
      projectRoot,
      ecosystem: options.ecosystem,
      destinationsConfig: options.destinations,
      context,
      env: process.env,
      log,
      packages,
      images,
      sign: options.sign,
      options: options as unknown as Record<string, unknown>,
      timeoutMs: options.timeoutMs,
      verifyPack: { builtByNx: Boolean(ctx.projectsConfigurations?.projects?.[project]?.targets?.build) },
      record: !isDryRun(options),
    });
    const vc = await context();
    log(
      vc.CHANNEL === 'build'
        ? `channel 'build' (ref ${vc.REF}): nothing is published, nothing to check`
        : `ok: ${[packages ? 'package' : '', images ? 'image' : ''].filter(Boolean).join(' and ')} ready to publish (${vc.CHANNEL}, ${vc.SHORT_SHA})`,
    );
  });
}
