import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { ociPublishInput, ociResult, ociSteps } from '../../ecosystems/oci/release';
import { inRegistrySession } from '../../ecosystems/oci/registry';
import { publishFlow } from '../../core/publish-flow';
import type { SignMode } from '../../ecosystems/oci/sign';
import { isAncestor } from '../../git';
import { ociRegistry } from '../../destinations/registries';
import { manifestPath, readPackManifest, runDestinations, runExecutor, writeJson, type CommonOptions } from '../common';
import { assertPreflight } from '../../flow/preflight';
import { recordRelease } from '../../release-manifest';

export interface GhcrOptions extends CommonOptions {
  sign?: SignMode;
}

export default async function ghcrExecutor(options: GhcrOptions, ctx: ExecutorContext) {
  // One registry session for the task: the preflight re-check and the publish share what the registry said (registry.ts).
  return runExecutor('ghcr', options, ctx, ({ workspaceRoot, project, projectRoot, dryRun, log, context }) => inRegistrySession(async () => {
    const vc = await context();
    const manifest = readPackManifest(workspaceRoot, project, vc);
    const destinations = runDestinations({ options, workspaceRoot, projectRoot, project, manifest, kinds: ['oci'], env: process.env, log });
    if (!dryRun) {
      // The same checks as the run-wide preflight, for this image, right before the push.
      await assertPreflight({ workspaceRoot, project, projectRoot, ecosystem: options.ecosystem, destinationsConfig: options.destinations, context, env: process.env, log, packages: false, images: true, sign: options.sign, recheck: true });
    }
    const oci = ociPublishInput({
      project,
      manifests: [manifest],
      workspaceRoot,
      context: vc,
      destinations,
      env: process.env,
      isAncestor: (a, b) => isAncestor(workspaceRoot, a, b),
      dryRun,
      log,
      sign: options.sign,
      projectRoot: ctx.projectsConfigurations?.projects[project]?.root,
    });
    const result = await ociResult(oci, await publishFlow(ociSteps, oci, { dryRun, ecosystem: manifest.ecosystem }));
    if (result.status === 'dry-run' || result.status === 'skipped') return;
    // What the release manifest reads (src/release-manifest): image, digest, tags (pushed + unchanged), signature.
    writeJson(join(dirname(manifestPath(workspaceRoot, project)), 'ghcr-result.json'), {
      project,
      version: manifest.version,
      gitSha: vc.GIT_SHA,
      registry: ociRegistry(process.env, destinations).registry,
      ...result,
      plan: undefined,
      contents: undefined,
    });
    recordRelease(workspaceRoot, vc.GIT_SHA, vc.CHANNEL, log);
  }));
}
