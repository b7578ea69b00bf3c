import type * as Pep440 from '@renovatebot/pep440';
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

/**
 * PEP 440 Appendix B's own regular expression (packaging's VERSION_PATTERN), used only when
 * @renovatebot/pep440 (an ES module) cannot be required: under jest in CommonJS mode.
 * Group 1 is the local segment.
 */
const PEP440_APPENDIX_B =
  /^\s*v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

function loadPep440(): typeof Pep440 | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@renovatebot/pep440') as typeof Pep440;
  } catch {
    return null;
  }
}

function pep440Check(version: string): { valid: boolean; local: boolean } {
  const lib = loadPep440();
  if (lib) return { valid: !!lib.valid(version), local: !!lib.explain(version)?.local };
  const m = PEP440_APPENDIX_B.exec(version);
  return { valid: !!m, local: !!m?.[1] };
}

/** PYPI_VERSION must be a PEP 440 public version: uploads with `+local` are refused by PyPI. */
export function checkPypiVersion(version: string): void {
  const check = pep440Check(version);
  if (!version || !check.valid) {
    throw new ReleaseError(
      `PYPI_VERSION ${JSON.stringify(version)} is not a valid PEP 440 version`,
      'fix the pypiDevVersion template in the plugin options (default `{base}.dev{datetime}`)',
      'version context',
    );
  }
  if (check.local) {
    throw new ReleaseError(
      `PYPI_VERSION ${version} has a +local segment, which package indexes refuse`,
      'drop the `+...` part from the pypiDevVersion template',
      'version context',
    );
  }
}
