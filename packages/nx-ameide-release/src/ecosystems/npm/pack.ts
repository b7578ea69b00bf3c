import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { runOrThrow, type Command } from '../../exec';
import { ReleaseError } from '../../errors';
import type { PackInput, PackManifest } from '../../core/contract';
import { guardSourceManifest, publishDirectory, stampManifest } from './manifest';
import { findWorkspacePackages } from './workspace';
import { buildScriptCommand, workspacePackageManager, type PackageManager } from './package-manager';
import { sha256File } from '../../hash';
import { findTool, type ToolName } from '../../tools';

/** tsconfig names a project may compile with, most specific first. */
const TSCONFIGS = ['tsconfig.lib.json', 'tsconfig.build.json', 'tsconfig.json'];

export type BuildStep =
  | { kind: 'script'; command: Command }
  | { kind: 'tsc'; tsconfig: string; command: Command }
  | { kind: 'none' };

/**
 * How a project is built before packing (pure). The project's own `build` script wins (it
 * knows its build), run with the workspace's package manager (npm run build, pnpm run build,
 * yarn build); else a tsconfig is compiled with the workspace's tsc; else the sources are
 * the package. Only this project is built: its workspace dependencies are built by their own
 * pack (the Nx pack target runs `^pack` first).
 */
export function buildStep(
  pkg: Record<string, any>,
  projectAbs: string,
  workspaceRoot: string,
  exists: (p: string) => boolean = existsSync,
  packageManager: () => PackageManager = () => workspacePackageManager(workspaceRoot),
): BuildStep {
  if (typeof pkg.scripts?.build === 'string' && pkg.scripts.build.trim()) {
    return { kind: 'script', command: buildScriptCommand(packageManager(), projectAbs) };
  }
  const tsconfig = TSCONFIGS.find((f) => exists(join(projectAbs, f)));
  if (!tsconfig) return { kind: 'none' };
  const localTsc = [join(workspaceRoot, 'node_modules', '.bin', 'tsc'), join(projectAbs, 'node_modules', '.bin', 'tsc')].find(exists);
  const command = localTsc
    ? { command: localTsc, args: ['-p', tsconfig], cwd: projectAbs }
    : { command: 'npx', args: ['--no-install', 'tsc', '-p', tsconfig], cwd: projectAbs };
  return { kind: 'tsc', tsconfig, command };
}

/** tsc leaves files of deleted sources in outDir; clear it first so two machines pack the same files. */
async function clearTscOutDir(step: Extract<BuildStep, { kind: 'tsc' }>, projectAbs: string): Promise<void> {
  const shown = await runOrThrow({ ...step.command, args: [...step.command.args, '--showConfig'] });
  const outDir: string | undefined = JSON.parse(shown.stdout).compilerOptions?.outDir;
  if (!outDir) return;
  const abs = isAbsolute(outDir) ? outDir : join(projectAbs, outDir);
  const rel = relative(projectAbs, abs);
  // Only a folder strictly inside the project (dist/, lib/), never the project or anything above it.
  if (rel && !rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== 'src') rmSync(abs, { recursive: true, force: true });
}

export { sha256File };

/** `npm pack` of the stamped copy; scripts are off (the build already ran, and lifecycle scripts would run without node_modules). */
export function npmPackCommand(copyDir: string, outDir: string): Command {
  return { command: 'npm', args: ['pack', '--ignore-scripts', '--json', '--pack-destination', outDir], cwd: copyDir };
}

export async function packNpm(input: PackInput): Promise<PackManifest> {
  const { workspaceRoot, projectRoot, project, context, outDir, log } = input;
  const projectAbs = join(workspaceRoot, projectRoot);
  const where = `${projectRoot}/package.json`;
  const pkgFile = join(projectAbs, 'package.json');
  if (!existsSync(pkgFile)) throw new ReleaseError('no package.json', 'an npm project needs a package.json at its root', projectRoot);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));

  // Guards and the whole stamped manifest are computed before any side effect.
  guardSourceManifest(pkg, context, where);
  const stamped = stampManifest(pkg, {
    version: context.NPM_VERSION,
    gitSha: context.GIT_SHA,
    workspacePackages: findWorkspacePackages(workspaceRoot),
    where,
    projectDir: projectRoot.split(sep).join('/'),
  });
  // publishConfig.directory: the build output is packed, with this stamped manifest in it.
  const publishDir = publishDirectory(pkg, projectRoot.split(sep).join('/'), where);
  const packFrom = publishDir ? join(workspaceRoot, publishDir) : projectAbs;

  const step: BuildStep = input.builtByNx ? { kind: 'none' } : buildStep(pkg, projectAbs, workspaceRoot);
  if (input.builtByNx) log(`build: done by the Nx build target (${project}:build)`);
  // The package manager's binary is found before the first side effect (the build).
  if (step.kind === 'script') step.command = { ...step.command, command: findTool(step.command.command as ToolName, process.env, workspaceRoot) };
  if (step.kind === 'tsc') await clearTscOutDir(step, projectAbs);
  if (step.kind !== 'none') {
    log(`build: ${[step.command.command, ...step.command.args].join(' ')} (in ${projectRoot})`);
    await runOrThrow(step.command);
  }
  if (publishDir && !existsSync(packFrom)) {
    throw new ReleaseError(`publishConfig.directory ${publishDir} does not exist after the build`, `build the package first (nx run ${project}:build)`, where);
  }
  if (typeof stamped.manifest.main === 'string' && !existsSync(join(packFrom, stamped.manifest.main))) {
    throw new ReleaseError(
      `"main" is ${stamped.manifest.main}, which does not exist after the build`,
      'check the build output folder, or add a build script / tsconfig.lib.json',
      where,
    );
  }

  const copyDir = mkdtempSync(join(tmpdir(), 'ameide-npm-pack-'));
  try {
    cpSync(packFrom, copyDir, {
      recursive: true,
      filter: (src) => {
        const rel = relative(packFrom, src).split(sep);
        return !rel.includes('node_modules') && !rel.includes('.git');
      },
    });
    writeFileSync(join(copyDir, 'package.json'), `${JSON.stringify(stamped.manifest, null, 2)}\n`);
    for (const r of stamped.rewritten) log(`${r.field}.${r.name}: ${r.from} -> ${r.to}`);
    mkdirSync(outDir, { recursive: true });
    const res = await runOrThrow(npmPackCommand(copyDir, outDir));
    const packed = JSON.parse(res.stdout.slice(res.stdout.indexOf('['))) as Array<{ filename: string }>;
    const files = packed.map(({ filename }) => {
      // npm names scoped tarballs "scope-name-version.tgz"; older npm printed "@scope/name-…".
      const base = filename.replace(/^@/, '').replace(/\//g, '-');
      const abs = join(outDir, base);
      if (!existsSync(abs)) throw new Error(`npm pack reported ${filename}, but ${abs} does not exist`);
      return { file: relative(workspaceRoot, abs).split(sep).join('/'), sha256: sha256File(abs), kind: 'tgz' };
    });
    return {
      project,
      name: pkg.name,
      ecosystem: 'npm',
      version: context.NPM_VERSION,
      gitSha: context.GIT_SHA,
      channel: context.CHANNEL,
      files,
    };
  } finally {
    rmSync(copyDir, { recursive: true, force: true });
  }
}
