import type { ExecutorContext } from '@nx/devkit';
import { adapterFor } from '../../ecosystems';
import { readPackManifest, runDestinations, runExecutor, type CommonOptions } from '../common';

export interface SmokeOptions extends CommonOptions {
  /** npm projects: the package manager the consumer installs with (npm | pnpm); default: the workspace's. */
  smokePackageManager?: string;
}

export default async function smokeExecutor(options: SmokeOptions, ctx: ExecutorContext) {
  return runExecutor('smoke', options, ctx, async ({ workspaceRoot, project, projectRoot, dryRun, log, context }) => {
    const vc = await context();
    if (vc.CHANNEL === 'build') {
      log(`channel 'build': nothing was published, so there is nothing to install.`);
      return;
    }
    const manifest = readPackManifest(workspaceRoot, project, vc);
    if (manifest.skipped) {
      log(`skipped: ${manifest.skipped}`);
      return;
    }
    const destinations = runDestinations({ options, workspaceRoot, projectRoot, project, manifest, kinds: [options.ecosystem], env: process.env, log });
    if (dryRun) {
      log(`dry-run: would install ${manifest.name}@${manifest.version} from its registry outside the workspace`);
      return;
    }
    const result = await adapterFor(options.ecosystem).smoke({ workspaceRoot, manifest, context: vc, destinations, env: process.env, log, smokePackageManager: options.smokePackageManager });
    if (result?.skipped) {
      log(`skipped: ${result.skipped}`);
      return;
    }
    log(`ok: ${manifest.name}@${manifest.version} installs and reports ${vc.SHORT_SHA}`);
  });
}
