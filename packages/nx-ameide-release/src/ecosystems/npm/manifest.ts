import { posix } from 'node:path';
import * as semver from 'semver';
import { ReleaseError } from '../../errors';
import type { VersionContext } from '../../version/types';
import { findUnpublishableSpecs, rewriteWorkspaceRanges, type RewriteResult, type WorkspacePackage } from './workspace';

/** The repository keeps this placeholder; only the packed temp copy carries a real version. */
export const PLACEHOLDER_VERSION = '0.0.0';

/** The version as the registry stores it: npm drops `+build` metadata (0.1.0-dev.1+gabc -> 0.1.0-dev.1). */
export function registryVersion(version: string): string {
  const parsed = semver.parse(version);
  if (!parsed) throw new ReleaseError(`"${version}" is not a SemVer version`, 'check the npmDevVersion template in the plugin options');
  return parsed.version;
}

/**
 * pnpm applies these `publishConfig` fields over the top-level ones when it packs; npm does
 * not, so the stamped copy does it (same tarball whichever client a team uses). Nx plugins add
 * their own manifests (`executors`, `generators`, and the Angular-era `builders`/`schematics`):
 * a plugin that runs from a local build in its own workspace points them elsewhere there.
 */
const PUBLISH_CONFIG_OVERRIDES = ['bin', 'main', 'exports', 'types', 'typings', 'module', 'browser', 'esnext', 'es2015', 'unpkg', 'umd:main', 'typesVersions', 'cpu', 'os', 'executors', 'generators', 'builders', 'schematics'];

/** Guards on the repository's package.json, checked before anything is written. */
export function guardSourceManifest(pkg: Record<string, any>, context: Pick<VersionContext, 'NPM_VERSION'>, where: string): void {
  if (typeof pkg.name !== 'string' || !pkg.name) {
    throw new ReleaseError('package.json has no "name"', 'give the package its npm name, e.g. "@ameideio/configuration"', where);
  }
  if (pkg.version !== PLACEHOLDER_VERSION) {
    throw new ReleaseError(
      `package.json version is "${pkg.version}", but the repository keeps the placeholder "${PLACEHOLDER_VERSION}" (the release stamps the real version into a temp copy)`,
      `set "version": "${PLACEHOLDER_VERSION}" in ${where}; versions come from git tags (vX.Y.Z), never from the manifest`,
      where,
    );
  }
  if (pkg.private === true) {
    throw new ReleaseError(
      `package.json has "private": true, so npm refuses to publish ${pkg.name}`,
      `remove "private": true, or drop the ameide:release tag from this project`,
      where,
    );
  }
  for (const key of ['tag', 'registry'] as const) {
    if (pkg.publishConfig?.[key] !== undefined) {
      throw new ReleaseError(
        `package.json publishConfig.${key} is set ("${pkg.publishConfig[key]}"); npm lets it override the release's own ${key === 'tag' ? 'dist-tag (dev/latest/next)' : 'registry (destinations.npm.registry)'}`,
        `remove publishConfig.${key} from ${where}`,
        where,
      );
    }
  }
  if (!context.NPM_VERSION || !semver.valid(context.NPM_VERSION)) {
    throw new ReleaseError(
      `NPM_VERSION "${context.NPM_VERSION}" is not a SemVer version`,
      'check the npmDevVersion template in the plugin options (nx.json)',
    );
  }
}

export interface StampResult extends RewriteResult {}

/** Fields of publishConfig that steer packing in the workspace and mean nothing to a consumer. */
const PUBLISH_CONFIG_WORKSPACE_ONLY = ['directory', 'linkDirectory'];

/**
 * The folder that is packed instead of the project root, from `publishConfig.directory` (as pnpm
 * reads it): relative to the project, inside the workspace, neither the project itself nor a
 * folder holding it, e.g. `../../dist/packages/<name>` for a package whose build compiles there.
 * Returns the workspace-relative folder, or null when the project root is packed. Pure.
 */
export function publishDirectory(pkg: Record<string, any>, projectRoot: string, where: string): string | null {
  const dir = pkg.publishConfig?.directory;
  if (dir === undefined) return null;
  const fix = 'set publishConfig.directory to the build output folder, relative to the package, e.g. "../../dist/packages/<name>", or remove it';
  if (typeof dir !== 'string' || !dir.trim() || dir.startsWith('/')) {
    throw new ReleaseError(`publishConfig.directory ${JSON.stringify(dir)} is not a relative folder`, fix, where);
  }
  const root = posix.normalize(projectRoot.replace(/\\/g, '/'));
  const resolved = posix.normalize(posix.join(root, dir.replace(/\\/g, '/'))).replace(/\/$/, '');
  if (resolved === '..' || resolved.startsWith('../')) {
    throw new ReleaseError(`publishConfig.directory "${dir}" points outside the workspace`, fix, where);
  }
  if (resolved === '.' || resolved === root || root.startsWith(`${resolved}/`)) {
    throw new ReleaseError(`publishConfig.directory "${dir}" is the package itself or a folder holding it`, fix, where);
  }
  return resolved;
}

/**
 * The manifest that goes into the tarball: this release's version, the source SHA as
 * `gitHead` (npm keeps an explicit gitHead; buildInfo() reads it), publishConfig applied,
 * `workspace:` ranges rewritten. Pure.
 */
export function stampManifest(
  pkg: Record<string, any>,
  opts: { version: string; gitSha: string; workspacePackages: Array<Pick<WorkspacePackage, 'name' | 'dir'>>; where: string; projectDir: string },
): StampResult {
  const copy: Record<string, any> = JSON.parse(JSON.stringify(pkg));
  copy.version = opts.version;
  copy.gitHead = opts.gitSha;
  if (copy.publishConfig && typeof copy.publishConfig === 'object') {
    for (const key of PUBLISH_CONFIG_OVERRIDES) {
      if (copy.publishConfig[key] !== undefined) {
        copy[key] = copy.publishConfig[key];
        delete copy.publishConfig[key];
      }
    }
    for (const key of PUBLISH_CONFIG_WORKSPACE_ONLY) delete copy.publishConfig[key];
  }
  // Every workspace package is released together, at the registry form of this version.
  const result = rewriteWorkspaceRanges(copy, registryVersion(opts.version), opts.workspacePackages, {
    where: opts.where,
    projectDir: opts.projectDir,
  });
  const left = findUnpublishableSpecs(result.manifest);
  if (left.length) {
    throw new ReleaseError(
      `the packed manifest would still carry workspace-only ranges: ${left.join(', ')}`,
      'replace them with a published version range (catalog: ranges are not supported by this release plugin)',
      opts.where,
    );
  }
  return result;
}
