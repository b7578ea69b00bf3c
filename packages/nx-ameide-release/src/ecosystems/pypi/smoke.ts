import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runOrThrow } from '../../exec';
import { pypiRegistry } from '../../destinations/registries';
import { withRetry } from '../../retry';
import type { PublishInput } from '../../core/contract';
import { inspectDist, makeVenv, pipInstall, resolvePythonTools, smokeImport } from './commands';
import { readableIndexUrl } from './simple-index';

/** The import name, from where the packed wheel keeps its _build_info.py (a/b/_build_info.py -> a.b). */
export async function importNameOf(input: PublishInput): Promise<string> {
  const wheel = input.manifest.files.find((f) => f.kind === 'wheel');
  if (!wheel) throw new Error(`${input.manifest.project}: the pack manifest lists no wheel`);
  const tools = resolvePythonTools(input.workspaceRoot, process.env);
  const res = await runOrThrow(inspectDist(tools, join(input.workspaceRoot, wheel.file)));
  const paths = (JSON.parse(res.stdout.trim()) as { buildInfo: string[] }).buildInfo;
  if (paths.length === 0) throw new Error(`${wheel.file} has no _build_info.py, so smoke cannot tell which package to import`);
  return paths[0].replace(/\/_build_info\.py$/, '').split('/').join('.');
}

/**
 * Install the published version the way a consumer does: a fresh venv outside the workspace,
 * `pip install <name>==<version>` from the index alone, import it, and check that it reports
 * this version and commit.
 */
export async function smokePypi(input: PublishInput): Promise<void> {
  const { manifest, log } = input;
  const registry = pypiRegistry(input.env, input.destinations);
  const tools = resolvePythonTools(input.workspaceRoot, process.env);
  const importName = await importNameOf(input);
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'ameide-pypi-smoke-')));
  try {
    const venv = join(dir, 'venv');
    await runOrThrow(makeVenv(tools, venv));
    const py = join(venv, 'bin', 'python');
    const requirement = `${manifest.name}==${manifest.version}`;
    const indexUrl = await readableIndexUrl(registry, manifest.name);
    log(`pip install ${requirement} from ${registry.indexUrl} into a fresh venv in ${dir}`);
    // A CDN-fronted index may take a moment to list a fresh upload.
    await withRetry(
      () => runOrThrow(pipInstall(py, requirement, indexUrl, dir)),
      (err) => /No matching distribution|Could not find a version|ECONNRESET|timed out|50\d/i.test(String((err as Error).message)),
      { attempts: 4, initialDelayMs: 2000 },
    );
    const res = await runOrThrow(smokeImport(py, importName, manifest.name, dir));
    const got = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { version?: string; git_sha?: string; dist_version?: string; file?: string };
    const problems: string[] = [];
    if (got.version !== manifest.version) problems.push(`build_info() version is ${got.version}, expected ${manifest.version}`);
    if (got.git_sha !== manifest.gitSha) problems.push(`build_info() git_sha is ${got.git_sha}, expected ${manifest.gitSha}`);
    if (got.dist_version !== manifest.version) problems.push(`installed distribution is ${got.dist_version}, expected ${manifest.version}`);
    if (!got.file || relative(venv, realpathSync(got.file)).startsWith('..')) problems.push(`${importName} was imported from ${got.file}, not from the fresh venv`);
    if (problems.length) throw new Error(`smoke of ${requirement} failed: ${problems.join('; ')}`);
    log(`ok: import ${importName} reports ${got.version} from ${got.git_sha}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
