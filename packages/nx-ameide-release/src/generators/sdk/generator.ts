import { addProjectConfiguration, getProjects, joinPathFragments, offsetFromRoot, readNxJson, type TargetConfiguration, type Tree } from '@nx/devkit';
import { ReleaseError } from '../../errors';
import type { Ecosystem } from '../../core/contract';
import { DEFAULT_RELEASE_TAG, PLUGIN } from '../../plugin/targets';
import { goFiles, npmFiles, pypiFiles, type SdkFiles } from './files';

export interface SdkOptions {
  ecosystem: Ecosystem;
  /** Nx project name, e.g. acme-sdk. */
  name: string;
  /** Where the package goes (default packages/<name>). */
  directory?: string;
  /** npm package name (default: name) or PyPI distribution name (default: name with `_` as `-`). */
  packageName?: string;
  /** Go module path (required for go), e.g. github.com/acme/acme-sdk-go. */
  modulePath?: string;
}

export interface NormalizedSdk {
  ecosystem: Ecosystem;
  name: string;
  directory: string;
  releaseTag: string;
  files: SdkFiles;
  test: TargetConfiguration;
}

const PROJECT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
// PEP 508 names: letters, digits, `.`, `_`, `-`, starting and ending with a letter or digit.
const PYPI_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
// A host with a dot, then path elements; Go refuses uppercase-only tricks elsewhere, this is the shape check.
const GO_MODULE = /^[a-z0-9-]+(\.[a-z0-9-]+)+(\/[A-Za-z0-9._~-]+)+$/;

/** The release tag this workspace uses: the plugin's `releaseTag` option in nx.json, else ameide:release. */
export function releaseTagOf(tree: Tree): string {
  const entry = (readNxJson(tree)?.plugins ?? []).find((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN);
  const tag = entry && typeof entry !== 'string' ? (entry.options as { releaseTag?: unknown } | undefined)?.releaseTag : undefined;
  return typeof tag === 'string' && tag ? tag : DEFAULT_RELEASE_TAG;
}

/** The Go package name for a module path: its last element (before /vN), letters and digits only, without a go- / -go affix. */
export function goPackageName(modulePath: string): string {
  const parts = modulePath.split('/');
  const last = /^v[0-9]+$/.test(parts[parts.length - 1]) ? parts[parts.length - 2] : parts[parts.length - 1];
  const bare = last.toLowerCase().replace(/^go-/, '').replace(/-go$/, '').replace(/[^a-z0-9]/g, '');
  return /^[a-z]/.test(bare) ? bare : `sdk${bare}`;
}

const commandTarget = (command: string, description: string): TargetConfiguration => ({
  executor: 'nx:run-commands',
  cache: true,
  inputs: ['default'],
  options: { command, cwd: '{projectRoot}' },
  metadata: { description },
});

/** Options checked and completed and every file computed, reading the tree only: every refusal comes before any write. */
export function normalizeSdkOptions(tree: Tree, options: SdkOptions): NormalizedSdk {
  const fix = 'nx g @ameideio/nx-ameide-release:sdk --ecosystem npm|pypi|go --name <name> [--directory packages/<name>]';
  const { ecosystem, name } = options;
  if (!['npm', 'pypi', 'go'].includes(ecosystem)) throw new ReleaseError(`--ecosystem is ${JSON.stringify(ecosystem)}`, `choose npm, pypi or go: ${fix}`);
  if (typeof name !== 'string' || !PROJECT_NAME.test(name)) {
    throw new ReleaseError(`--name ${JSON.stringify(name)} is not a valid Nx project name`, `use letters, digits, ".", "_" and "-", starting with a letter or digit: ${fix}`);
  }
  if (getProjects(tree).has(name)) throw new ReleaseError(`a project named ${name} already exists`, 'choose another --name');
  const directory = (options.directory ?? `packages/${name}`).replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  if (!directory || directory.startsWith('/') || directory.split('/').includes('..')) {
    throw new ReleaseError(`--directory ${JSON.stringify(options.directory)} is not a folder inside the workspace`, 'give a workspace-relative folder, e.g. --directory packages/acme-sdk');
  }
  if (tree.exists(directory) && tree.children(directory).length > 0) {
    throw new ReleaseError(`${directory} already exists and is not empty`, `choose another --directory (or remove ${directory})`);
  }

  let files: SdkFiles;
  let test: TargetConfiguration;
  if (ecosystem === 'npm') {
    const packageName = options.packageName ?? name;
    if (!NPM_NAME.test(packageName)) {
      throw new ReleaseError(`${JSON.stringify(packageName)} is not a valid npm package name`, 'pass --packageName @scope/name (lowercase letters, digits, "-", ".", "_", "~")');
    }
    files = npmFiles({ packageName });
    test = commandTarget('node --test', "node's built-in test runner (test/*.test.js).");
  } else if (ecosystem === 'pypi') {
    const packageName = options.packageName ?? name.replace(/_/g, '-');
    if (!PYPI_NAME.test(packageName)) {
      throw new ReleaseError(`${JSON.stringify(packageName)} is not a valid Python distribution name`, 'pass --packageName acme-sdk (letters, digits, ".", "_", "-")');
    }
    const importName = packageName.toLowerCase().replace(/[.-]+/g, '_');
    files = pypiFiles({ packageName, importName });
    test = commandTarget('python3 -m pytest -q -p no:cacheprovider', 'pytest (python3 on PATH: activate the workspace venv first).');
  } else {
    const modulePath = options.modulePath;
    if (!modulePath) {
      throw new ReleaseError('a Go package needs its module path (no default: it names the repository the module is published to)', `pass --modulePath, e.g. --modulePath github.com/<org>/${name}`);
    }
    if (!GO_MODULE.test(modulePath)) {
      throw new ReleaseError(`--modulePath ${JSON.stringify(modulePath)} is not a Go module path`, 'use host/path form, e.g. github.com/acme/acme-sdk-go');
    }
    files = goFiles({ modulePath, goPackage: goPackageName(modulePath) });
    test = commandTarget('go test ./...', 'go test.');
  }
  return { ecosystem, name, directory, releaseTag: releaseTagOf(tree), files, test };
}

/**
 * Adds a releasable package: manifest at the 0.0.0 placeholder, minimal source with a build-info
 * function (what smoke checks), one real test, and a project.json with the release tag (so
 * createNodes infers version/pack/publish/ghcr/smoke) and a `test` target. No nx.json edit.
 */
export default async function sdkGenerator(tree: Tree, options: SdkOptions) {
  const sdk = normalizeSdkOptions(tree, options);
  for (const [file, content] of Object.entries(sdk.files)) tree.write(joinPathFragments(sdk.directory, file), content);
  addProjectConfiguration(tree, sdk.name, {
    $schema: `${offsetFromRoot(sdk.directory)}node_modules/nx/schemas/project-schema.json`,
    root: sdk.directory,
    sourceRoot: sdk.ecosystem === 'go' ? sdk.directory : `${sdk.directory}/src`,
    projectType: 'library',
    tags: [sdk.releaseTag],
    targets: { test: sdk.test },
  } as Parameters<typeof addProjectConfiguration>[2]);
}
