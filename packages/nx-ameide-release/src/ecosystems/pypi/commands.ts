import type { Command } from '../../exec';
import { findTool, tryFindTool } from '../../tools';

/**
 * Where the Python tools come from, and every command the adapter runs, as data.
 * Tools (src/tools.ts): AMEIDE_UV / AMEIDE_PYTHON / AMEIDE_TWINE, else <workspaceRoot>/.venv/bin/*,
 * else PATH; uv and python3 are required (a ReleaseError saying how to install them, before
 * any side effect), twine is optional (`uv tool run twine` stands in).
 */
export interface PythonTools {
  uv: string;
  python: string;
  /** twine as a command prefix: [twine] or [uv, tool, run, twine] when no twine is installed. */
  twine: string[];
}

export function resolvePythonTools(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): PythonTools {
  const uv = findTool('uv', env, workspaceRoot);
  const python = findTool('python3', env, workspaceRoot);
  const twineBin = tryFindTool('twine', env, workspaceRoot);
  return { uv, python, twine: twineBin ? [twineBin] : [uv, 'tool', 'run', 'twine'] };
}

/** PEP 503 project name normalization (the simple index path segment). */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution-name part of wheel and sdist filenames (PEP 427 / PEP 625). */
export function distributionStem(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '_');
}

export function uvBuild(tools: PythonTools, projectDir: string, outDir: string, env: NodeJS.ProcessEnv): Command {
  return { command: tools.uv, args: ['build', '--wheel', '--sdist', '--out-dir', outDir, '--no-progress', projectDir], cwd: projectDir, env };
}

export function twineCheck(tools: PythonTools, files: string[]): Command {
  const [command, ...pre] = tools.twine;
  return { command, args: [...pre, 'check', ...files] };
}

/**
 * One file per call, so a retry never re-sends a file that already went through. Credentials only in env.
 * `oidc` (trusted publishing, src/credential-modes.ts): no credentials; uv fetches the CI's ID token
 * (from the variables given) and exchanges it with the index itself: `--trusted-publishing always`.
 */
export function uvPublish(
  tools: PythonTools,
  uploadUrl: string,
  file: string,
  creds: { username?: string; password?: string; oidc?: Record<string, string> },
  baseEnv: NodeJS.ProcessEnv = process.env,
): Command {
  const env: NodeJS.ProcessEnv = creds.oidc
    ? { ...baseEnv, ...creds.oidc }
    : { ...baseEnv, UV_PUBLISH_USERNAME: creds.username, UV_PUBLISH_PASSWORD: creds.password };
  if (creds.oidc) for (const k of ['UV_PUBLISH_USERNAME', 'UV_PUBLISH_PASSWORD']) delete env[k];
  delete env.UV_PUBLISH_TOKEN;
  return {
    command: tools.uv,
    args: ['publish', '--publish-url', uploadUrl, '--trusted-publishing', creds.oidc ? 'always' : 'never', '--keyring-provider', 'disabled', '--no-progress', file],
    env,
  };
}

export function makeVenv(tools: PythonTools, dir: string): Command {
  return { command: tools.python, args: ['-m', 'venv', dir] };
}

/**
 * The consumer's install: only the given index (PIP_* pointers to other sources are dropped),
 * no cache, so the bytes really come from the registry.
 */
export function pipInstall(venvPython: string, requirement: string, indexUrl: string, cwd: string, baseEnv: NodeJS.ProcessEnv = process.env): Command {
  const env: NodeJS.ProcessEnv = { ...baseEnv, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  for (const k of ['PIP_FIND_LINKS', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_NO_INDEX', 'VIRTUAL_ENV', 'PYTHONPATH']) delete env[k];
  const url = new URL(indexUrl);
  const trusted = url.protocol === 'http:' ? ['--trusted-host', url.host] : [];
  return {
    command: venvPython,
    args: ['-m', 'pip', 'install', '--no-cache-dir', '--index-url', indexUrl, ...trusted, requirement],
    cwd,
    env,
  };
}

/** Reads the commit a built wheel or sdist carries (Project-URL, else _build_info) and where its build info lives. */
export const INSPECT_DIST_PY = String.raw`
import json, re, sys, tarfile, zipfile
p = sys.argv[1]
texts, info_paths = [], []
def take(name, data):
    if name.endswith('/_build_info.py'):
        info_paths.append(name)
    texts.append(data.decode('utf-8', 'replace'))
if p.endswith('.whl'):
    with zipfile.ZipFile(p) as z:
        for n in sorted(z.namelist()):
            if n.endswith('.dist-info/METADATA') or n.endswith('/_build_info.py'):
                take(n, z.read(n))
else:
    with tarfile.open(p) as t:
        for m in t.getmembers():
            if m.isfile() and ((m.name.count('/') == 1 and m.name.endswith('/PKG-INFO')) or m.name.endswith('/_build_info.py')):
                take(m.name, t.extractfile(m).read())
sha = None
for tx in texts:
    m = re.search(r'/commit/([0-9a-f]{40})\b', tx) or re.search(r'^GIT_SHA\s*=\s*["\']([0-9a-f]{40})["\']', tx, re.M)
    if m:
        sha = m.group(1)
        break
print(json.dumps({'gitSha': sha, 'buildInfo': info_paths}))
`;

export function inspectDist(tools: PythonTools, file: string): Command {
  return { command: tools.python, args: ['-c', INSPECT_DIST_PY, file] };
}

/** What the installed SDK reports: build_info() (dict or object), else <pkg>._build_info, plus the dist version. */
export const SMOKE_PY = String.raw`
import importlib, importlib.metadata as md, json, sys
pkg, dist = sys.argv[1], sys.argv[2]
mod = importlib.import_module(pkg)
info = {}
bi = getattr(mod, 'build_info', None)
if callable(bi):
    r = bi()
    info = dict(r) if isinstance(r, dict) else {k: getattr(r, k) for k in ('version', 'git_sha') if hasattr(r, k)}
if 'version' not in info or 'git_sha' not in info:
    b = importlib.import_module(pkg + '._build_info')
    info.setdefault('version', b.VERSION)
    info.setdefault('git_sha', b.GIT_SHA)
info['dist_version'] = md.version(dist)
info['file'] = mod.__file__
print(json.dumps(info, default=str))
`;

export function smokeImport(venvPython: string, importName: string, distName: string, cwd: string): Command {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.PYTHONPATH;
  return { command: venvPython, args: ['-c', SMOKE_PY, importName, distName], cwd, env };
}
