export interface BuildInfo {
  name: string;
  version: string;
  gitSha: string;
}

/**
 * Reads a package's own package.json at run time. The release pack step stamps `version`
 * and `gitHead` into the packed copy; in the workspace they read `0.0.0` and `unknown`.
 */
export function readBuildInfo(packageJson: { name?: string; version?: string; gitHead?: string }): BuildInfo {
  return {
    name: packageJson.name ?? 'unknown',
    version: packageJson.version ?? '0.0.0',
    gitSha: packageJson.gitHead || 'unknown',
  };
}

/** Version and source SHA of @ameideio/configuration itself. */
export function buildInfo(): BuildInfo {
  // `require` (not import) keeps package.json out of the compiled tree: dist/../package.json is the packed one.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return readBuildInfo(require('../package.json'));
}
