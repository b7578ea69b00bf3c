import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from '../../exec';
import { gitEnv } from '../../git/env';
import { withRetry } from '../../retry';
import { findTool } from '../../tools';
import type { PublishInput } from '../../core/contract';
import { isTransientGitError } from './git';
import { mirrorGetsNothing, tagOf } from './mirror';
import { BUILDINFO_FILE, type GoPackManifest } from './pack';
import { writeProgram } from './programs';

/**
 * Which files of the consumer program (programs/smoke/) fit this SDK's sources: client.go when the
 * SDK has the payload's `New(Options)` (constructed, nothing called), buildinfo.go when it has
 * BuildInfo(); main.go alone only imports the package. Pure.
 */
export function smokeProgramFiles(sources: string): string[] {
  const hasNew = /^func New\(opts Options\) \(\*Client, error\)/m.test(sources);
  const hasInfo = /^func BuildInfo\(\)/m.test(sources);
  return ['go.mod', 'main.go', ...(hasNew ? ['client.go'] : []), ...(hasInfo ? ['buildinfo.go'] : [])];
}

/** Parent of the module path used for GOPRIVATE / GONOSUMDB (github.com/ameideio for github.com/ameideio/ameide-sdk-go). */
const privatePrefix = (modulePath: string) => modulePath.split('/').slice(0, 2).join('/');

/**
 * Consume the tag as a user would, straight from the repository (GOPROXY=direct), in a temp module
 * with its own GOPATH so no cached copy can stand in for the mirror. Checks go.sum's h1: against the
 * packed zip's, the stamped SHA, and that a program importing the module builds and runs.
 */
export async function smokeGo(input: PublishInput): Promise<void | { skipped: string }> {
  const skip = mirrorGetsNothing(input.context) ?? input.manifest.skipped;
  if (skip) return { skipped: skip };
  const { manifest, context: ctx, log } = input;
  const mod = manifest.name;
  const tag = tagOf(manifest);
  const goBin = findTool('go', { ...process.env, ...input.env }, input.workspaceRoot);
  const dir = mkdtempSync(join(tmpdir(), 'ameide-go-smoke-'));
  const consumer = join(dir, 'consumer');
  const gopath = join(dir, 'gopath');
  const env = {
    ...gitEnv(input.env),
    GOWORK: 'off',
    GOFLAGS: '-mod=mod -modcacherw',
    GOPROXY: 'direct',
    GONOSUMDB: privatePrefix(mod),
    GOPRIVATE: privatePrefix(mod),
    GOPATH: gopath,
    GOMODCACHE: join(gopath, 'pkg', 'mod'),
    GOTOOLCHAIN: 'local',
  };
  const go = (args: string[]) => runOrThrow({ command: goBin, args, cwd: consumer, env });
  try {
    writeProgram('smoke', ['go.mod'], consumer, mod);
    await withRetry(() => go(['get', `${mod}@${tag}`]), isTransientGitError);
    const sum = readFileSync(join(consumer, 'go.sum'), 'utf8');
    const h1 = new RegExp(`^${mod.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${tag} (h1:\\S+)$`, 'm').exec(sum)?.[1];
    const packed = (manifest as GoPackManifest).go?.h1;
    if (packed && h1 !== packed) throw new Error(`go.sum records ${mod} ${tag} ${h1}, but the packed zip is ${packed}: the mirror's tag does not hold the packed files`);
    const modDir = JSON.parse((await go(['list', '-m', '-json', `${mod}@${tag}`])).stdout).Dir as string;
    const buildinfo = join(modDir, BUILDINFO_FILE);
    if (existsSync(buildinfo) && !readFileSync(buildinfo, 'utf8').includes(`"${ctx.GIT_SHA}"`)) {
      throw new Error(`${mod}@${tag} ${BUILDINFO_FILE} does not carry the source SHA ${ctx.GIT_SHA}`);
    }
    const sources = readdirSync(modDir)
      .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
      .map((f) => readFileSync(join(modDir, f), 'utf8'))
      .join('\n');
    writeProgram('smoke', smokeProgramFiles(sources).filter((f) => f !== 'go.mod'), consumer, mod);
    const out = (await go(['run', '.'])).stdout.trim();
    if (/^func BuildInfo\(\)/m.test(sources)) {
      if (!out.includes(ctx.GIT_SHA)) throw new Error(`BuildInfo() of ${mod}@${tag} printed ${out}, without the source SHA ${ctx.GIT_SHA}`);
      if (out.includes('Version:') && !out.includes(`Version:${tag}`)) throw new Error(`BuildInfo() of ${mod}@${tag} printed ${out}, not Version:${tag}`);
    }
    log(`smoke ok: ${mod}@${tag} ${h1} -> ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
