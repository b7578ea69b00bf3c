import type { EcosystemAdapter } from '../../core/contract';
import { packPypi, type PypiPackOptions } from './pack';
import { pypiRegistry } from '../../destinations/registries';
import { checksPypi, pypiSteps, type PypiPublishOptions } from './publish';
import { smokePypi } from './smoke';

/**
 * PyPI: wheel + sdist built by `uv build` (hatchling or any PEP 517 backend) from a stamped
 * temp copy; uploaded with `uv publish`, one file at a time, credentials in env only.
 *
 * The commit is recorded twice: `<pkg>/_build_info.py` (VERSION, GIT_SHA: what the SDK reports)
 * and the wheel/sdist metadata `Project-URL: Source Commit, <repo>/commit/<sha>`, where <repo>
 * is [project.urls] Repository (or Source) from pyproject.toml, else `repositoryUrl`, else
 * https://github.com/ameideio/ameide. Builds are reproducible (SOURCE_DATE_EPOCH = commit time,
 * normalized file modes), so an index file with our sha256 is ours; for any other bytes the
 * commit is read back from that file's metadata. Publishing goes through the one flow
 * (src/core/publish-flow.ts): one planned artifact per file, so a half-published version completes.
 */
export interface PypiEcosystemOptions extends PypiPackOptions, PypiPublishOptions {}

export function createPypiEcosystem(opts: PypiEcosystemOptions = {}): EcosystemAdapter {
  const steps = pypiSteps(opts);
  return {
    ecosystem: 'pypi',
    role: 'package',
    destination: 'pypi',
    pack: (input) => packPypi(input, opts),
    version: (context) => context.PYPI_VERSION,
    checks: checksPypi,
    steps,
    describe: (input) => ({ registry: pypiRegistry(input.env, input.destinations).indexUrl, tags: [] }),
    smoke: smokePypi,
  };
}

export const pypiEcosystem: EcosystemAdapter = createPypiEcosystem();

export { packPypi, DEFAULT_REPOSITORY_URL, sourceDateEpoch } from './pack';
export { lookupFile, locate, parseUploadFailure, pypiSteps } from './publish';
export { readPyproject, stampPyproject, checkPlaceholderVersion, repositoryUrlFrom, commitUrl } from './pyproject';
export { stampBuildInfo, checkPypiVersion } from './build-info';
export { resolvePythonTools, normalizeProjectName } from './commands';
