import { readBuildInfo, type BuildInfo } from '@ameideio/configuration';

export type { BuildInfo };

/** Version and source SHA of this SDK: stamped into its package.json (`version`, `gitHead`) at pack time. */
export function buildInfo(): BuildInfo {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return readBuildInfo(require('../package.json'));
}
