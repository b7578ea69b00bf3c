import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { adapterFor } from '../../ecosystems';
import { distDir } from '../../plugin/targets';
import { manifestPath, runExecutor, writeJson, type CommonOptions } from '../common';
import { recordPackedHere } from '../../flow/pack-integrity';

export default async function packExecutor(options: CommonOptions, ctx: ExecutorContext) {
  return runExecutor('pack', options, ctx, async ({ workspaceRoot, project, projectRoot, log, context }) => {
    const vc = await context();
    const outDir = join(workspaceRoot, distDir(project));
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const builtByNx = Boolean(ctx.projectsConfigurations?.projects?.[project]?.targets?.build);
    const manifest = await adapterFor(options.ecosystem).pack({ workspaceRoot, projectRoot, project, context: vc, outDir, log, builtByNx });
    writeJson(manifestPath(workspaceRoot, project), manifest);
    // Outside the cached outputs: the preflight rebuilds only what a cache restored (src/flow/pack-integrity.ts).
    recordPackedHere(workspaceRoot, project, manifestPath(workspaceRoot, project));
    if (manifest.skipped) log(`skipped: ${manifest.skipped}`);
    for (const f of manifest.files) log(`${f.file}  sha256:${f.sha256}`);
    log(`${manifest.name}@${manifest.version} (${vc.CHANNEL}, ${vc.SHORT_SHA})`);
  });
}
