import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { runOrThrow } from '../../exec';
import { ReleaseError } from '../../errors';
import type { PackInput, PackManifest } from '../../core/contract';
import { checkPypiVersion, stampBuildInfo, BUILD_INFO_FILE } from './build-info';
import { resolvePythonTools, twineCheck, uvBuild } from './commands';
import { checkPlaceholderVersion, commitUrl, readPyproject, repositoryUrlFrom, stampPyproject } from './pyproject';
import { sha256File } from '../../hash';

export interface PypiPackOptions {
  /** Used for the `Source Commit` URL when pyproject's [project.urls] has no Repository/Source. */
  repositoryUrl?: string;
}

export const DEFAULT_REPOSITORY_URL = 'https://github.com/ameideio/ameide';

/** Never copied into the build: local environments and earlier build output would make the sdist depend on the machine. */
const SKIP_DIRS = new Set(['.venv', 'venv', '__pycache__', 'dist', 'build', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.git', 'node_modules']);
const skip = (name: string, isDir: boolean) => (isDir && SKIP_DIRS.has(name)) || name.endsWith('.egg-info') || name.endsWith('.pyc');

/**
 * Copy in sorted order with normalized modes: 0644, or 0755 when the owner may execute
 * (what git records), so umask and checkout differences cannot reach the sdist.
 */
export function copyProject(src: string, dest: string): void {
  mkdirSync(dest, { recursive: true, mode: 0o755 });
  chmodSync(dest, 0o755);
  for (const name of readdirSync(src).sort()) {
    const from = join(src, name);
    const st = statSync(from);
    if (skip(name, st.isDirectory())) continue;
    const to = join(dest, name);
    if (st.isDirectory()) copyProject(from, to);
    else if (st.isFile()) {
      copyFileSync(from, to);
      chmodSync(to, st.mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/** Every _build_info.py of the project, workspace-independent and sorted. */
export function findBuildInfoFiles(dir: string, base = dir): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory() && !skip(name, true)) found.push(...findBuildInfoFiles(p, base));
    else if (st.isFile() && name === BUILD_INFO_FILE) found.push(relative(base, p));
  }
  return found;
}

export { sha256File };

/** Seconds since the epoch of the commit: hatchling and the sdist's gzip header take their timestamps from it. */
export function sourceDateEpoch(commitTime: string): string {
  const ms = Date.parse(commitTime);
  if (Number.isNaN(ms)) throw new ReleaseError(`COMMIT_TIME ${JSON.stringify(commitTime)} is not an ISO-8601 time`, 'recompute the version context', 'version context');
  // Zip timestamps start in 1980; hatchling clamps, so do we, to keep the same value everywhere.
  return String(Math.max(Math.floor(ms / 1000), 315532800));
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

export async function packPypi(input: PackInput, opts: PypiPackOptions = {}): Promise<PackManifest> {
  const { context, log } = input;
  const srcDir = join(input.workspaceRoot, input.projectRoot);
  const pyprojectRel = join(input.projectRoot, 'pyproject.toml');
  const pyprojectPath = join(input.workspaceRoot, pyprojectRel);

  // Guards: everything is read and checked before anything is written.
  if (!existsSync(pyprojectPath)) throw new ReleaseError('no pyproject.toml', 'add a PEP 621 pyproject.toml to the project', input.projectRoot);
  checkPypiVersion(context.PYPI_VERSION);
  const pyproject = readFileSync(pyprojectPath, 'utf8');
  const info = readPyproject(pyproject, pyprojectRel);
  checkPlaceholderVersion(info, pyprojectRel);
  const buildInfos = findBuildInfoFiles(srcDir);
  const stamp = { version: context.PYPI_VERSION, gitSha: context.GIT_SHA };
  const stampedInfos = buildInfos.map((rel) => ({
    rel,
    text: stampBuildInfo(readFileSync(join(srcDir, rel), 'utf8'), stamp, join(input.projectRoot, rel)),
  }));
  const repo = repositoryUrlFrom(info) ?? opts.repositoryUrl ?? DEFAULT_REPOSITORY_URL;
  const stampedPyproject = stampPyproject(pyproject, { version: context.PYPI_VERSION, commitUrl: commitUrl(repo, context.GIT_SHA) });
  const epoch = sourceDateEpoch(context.COMMIT_TIME);
  if (!info.buildRequires.some((r) => /==/.test(r))) {
    log(`note: [build-system] requires is not pinned (${info.buildRequires.join(', ') || 'none'}); pin the backend (e.g. hatchling==X.Y.Z) so packs on other days stay byte-identical`);
  }
  if (stampedInfos.length === 0) log(`note: no ${BUILD_INFO_FILE} in ${input.projectRoot}; the commit is recorded only in the wheel metadata`);
  const tools = resolvePythonTools(input.workspaceRoot); // a missing uv is refused here, before the temp copy

  const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'ameide-pypi-pack-')));
  if (isInside(tmp, input.workspaceRoot)) throw new ReleaseError(`temp dir ${tmp} is inside the workspace`, 'point TMPDIR outside the workspace');
  try {
    // Same directory name on every run: nothing path-dependent can differ between two packs.
    const work = join(tmp, 'src');
    const out = join(tmp, 'out');
    copyProject(srcDir, work);
    writeFileSync(join(work, 'pyproject.toml'), stampedPyproject);
    for (const s of stampedInfos) writeFileSync(join(work, s.rel), s.text);

    const env: NodeJS.ProcessEnv = { ...process.env, SOURCE_DATE_EPOCH: epoch, UV_NO_PROGRESS: '1' };
    delete env.VIRTUAL_ENV;
    log(`uv build ${info.name} ${context.PYPI_VERSION} (SOURCE_DATE_EPOCH=${epoch})`);
    await runOrThrow(uvBuild(tools, work, out, env));

    const built = readdirSync(out).filter((f) => f.endsWith('.whl') || f.endsWith('.tar.gz')).sort();
    const wheels = built.filter((f) => f.endsWith('.whl'));
    const sdists = built.filter((f) => f.endsWith('.tar.gz'));
    if (wheels.length !== 1 || sdists.length !== 1) throw new Error(`uv build produced ${built.join(', ') || 'nothing'}; expected one wheel and one sdist`);
    await runOrThrow(twineCheck(tools, built.map((f) => join(out, f))));

    mkdirSync(input.outDir, { recursive: true });
    const files = [
      { name: wheels[0], kind: 'wheel' },
      { name: sdists[0], kind: 'sdist' },
    ].map(({ name, kind }) => {
      const dest = join(input.outDir, name);
      copyFileSync(join(out, name), dest);
      chmodSync(dest, 0o644);
      const sha256 = sha256File(dest);
      log(`${kind} ${name} sha256=${sha256}`);
      return { file: relative(input.workspaceRoot, dest).split(sep).join('/'), sha256, kind };
    });
    return {
      project: input.project,
      name: info.name,
      ecosystem: 'pypi',
      version: context.PYPI_VERSION,
      gitSha: context.GIT_SHA,
      channel: context.CHANNEL,
      files,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
