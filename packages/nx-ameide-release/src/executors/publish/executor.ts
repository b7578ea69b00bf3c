import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { adapterFor } from '../../ecosystems';
import type { LookupResult, PublishInput } from '../../core/contract';
import { manifestPath, readPackManifest, runDestinations, runExecutor, writeJson, type CommonOptions } from '../common';
import { goRegistry, npmRegistry, pypiRegistry } from '../../destinations/registries';
import { redactRemote } from '../../ecosystems/go/git';
import { assertPreflight } from '../../flow/preflight';
import type { VersionContext } from '../../version/types';
import type { Destinations } from '../../destinations';
import { recordRelease } from '../../release-manifest';
import { channelSkip, publishFlow } from '../../core/publish-flow';

/** Where and under which tags an ecosystem publishes, for the log and the release summary. */
function destination(ecosystem: CommonOptions['ecosystem'], vc: VersionContext, d: Destinations): { registry: string; tags: string[] } {
  if (ecosystem === 'npm') return { registry: npmRegistry(process.env, d).url, tags: [vc.NPM_DIST_TAG] };
  if (ecosystem === 'pypi') return { registry: pypiRegistry(process.env, d).indexUrl, tags: [] };
  return { registry: redactRemote(goRegistry(process.env, d).remote), tags: vc.GO_VERSION ? [vc.GO_VERSION] : [] };
}

/** After a failed upload: what the registry holds now, so the log says what is published and what is not. */
async function stateAfterFailure(lookup: () => Promise<LookupResult>): Promise<string> {
  try {
    const found = await lookup();
    return found.state === 'absent' ? 'not published (absent from the registry)' : `on the registry (from ${found.gitSha ?? 'an unknown commit'})`;
  } catch (e) {
    return `unknown: the registry cannot be read now (${(e as Error).message.split('\n')[0]})`;
  }
}

export default async function publishExecutor(options: CommonOptions, ctx: ExecutorContext) {
  return runExecutor('publish', options, ctx, async ({ workspaceRoot, project, projectRoot, dryRun, log, context }) => {
    const vc = await context();
    const skip = channelSkip(vc);
    if (skip) {
      log(skip);
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
    if (dryRun && !adapter.steps) {
      log('dry-run: nothing is uploaded; this run would publish:');
      for (const line of adapter.plan(input)) log(`  ${line}`);
      return;
    }
    // The run-wide preflight passed (publish depends on it); this project is checked once more
    // by the same flow right before its upload, in case anything changed in between. The registry
    // reads of that check are not repeated when this run's preflight record is fresh: the flow's
    // lookup below reads the registry again anyway, right before the upload.
    if (!dryRun) await assertPreflight({ workspaceRoot, project, projectRoot, ecosystem: options.ecosystem, destinationsConfig: options.destinations, context, env: process.env, log, packages: true, images: false, recheck: true });
    const result = { project, name: manifest.name, ecosystem: manifest.ecosystem, version: manifest.version, channel: vc.CHANNEL, gitSha: vc.GIT_SHA, ...destination(options.ecosystem, vc, destinations) };
    const resultFile = join(dirname(manifestPath(workspaceRoot, project)), 'publish-result.json');
    if (adapter.steps) {
      // The one flow: channel, manifest, plan, lookup, decide, (dry-run: print the plan), upload, finish.
      let flow;
      try {
        flow = await publishFlow(adapter.steps, input, { dryRun, ecosystem: options.ecosystem });
      } catch (err) {
        if (dryRun) throw err;
        // The flow's error says per artifact what is on the registry and what is not.
        writeJson(resultFile, { ...result, outcome: { status: 'failed', error: (err as Error).message } });
        recordRelease(workspaceRoot, vc.GIT_SHA, vc.CHANNEL, log);
        throw err;
      }
      if (dryRun) return;
      const { outcome, artifacts } = flow;
      log(`${outcome.status}: ${outcome.status === 'skipped' ? outcome.reason : outcome.detail}`);
      const tags = [...new Set(artifacts.flatMap((a) => a.tags))];
      writeJson(resultFile, { ...result, ...(artifacts.length ? { tags } : {}), outcome, artifacts });
      recordRelease(workspaceRoot, vc.GIT_SHA, vc.CHANNEL, log);
      return;
    }
    let outcome;
    try {
      outcome = await adapter.publish(input);
    } catch (err) {
      const state = await stateAfterFailure(() => adapter.lookup(input));
      log(`upload failed; ${manifest.name}@${manifest.version} is now ${state}`);
      log('run the same command again on this commit: what is published is kept (never uploaded twice), the rest is uploaded');
      writeJson(resultFile, { ...result, outcome: { status: 'failed', error: (err as Error).message, state } });
      recordRelease(workspaceRoot, vc.GIT_SHA, vc.CHANNEL, log);
      throw err;
    }
    const summary = outcome.status === 'skipped' ? outcome.reason : outcome.detail;
    log(`${outcome.status}: ${summary}`);
    writeJson(resultFile, { ...result, outcome });
    recordRelease(workspaceRoot, vc.GIT_SHA, vc.CHANNEL, log);
  });
}
