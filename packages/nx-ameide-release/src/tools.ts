import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { ReleaseError } from './errors';

/**
 * Where the external programs the plugin runs come from, found BEFORE any side effect, so a
 * missing one is a ReleaseError saying how to get it, never a spawn ENOENT halfway through.
 * The lookup only looks at files (stat + execute permission): it never runs a program to find
 * out whether it exists.
 */

type Env = Record<string, string | undefined>;

export type ToolName = 'uv' | 'python3' | 'twine' | 'go' | 'cosign' | 'cdxgen' | 'npm' | 'pnpm' | 'yarn' | 'bun';

interface ToolSpec {
  /** Environment variable naming the binary (a path, or a name looked up on PATH); wins over everything. */
  envVar?: string;
  /** Look in <workspaceRoot>/.venv/bin first (the project's Python tools). */
  venv?: boolean;
  /** Also look where `go install` puts binaries (GOBIN, GOPATH/bin, ~/go/bin), which is often not on PATH. */
  goInstall?: boolean;
  /** Also look next to the running node (npm ships with it). */
  nodeDir?: boolean;
  /** How to get it, as printed in the error. */
  install: string;
}

export const TOOLS: Record<ToolName, ToolSpec> = {
  uv: {
    envVar: 'AMEIDE_UV',
    venv: true,
    install: "install uv: `pip install uv` or `pipx install uv` (or the project's setup, e.g. tools/setup.sh, which puts it in .venv/bin), or set AMEIDE_UV to its path",
  },
  python3: {
    envVar: 'AMEIDE_PYTHON',
    venv: true,
    install: 'install Python 3 (python.org or the OS package, e.g. apt-get install python3 python3-venv), or make a venv in .venv, or set AMEIDE_PYTHON to its path',
  },
  twine: { envVar: 'AMEIDE_TWINE', venv: true, install: '`pip install twine` (or `uv tool install twine`), or set AMEIDE_TWINE to its path' },
  go: {
    envVar: 'AMEIDE_GO',
    install: 'install Go from https://go.dev/dl/ (or the OS package) and put its bin folder on PATH, or set AMEIDE_GO to its path',
  },
  cosign: {
    envVar: 'COSIGN_BIN',
    goInstall: true,
    install: '`go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3` (it lands in $(go env GOPATH)/bin) or a release binary from github.com/sigstore/cosign; or set COSIGN_BIN to its path',
  },
  cdxgen: {
    envVar: 'AMEIDE_CDXGEN',
    nodeDir: true,
    install: '`bash tools/setup.sh` (npm install -g @cyclonedx/cdxgen@12.8.4), or set AMEIDE_CDXGEN to its path',
  },
  npm: { nodeDir: true, install: 'npm comes with Node.js: install Node.js (nodejs.org) and put it on PATH' },
  pnpm: { install: '`npm install -g pnpm` or `corepack enable pnpm`, or choose npm (smokePackageManager: "npm")' },
  yarn: { install: '`npm install -g yarn` or `corepack enable yarn`' },
  bun: { install: 'install bun (https://bun.sh), or set cli.packageManager in nx.json to the package manager the workspace uses' },
};

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The folders a tool is looked for in, in order, each with where it came from (for the error). */
export function searchDirs(name: ToolName, env: Env, workspaceRoot: string): { dir: string; from: string }[] {
  const spec = TOOLS[name];
  const out: { dir: string; from: string }[] = [];
  if (spec.venv) out.push({ dir: join(workspaceRoot, '.venv', 'bin'), from: 'the workspace venv' });
  if (spec.nodeDir) out.push({ dir: dirname(process.execPath), from: 'the folder of the running node' });
  // An empty PATH entry means the current directory to a shell; never search that.
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d && isAbsolute(d))) out.push({ dir, from: 'PATH' });
  if (spec.goInstall) {
    if (env.GOBIN) out.push({ dir: env.GOBIN, from: 'GOBIN' });
    for (const p of (env.GOPATH ?? '').split(delimiter).filter(Boolean)) out.push({ dir: join(p, 'bin'), from: 'GOPATH/bin' });
    const home = env.HOME || homedir();
    if (home) out.push({ dir: join(home, 'go', 'bin'), from: 'the default GOPATH (~/go/bin)' });
  }
  return out;
}

/**
 * The absolute path of `name`: its environment variable (AMEIDE_UV, COSIGN_BIN, ...), else the
 * workspace venv, PATH and the tool's usual install places, by file existence only. Throws a
 * ReleaseError naming where it looked and how to install it.
 */
export function findTool(name: ToolName, env: Env = process.env, workspaceRoot: string = process.cwd()): string {
  const found = tryFindTool(name, env, workspaceRoot);
  if (found) return found;
  const spec = TOOLS[name];
  const places = [...new Set(searchDirs(name, env, workspaceRoot).map((d) => d.from))];
  throw new ReleaseError(`${name} is not installed: not found in ${places.join(', ') || 'PATH (empty)'}`, spec.install);
}

/** Like findTool, but null when the tool is simply absent (for optional tools); a wrong override still throws. */
export function tryFindTool(name: ToolName, env: Env = process.env, workspaceRoot: string = process.cwd()): string | null {
  const spec = TOOLS[name];
  const override = spec.envVar ? env[spec.envVar] : undefined;
  if (override) {
    if (override.includes('/')) {
      const abs = resolve(workspaceRoot, override);
      if (isExecutableFile(abs)) return abs;
      throw new ReleaseError(`${spec.envVar} is ${override}, which is not an executable file`, `point ${spec.envVar} at the ${name} binary, or unset it; ${spec.install}`);
    }
    const onPath = searchPath(override, env);
    if (onPath) return onPath;
    throw new ReleaseError(`${spec.envVar} is ${override}, which is not on PATH`, `give ${spec.envVar} the full path of the ${name} binary, or unset it; ${spec.install}`);
  }
  for (const { dir } of searchDirs(name, env, workspaceRoot)) {
    const p = join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

function searchPath(bin: string, env: Env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d && isAbsolute(d))) {
    if (isExecutableFile(join(dir, bin))) return join(dir, bin);
  }
  return null;
}
