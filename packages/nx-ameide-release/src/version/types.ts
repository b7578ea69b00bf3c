/**
 * The version context: every string an ecosystem needs, computed once from
 * git facts + ref + options by a pure function (see ../../../../DESIGN in shared/).
 * Key names are a public contract: `context --format env` prints them verbatim.
 */
export type Channel = 'release' | 'dev' | 'build';

export interface VersionContext {
  BASE_VERSION: string; // highest vX.Y.Z reachable from HEAD, without the v; 0.1.0 seed when none
  GIT_SHA: string; // 40 hex
  SHORT_SHA: string; // 7 hex
  DATE: string; // YYYYMMDD, UTC commit time
  DATETIME: string; // YYYYMMDDHHMMSS, UTC commit time
  CHANNEL: Channel;
  IS_RELEASE: boolean;
  NPM_VERSION: string;
  NPM_DIST_TAG: string; // latest | next | dev | '' (build)
  PYPI_VERSION: string;
  GO_VERSION: string; // vX.Y.Z on release, '' otherwise
  GO_PSEUDO_VERSION: string; // informational
  GHCR_TAGS: string[];
  /** ISO-8601 UTC commit time, used for reproducible mtimes / SOURCE_DATE_EPOCH. */
  COMMIT_TIME: string;
  /** The ref the channel was derived from (refs/tags/v1.2.3, refs/heads/main, ...). */
  REF: string;
  /** Release tag at HEAD when CHANNEL is release (e.g. v1.2.3), else ''. */
  RELEASE_TAG: string;
  /** true when this release is the highest SemVer release (latest / X.Y may move). */
  IS_HIGHEST_RELEASE: boolean;
}

export type DevBase = 'latest-tag' | 'next-patch';

/** Plugin options that shape the context (nx.json plugin options; every one is also a CLI flag). */
export interface VersionOptions {
  npmDevVersion?: string; // default '{base}-dev.{datetime}+g{shortSha}'
  pypiDevVersion?: string; // default '{base}.dev{datetime}'
  devBase?: DevBase; // default 'latest-tag'
  mainBranch?: string; // default 'main'
  allowBackport?: boolean;
}
