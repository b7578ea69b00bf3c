import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseError } from '../../errors';
import { runOrThrow } from '../../exec';
import { npmRegistry } from '../../destinations/registries';
import type { PublishInput } from '../../core/contract';
import { findTool } from '../../tools';
import { registryVersion } from './manifest';
import { resolveSmokePackageManager, smokeInstallCommand, workspacePackageManager } from './package-manager';
import { NpmSession } from './registry-client';

/**
 * The consumer's check, run by `node -e` in the throwaway project: require the package (import()
 * for ES modules) and print buildInfo() when it exports one.
 */
export const SMOKE_SCRIPT = `
const name = process.argv[1];
const load = async () => { try { return require(name); } catch (e) { if (e && e.code === 'ERR_REQUIRE_ESM') return import(name); throw e; } };
load().then(async (m) => {
  const fn = m.buildInfo || (m.default && m.default.buildInfo);
  const info = typeof fn === 'function' ? await fn() : null;
  process.stdout.write(JSON.stringify({ buildInfo: info }));
}).catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
`;

export async function smokeNpm(input: PublishInput): Promise<void> {
  const { manifest, context, log } = input;
  const registry = npmRegistry(input.env, input.destinations);
  const version = registryVersion(manifest.version);
  // The consumer's package manager, and its binary, before the session writes anything.
  const pm = resolveSmokePackageManager(input.options?.smokePackageManager as string | undefined, input.env, () => workspacePackageManager(input.workspaceRoot), log);
  const bin = findTool(pm, { ...process.env, ...input.env }, input.workspaceRoot);
  const session = new NpmSession(registry);
  try {
    // The consumer project lives in the session's temp dir (outside the workspace). Its .npmrc
    // points the scope at the registry; the credential stays in the session's user-level npmrc
    // (pnpm expands ${...} only there), which references the token through the environment.
    const npmrc = [`registry=${registry.url}`];
    if (manifest.name.startsWith('@')) npmrc.push(`${manifest.name.split('/')[0]}:registry=${registry.url}`);
    writeFileSync(join(session.dir, '.npmrc'), `${npmrc.join('\n')}\n`);
    writeFileSync(join(session.dir, 'package.json'), `${JSON.stringify({ name: 'ameide-smoke', version: '0.0.0', private: true }, null, 2)}\n`);
    const env = { ...session.env(), npm_config_userconfig: session.userconfig };
    const install = smokeInstallCommand(pm, bin, { dir: session.dir, name: manifest.name, version, registryUrl: registry.url, userconfig: session.userconfig, env });
    log(`smoke: ${pm} ${install.args[0]} ${manifest.name}@${version} from ${registry.url} in ${session.dir}`);
    await runOrThrow(install);

    const installed = JSON.parse(readFileSync(join(session.dir, 'node_modules', ...manifest.name.split('/'), 'package.json'), 'utf8'));
    const res = await runOrThrow({ command: process.execPath, args: ['-e', SMOKE_SCRIPT, manifest.name], cwd: session.dir, env });
    const { buildInfo } = JSON.parse(res.stdout) as { buildInfo: { name?: string; version?: string; gitSha?: string } | null };
    const problems: string[] = [];
    if (registryVersion(installed.version) !== version) problems.push(`installed package.json version is ${installed.version}, expected ${version}`);
    if (installed.gitHead !== context.GIT_SHA) problems.push(`installed package.json gitHead is ${installed.gitHead}, expected ${context.GIT_SHA}`);
    if (buildInfo) {
      if (!buildInfo.version || registryVersion(buildInfo.version) !== version) problems.push(`buildInfo().version is ${buildInfo.version}, expected ${version}`);
      if (buildInfo.gitSha !== context.GIT_SHA) problems.push(`buildInfo().gitSha is ${buildInfo.gitSha}, expected ${context.GIT_SHA}`);
    } else {
      log(`smoke: ${manifest.name} exports no buildInfo(); checked the installed package.json only`);
    }
    if (problems.length) {
      throw new ReleaseError(
        `smoke test of ${manifest.name}@${version} from ${registry.url} failed: ${problems.join('; ')}`,
        'the registry serves another build than this commit packed: check the publish log (and which SHA published this version)',
      );
    }
    log(`smoke: ${manifest.name}@${version} installs, requires, and reports ${buildInfo ? `buildInfo ${JSON.stringify(buildInfo)}` : `gitHead ${installed.gitHead}`}`);
  } finally {
    session.dispose();
  }
}
