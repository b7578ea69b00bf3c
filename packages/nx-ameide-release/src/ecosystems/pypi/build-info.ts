import { explain, valid } from '@renovatebot/pep440';
import { ReleaseError } from '../../errors';
import { PLACEHOLDER_VERSION } from './pyproject';

/** The importable build info: `<package>/_build_info.py` with `VERSION = "..."` and `GIT_SHA = "..."`. */
export const BUILD_INFO_FILE = '_build_info.py';

const VERSION_LINE = /^VERSION\s*=\s*(["'])(.*?)\1\s*(#.*)?$/m;
const SHA_LINE = /^GIT_SHA\s*=\s*(["'])(.*?)\1\s*(#.*)?$/m;

/** Rewrite the two lines of a _build_info.py; everything else in the file is kept. Pure. */
export function stampBuildInfo(text: string, stamp: { version: string; gitSha: string }, where = BUILD_INFO_FILE): string {
  const version = VERSION_LINE.exec(text);
  if (!version || !SHA_LINE.test(text)) {
    throw new ReleaseError(
      'must hold a `VERSION = "0.0.0"` line and a `GIT_SHA = "unknown"` line',
      'restore both lines (pack rewrites them in a temp copy with the release version and commit)',
      where,
    );
  }
  if (version[2] !== PLACEHOLDER_VERSION) {
    throw new ReleaseError(
      `VERSION is ${JSON.stringify(version[2])}, not the ${PLACEHOLDER_VERSION} placeholder`,
      `set VERSION = "${PLACEHOLDER_VERSION}"; pack stamps the release version into a temp copy`,
      where,
    );
  }
  return text.replace(VERSION_LINE, `VERSION = "${stamp.version}"`).replace(SHA_LINE, `GIT_SHA = "${stamp.gitSha}"`);
}

/** PYPI_VERSION must be a PEP 440 public version: uploads with `+local` are refused by PyPI. */
export function checkPypiVersion(version: string): void {
  if (!version || !valid(version)) {
    throw new ReleaseError(
      `PYPI_VERSION ${JSON.stringify(version)} is not a valid PEP 440 version`,
      'fix the pypiDevVersion template in the plugin options (default `{base}.dev{datetime}`)',
      'version context',
    );
  }
  const parts = explain(version);
  if (parts?.local) {
    throw new ReleaseError(
      `PYPI_VERSION ${version} has a +local segment, which package indexes refuse`,
      'drop the `+...` part from the pypiDevVersion template',
      'version context',
    );
  }
}
