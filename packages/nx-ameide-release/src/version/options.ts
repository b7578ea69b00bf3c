import type { VersionOptions } from './types';

/**
 * Defaults use {datetime}, not {date}: npm drops `+build` metadata, so two commits on one
 * day would ask for the same version (E409, and a used npm version is never freed).
 * A module of its own: reading the plugin options (every task) loads no version logic.
 */
export const DEFAULT_VERSION_OPTIONS: Required<VersionOptions> = {
  npmDevVersion: '{base}-dev.{datetime}+g{shortSha}',
  pypiDevVersion: '{base}.dev{datetime}',
  devBase: 'latest-tag',
  mainBranch: 'main',
  allowBackport: false,
};

