import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import {
  detectPackageManager,
  generateFiles,
  getPackageManagerCommand,
  getPackageManagerVersion,
  logger,
  readJson,
  readNxJson,
  updateNxJson,
  type NxJsonConfiguration,
  type Tree,
} from '@nx/devkit';
import { ReleaseError } from '../../errors';
import { DEFAULT_RELEASE_TAG, PLUGIN } from '../../plugin/targets';
import { writeTiltHandoff } from './tiltfile';

export type WorkflowPackageManager = 'npm' | 'pnpm' | 'yarn';
export const WORKFLOW_PACKAGE_MANAGERS: readonly WorkflowPackageManager[] = ['npm', 'pnpm', 'yarn'];

export interface InitOptions {
  skipWorkflow?: boolean;
  overwriteWorkflow?: boolean;
  /** Default: Nx's detection (nx.json cli.packageManager, else the lockfile). */
  packageManager?: WorkflowPackageManager;
  /** pip requirements installed into .venv next to uv. Default: requirements-dev.txt or tools/requirements-dev.txt if present. */
  pythonRequirements?: string;
}

export const WORKFLOW_PATH = '.github/workflows/cd-packages.yml';

/** The named inputs the inferred `pack` target reads; added only where nx.json lacks them. */
export const NAMED_INPUTS: Record<string, string[]> = {
  default: ['{projectRoot}/**/*'],
  production: ['default'],
};

/** Runtimes of the generated workflow, in one place. cosign: the release tools/setup.sh builds. */
export const WORKFLOW_TOOLS = { node: '22', python: '3.11', go: '1.26', cosign: 'v3.1.3', cdxgen: '12.8.4' };

/**
 * Registers the plugin (once), adds the named inputs pack needs, writes the CD workflow for the
 * workspace's package manager unless one exists, and prints the prerequisites. Every input is
 * checked before the tree is touched; a second run changes nothing.
 */
export default async function initGenerator(tree: Tree, options: InitOptions = {}) {
  const writeWorkflow = !options.skipWorkflow && (options.overwriteWorkflow || !tree.exists(WORKFLOW_PATH));
  const vars = writeWorkflow ? workflowVars(tree, options) : undefined;

  const nxJson = readNxJson(tree) ?? {};
  const registered = registerPlugin(nxJson);
  const inputsAdded = addNamedInputs(nxJson);
  if (registered || inputsAdded) updateNxJson(tree, nxJson);
  ignoreVenv(tree);
  if (vars) generateFiles(tree, join(__dirname, 'files', 'workflow'), '.github/workflows', vars);
  writeTiltHandoff(tree); // a workspace with a Tiltfile: the Argo CD handoff snippet and docs/inner-loop.md

  logger.info(prerequisitesText(tree.root, process.env));
}

/** Adds the plugin entry with its options unless the plugin is there already (in any form). */
function registerPlugin(nxJson: NxJsonConfiguration): boolean {
  const plugins = nxJson.plugins ?? [];
  if (plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN)) return false;
  nxJson.plugins = [...plugins, { plugin: PLUGIN, options: { releaseTag: DEFAULT_RELEASE_TAG } }];
  return true;
}

/**
 * The workflow (and the prerequisites hint) put uv into the workspace's .venv; an untracked,
 * not-ignored .venv would make the tree dirty, and a release from a dirty tree is refused.
 */
function ignoreVenv(tree: Tree): void {
  const text = tree.exists('.gitignore') ? tree.read('.gitignore', 'utf8')! : '';
  if (text.split(/\r?\n/).some((l) => /^\/?\.venv\/?$/.test(l.trim()))) return;
  const sep = text && !text.endsWith('\n') ? '\n' : '';
  tree.write('.gitignore', `${text}${sep}# uv for nx-ameide-release's Python steps (nx g @ameideio/nx-ameide-release:init)\n.venv/\n`);
}

function addNamedInputs(nxJson: NxJsonConfiguration): boolean {
  const named = { ...(nxJson.namedInputs ?? {}) };
  const missing = Object.keys(NAMED_INPUTS).filter((k) => named[k] === undefined);
  for (const k of missing) named[k] = NAMED_INPUTS[k];
  if (missing.length > 0) nxJson.namedInputs = named;
  return missing.length > 0;
}

function pluginOptions(tree: Tree): Record<string, unknown> {
  const entry = (readNxJson(tree)?.plugins ?? []).find((p) => typeof p !== 'string' && p.plugin === PLUGIN);
  return (typeof entry === 'object' && (entry.options as Record<string, unknown>)) || {};
}

function resolvePackageManager(tree: Tree, asked: string | undefined): WorkflowPackageManager {
  const pm = asked ?? detectPackageManager(tree.root);
  if (!(WORKFLOW_PACKAGE_MANAGERS as readonly string[]).includes(pm)) {
    throw new ReleaseError(
      `the CD workflow is written for npm, pnpm or yarn; this workspace uses ${pm}`,
      `nx g ${PLUGIN}:init --packageManager npm (or pnpm, yarn), or --skipWorkflow`,
    );
  }
  return pm as WorkflowPackageManager;
}

/** Everything the template substitutes, decided before anything is written. */
export function workflowVars(tree: Tree, options: InitOptions) {
  const pm = resolvePackageManager(tree, options.packageManager);
  const commands = getPackageManagerCommand(pm, tree.root);
  const mainBranch = String(pluginOptions(tree).mainBranch ?? 'main');
  if (!/^[\w][\w./-]*$/.test(mainBranch)) {
    throw new ReleaseError(
      `the plugin option mainBranch is ${JSON.stringify(mainBranch)}, which the workflow cannot use as a branch filter`,
      'set mainBranch in the nx.json plugin options to a plain branch name (letters, digits, . _ / -), e.g. "main"',
      'nx.json',
    );
  }
  const requirements = options.pythonRequirements ?? ['requirements-dev.txt', 'tools/requirements-dev.txt'].find((f) => tree.exists(f));
  if (options.pythonRequirements !== undefined && !tree.exists(options.pythonRequirements)) {
    throw new ReleaseError(
      `pythonRequirements names ${options.pythonRequirements}, which does not exist`,
      'pass the path of a pip requirements file relative to the workspace root, or leave the option out',
    );
  }
  return {
    packageManager: pm,
    exec: commands.exec,
    mainBranch,
    cosignRelease: WORKFLOW_TOOLS.cosign,
    cdxgenVersion: WORKFLOW_TOOLS.cdxgen,
    setupNode: setupNodeSteps(pm, commands.ciInstall, pnpmVersionInput(tree, pm)),
    setupTools: setupToolSteps(requirements),
  };
}

/**
 * pnpm/action-setup reads package.json's packageManager field; without one it needs a version,
 * taken from the pnpm on this machine (major only), else pnpm 10.
 */
function pnpmVersionInput(tree: Tree, pm: WorkflowPackageManager): string | undefined {
  if (pm !== 'pnpm') return undefined;
  const field = tree.exists('package.json') ? readJson(tree, 'package.json').packageManager : undefined;
  if (typeof field === 'string' && field.startsWith('pnpm@')) return undefined;
  try {
    return getPackageManagerVersion('pnpm', tree.root).split('.')[0];
  } catch {
    return '10';
  }
}

const ACTIONS = {
  pnpmSetup: 'pnpm/action-setup@fe02b34f77f8bc703788d5817da081398fad5dd2 # v4.0.0',
  setupNode: 'actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0',
  setupPython: 'actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0',
  setupGo: 'actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e # v7.0.0',
};

function setupNodeSteps(pm: WorkflowPackageManager, install: string, pnpmVersion: string | undefined): string {
  const lines: string[] = [];
  if (pm === 'pnpm') {
    lines.push(`      - uses: ${ACTIONS.pnpmSetup}`);
    if (pnpmVersion) lines.push('        with:', `          version: ${pnpmVersion} # no packageManager field in package.json`);
  }
  if (pm === 'yarn') lines.push("      - run: corepack enable # the yarn of package.json's packageManager field");
  lines.push(
    `      - uses: ${ACTIONS.setupNode}`,
    '        with:',
    `          node-version: ${WORKFLOW_TOOLS.node}`,
    `          cache: ${pm}`,
    `      - run: ${install}`,
  );
  return lines.join('\n');
}

/** Python (uv in the workspace's .venv, where the plugin finds it) and Go, for pack, publish and smoke. */
function setupToolSteps(requirements: string | undefined): string {
  return [
    `      - uses: ${ACTIONS.setupPython}`,
    '        with:',
    `          python-version: '${WORKFLOW_TOOLS.python}'`,
    `      - uses: ${ACTIONS.setupGo}`,
    '        with:',
    `          go-version: '${WORKFLOW_TOOLS.go}'`,
    '          cache: false # no go.sum at the root to key a cache on',
    `      - name: uv${requirements ? ` and ${requirements}` : ''} in .venv`,
    '        run: |',
    '          python -m venv .venv',
    '          .venv/bin/python -m pip install --quiet uv',
    ...(requirements ? [`          .venv/bin/python -m pip install --quiet -r ${requirements}`] : []),
  ].join('\n');
}

interface Prerequisite {
  tool: string;
  why: string;
  get: string;
  extraDirs: (root: string, env: NodeJS.ProcessEnv) => string[];
}

const PREREQUISITES: Prerequisite[] = [
  {
    tool: 'uv',
    why: 'Python packages: pack, publish, smoke; on PATH or in .venv/bin',
    get: 'python3 -m venv .venv && .venv/bin/pip install uv  (or https://docs.astral.sh/uv/getting-started/installation/)',
    extraDirs: (root) => [join(root, '.venv', 'bin')],
  },
  {
    tool: 'go',
    why: 'Go modules: pack, publish, smoke',
    get: 'https://go.dev/dl/ (Debian: apt-get install golang-go)',
    extraDirs: () => [],
  },
  {
    tool: 'cosign',
    why: 'image signatures: ghcr',
    get: `go install github.com/sigstore/cosign/v3/cmd/cosign@${WORKFLOW_TOOLS.cosign}  (the workflow installs it itself)`,
    extraDirs: (_root, env) => [env.GOBIN ?? '', join(env.GOPATH?.split(delimiter)[0] || join(homedir(), 'go'), 'bin')],
  },
  {
    tool: 'cdxgen',
    why: 'the CycloneDX SBOM of each image: ghcr',
    get: `npm install -g @cyclonedx/cdxgen@${WORKFLOW_TOOLS.cdxgen}  (the workflow installs it itself)`,
    extraDirs: () => [dirname(process.execPath)],
  },
];

/** Where each tool is found (PATH, then its usual places), without running anything. */
export function prerequisitesText(root: string, env: NodeJS.ProcessEnv): string {
  const path = (env.PATH ?? '').split(delimiter);
  const lines = PREREQUISITES.map((p) => {
    const found = [...path, ...p.extraDirs(root, env)].filter(Boolean).map((d) => join(d, p.tool)).find((f) => existsSync(f));
    return found ? `  ${p.tool.padEnd(7)} found: ${found}  (${p.why})` : `  ${p.tool.padEnd(7)} MISSING (${p.why})\n          get it: ${p.get}`;
  });
  return ['nx-ameide-release: prerequisites of the release targets (only the ones your packages need):', ...lines].join('\n');
}
