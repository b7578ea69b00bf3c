import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { adapterFor } from '../../ecosystems';
import type { PublishInput } from '../../ecosystems/types';
import { manifestPath, readPackManifest, runDestinations, runExecutor, writeJson, type CommonOptions } from '../common';
import { ensureReleaseTagPushed } from '../../git';
import { goRegistry, npmRegistry, pypiRegistry } from '../../registries';
import { redactRemote } from '../../ecosystems/go/git';
import type { VersionContext } from '../../version/types';
import type { Destinations } from '../../destinations';
import { assertRunCredentials, publishEcosystemsInRun } from '../run-preflight';
import { assertRunDestinations } from '../run-destinations';

/** Where and under which tags an ecosystem publishes, for the log and the release summary. */
function destination(ecosystem: CommonOptions['ecosystem'], vc: VersionContext, d: Destinations): { registry: string; tags: string[] } {
  if (ecosystem === 'npm') return { registry: npmRegistry(process.env, d).url, tags: [vc.NPM_DIST_TAG] };
  if (ecosystem === 'pypi') return { registry: pypiRegistry(process.env, d).indexUrl, tags: [] };
  return { registry: redactRemote(goRegistry(process.env, d).remote), tags: vc.GO_VERSION ? [vc.GO_VERSION] : [] };
}

export default async function publishExecutor(options: CommonOptions, ctx: ExecutorContext) {
  return runExecutor('publish', options, ctx, async ({ workspaceRoot, project, projectRoot, dryRun, log, context }) => {
    const vc = await context();
    if (vc.CHANNEL === 'build') {
      log(`channel 'build' (ref ${vc.REF}): nothing is published. Publishing happens on ${'refs/heads/main'} (dev) and on vX.Y.Z tags (release).`);
      return;
    }
    const manifest = readPackManifest(workspaceRoot, project, vc);
    if (manifest.skipped) {
      log(`skipped: ${manifest.skipped}`);
      return;
    }
    const adapter = adapterFor(options.ecosystem);
    const destinations = runDestinations({ options, workspaceRoot, projectRoot, project, manifest, kinds: [options.ecosystem], env: process.env, log });
    const input: PublishInput = { workspaceRoot, manifest, context: vc, destinations, env: process.env, log };
    if (dryRun) {
      log('dry-run: nothing is uploaded; this run would publish:');
      for (const line of adapter.plan(input)) log(`  ${line}`);
      return;
    }
    assertRunCredentials(publishEcosystemsInRun(ctx.taskGraph, ctx.projectsConfigurations?.projects ?? {}), vc.CHANNEL, process.env);
    assertRunDestinations(ctx.taskGraph, ctx.projectsConfigurations?.projects ?? {}, workspaceRoot, process.env);
    if (vc.CHANNEL === 'release' && (await ensureReleaseTagPushed(workspaceRoot, vc.RELEASE_TAG)) === 'no-remote') {
      log(`release tag ${vc.RELEASE_TAG} is local: this clone has no 'origin' remote to check it against`);
    }
    await adapter.preflight(input);
    const outcome = await adapter.publish(input);
    const summary = outcome.status === 'skipped' ? outcome.reason : outcome.detail;
    log(`${outcome.status}: ${summary}`);
    writeJson(join(dirname(manifestPath(workspaceRoot, project)), 'publish-result.json'), {
      project,
      name: manifest.name,
      ecosystem: manifest.ecosystem,
      version: manifest.version,
      channel: vc.CHANNEL,
      gitSha: vc.GIT_SHA,
      ...destination(options.ecosystem, vc, destinations),
      outcome,
    });
  });
}
