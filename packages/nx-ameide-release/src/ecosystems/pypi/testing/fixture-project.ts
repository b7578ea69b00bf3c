import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VersionContext } from '../../../version/types';

/**
 * A tiny workspace with one PEP 621 / hatchling project shaped like ameide-sdk-python
 * (src layout, _build_info.py with the placeholders), for tests that must not touch the repo.
 */
export const FIXTURE_PYPROJECT = `[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "ameide-sdk-python"
version = "0.0.0"
description = "Fixture SDK for the PyPI adapter tests"
readme = "README.md"
requires-python = ">=3.9"

[project.urls]
Repository = "https://github.com/ameideio/ameide.git"

[tool.hatch.build.targets.wheel]
packages = ["src/ameide_sdk"]
`;

export function makeFixtureWorkspace(opts: { pyproject?: string; buildInfo?: string | null } = {}): { workspaceRoot: string; projectRoot: string } {
  const workspaceRoot = mkdtempSync(join(tmpdir(), 'ameide-pypi-ws-'));
  const projectRoot = 'packages/ameide_sdk_python';
  const dir = join(workspaceRoot, projectRoot);
  mkdirSync(join(dir, 'src', 'ameide_sdk'), { recursive: true });
  writeFileSync(join(dir, 'pyproject.toml'), opts.pyproject ?? FIXTURE_PYPROJECT);
  writeFileSync(join(dir, 'README.md'), '# ameide-sdk-python (fixture)\n');
  writeFileSync(
    join(dir, 'src', 'ameide_sdk', '__init__.py'),
    'from ._build_info import GIT_SHA, VERSION\n\n\ndef build_info():\n    return {"version": VERSION, "git_sha": GIT_SHA}\n',
  );
  if (opts.buildInfo !== null) writeFileSync(join(dir, 'src', 'ameide_sdk', '_build_info.py'), opts.buildInfo ?? 'VERSION = "0.0.0"\nGIT_SHA = "unknown"\n');
  // Junk a developer's checkout has and a clean clone has not: pack must leave it out.
  mkdirSync(join(dir, 'src', 'ameide_sdk', '__pycache__'));
  writeFileSync(join(dir, 'src', 'ameide_sdk', '__pycache__', 'x.cpython-311.pyc'), String(Date.now()));
  mkdirSync(join(dir, '.venv'));
  writeFileSync(join(dir, '.venv', 'marker'), String(Date.now()));
  return { workspaceRoot, projectRoot };
}

/** The seed's dev context (v0.1.0, 71e210b, 2025-11-13 15:32:11 UTC), overridable per test. */
export function devContext(over: Partial<VersionContext> = {}): VersionContext {
  const GIT_SHA = over.GIT_SHA ?? '71e210beab37b68546d56dceccba18f09264ecc3';
  return {
    BASE_VERSION: '0.1.0',
    GIT_SHA,
    SHORT_SHA: GIT_SHA.slice(0, 7),
    DATE: '20251113',
    DATETIME: '20251113153211',
    CHANNEL: 'dev',
    IS_RELEASE: false,
    NPM_VERSION: '0.1.0-dev.20251113153211+g71e210b',
    NPM_DIST_TAG: 'dev',
    PYPI_VERSION: '0.1.0.dev20251113153211',
    GO_VERSION: '',
    GO_PSEUDO_VERSION: '',
    GHCR_TAGS: [GIT_SHA, 'dev'],
    COMMIT_TIME: '2025-11-13T15:32:11Z',
    REF: 'refs/heads/main',
    RELEASE_TAG: '',
    IS_HIGHEST_RELEASE: false,
    ...over,
  };
}
