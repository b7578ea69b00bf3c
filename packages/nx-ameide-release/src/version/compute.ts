// pep440's version module alone: its index loads every specifier module. semver loads only when the fast
// paths below cannot decide (one function each, never its index of ~50 modules).
import * as pep440 from '@renovatebot/pep440/lib/version.js';
import type { SemVer } from 'semver';
/* eslint-disable @typescript-eslint/no-var-requires */
const parseSemver = (v: string): SemVer | null => (require('semver/functions/parse') as typeof import('semver/functions/parse'))(v);
const incSemver = (v: string, part: 'patch'): string | null => (require('semver/functions/inc') as typeof import('semver/functions/inc'))(v, part);
/* eslint-enable @typescript-eslint/no-var-requires */

/**
 * SemVer 2.0.0's own grammar (semver.org), with core numbers of at most 15 digits. A version it
 * matches, up to 200 characters, is one semver parses to the same string; anything else is left
 * to semver itself (src/version/compute.spec.ts holds the two together).
 */
const STRICT_SEMVER =
  /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** True when `version` is a valid SemVer version written as semver writes it (build metadata included). */
export function isCanonicalSemver(version: string): boolean {
  if (version.length <= 200 && STRICT_SEMVER.test(version)) return true;
  // semver.valid drops +build, so rebuild the full string to compare.
  const v = parseSemver(version);
  const full = v ? `${v.version}${v.build.length ? `+${v.build.join('.')}` : ''}` : null;
  return full === version;
}
import { ReleaseError } from '../errors';
import type { GitFacts } from './facts';
import { classifyTag, compareVersionTagsDesc, highestStableTag, highestVersionTag, parseVersionTag, RELEASE_TAG_FORM, type VersionTag } from './tags';
import type { Channel, DevBase, VersionContext, VersionOptions } from './types';
import { DEFAULT_VERSION_OPTIONS } from './options';

/** The version when no `vX.Y.Z` tag is reachable (the seed's own choice). */
export const SEED_VERSION = '0.1.0';

export { DEFAULT_VERSION_OPTIONS } from './options';

export const PLACEHOLDERS = ['base', 'sha', 'shortSha', 'date', 'datetime', 'major', 'minor', 'patch'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const DEV_BASES: readonly DevBase[] = ['latest-tag', 'next-patch'];

/** The distribution spec's tag grammar. */
const OCI_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isValidOciTag(tag: string): boolean {
  return OCI_TAG.test(tag);
}

/** Defaults, overlaid by the given options; throws on a value of the wrong kind. */
export function normalizeOptions(options: VersionOptions = {}): Required<VersionOptions> {
  const o = { ...DEFAULT_VERSION_OPTIONS };
  for (const [key, value] of Object.entries(options) as [keyof VersionOptions, unknown][]) {
    if (value === undefined || !(key in DEFAULT_VERSION_OPTIONS)) continue;
    const expected = typeof DEFAULT_VERSION_OPTIONS[key];
    if (typeof value !== expected || value === '') {
      throw new ReleaseError(
        `option ${key} must be a non-empty ${expected}, got ${JSON.stringify(value)}`,
        `fix ${key} in the @ameideio/nx-ameide-release plugin options of nx.json, or the matching CLI flag`,
      );
    }
    (o as Record<string, unknown>)[key] = value;
  }
  if (!DEV_BASES.includes(o.devBase)) {
    throw new ReleaseError(
      `option devBase must be one of ${DEV_BASES.join(', ')}, got ${JSON.stringify(o.devBase)}`,
      `set devBase to "latest-tag" (dev builds sort below the last release) or "next-patch" (dev builds on X.Y.(Z+1))`,
    );
  }
  return o;
}

/** Replace `{name}` placeholders; an unknown one is an error naming the template. */
export function renderTemplate(template: string, values: Record<Placeholder, string>, option: string): string {
  return template.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new ReleaseError(
        `${option} template ${JSON.stringify(template)} uses unknown placeholder {${name}}`,
        `use only ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
      );
    }
    return values[name as Placeholder];
  });
}

/** `YYYY-MM-DDTHH:MM:SSZ` -> DATE, DATETIME. String slicing only: the model never reads a clock. */
export function commitStamps(commitTime: string): { DATE: string; DATETIME: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(commitTime);
  if (!m) {
    throw new ReleaseError(
      `commit time ${JSON.stringify(commitTime)} is not UTC YYYY-MM-DDTHH:MM:SSZ`,
      'pass the committer time of HEAD in UTC (git show -s --format=%ct HEAD, converted)',
    );
  }
  const date = `${m[1]}${m[2]}${m[3]}`;
  return { DATE: date, DATETIME: `${date}${m[4]}${m[5]}${m[6]}` };
}

/**
 * PEP 440 spelling of a SemVer prerelease. Documented mapping: alpha|a -> a, beta|b -> b,
 * rc -> rc, with an optional number (`rc.1`, `rc1`, `rc` = rc0). Anything else has no
 * PEP 440 meaning that sorts the same way, so it is refused rather than guessed.
 */
export function pep440Prerelease(tag: VersionTag): string {
  const base = `${tag.major}.${tag.minor}.${tag.patch}`;
  if (!tag.prerelease) return base;
  const m = /^(alpha|a|beta|b|rc)\.?(\d*)$/.exec(tag.prerelease);
  if (!m) {
    throw new ReleaseError(
      `prerelease tag ${tag.tag} has no PEP 440 equivalent (supported: -alpha.N, -beta.N, -rc.N, also -a.N, -b.N)`,
      `tag the prerelease as v${base}-rc.1 (or -alpha.N / -beta.N); delete ${tag.tag} if it is not pushed yet`,
    );
  }
  const label = { alpha: 'a', a: 'a', beta: 'b', b: 'b', rc: 'rc' }[m[1] as 'alpha' | 'a' | 'beta' | 'b' | 'rc'];
  return `${base}${label}${Number(m[2] || '0')}`;
}

function checkNpm(version: string, template: string): string {
  if (!isCanonicalSemver(version)) {
    throw new ReleaseError(
      `npmDevVersion template ${JSON.stringify(template)} gives ${JSON.stringify(version)}, which is not a valid SemVer version`,
      'write a template that yields X.Y.Z-<prerelease>[+<build>], e.g. "{base}-dev.{datetime}+g{shortSha}"',
    );
  }
  return version;
}

function checkPypi(version: string, template: string): string {
  const parsed = pep440.parse(version);
  if (!parsed) {
    throw new ReleaseError(
      `pypiDevVersion template ${JSON.stringify(template)} gives ${JSON.stringify(version)}, which is not a valid PEP 440 version`,
      'write a template that yields a PEP 440 version, e.g. "{base}.dev{datetime}"',
    );
  }
  if (parsed.local) {
    throw new ReleaseError(
      `pypiDevVersion template ${JSON.stringify(template)} gives ${JSON.stringify(version)}, with a +local part that PyPI refuses`,
      'drop the "+..." part of the template (the SHA is recorded in the package metadata instead)',
    );
  }
  const normal = pep440.clean(version);
  if (normal !== version) {
    throw new ReleaseError(
      `pypiDevVersion template ${JSON.stringify(template)} gives ${JSON.stringify(version)}, which PyPI normalises to ${JSON.stringify(normal)}`,
      'write the template in normalised PEP 440 form so the published name is the name we look up, e.g. "{base}.dev{datetime}"',
    );
  }
  return version;
}

function checkOci(tags: string[]): string[] {
  for (const t of tags) {
    if (!isValidOciTag(t)) {
      throw new ReleaseError(
        `OCI tag ${JSON.stringify(t)} does not match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`,
        'use a release tag vX.Y.Z[-prerelease] whose version is a valid OCI tag',
      );
    }
  }
  return tags;
}

/**
 * Go's own pseudo-version for HEAD (informational: what `go get <module>@<sha>` would say
 * with these tags): v0.0.0-<datetime>-<sha12> without tags, vX.Y.(Z+1)-0.<datetime>-<sha12>
 * after vX.Y.Z, vX.Y.Z-pre.0.<datetime>-<sha12> after a prerelease.
 */
export function goPseudoVersion(reachableTags: readonly string[], datetime: string, sha: string): string {
  const rev = sha.slice(0, 12);
  const latest = highestVersionTag(reachableTags);
  if (!latest) return `v0.0.0-${datetime}-${rev}`;
  if (latest.prerelease) return `v${latest.version}.0.${datetime}-${rev}`;
  return `v${latest.major}.${latest.minor}.${latest.patch + 1}-0.${datetime}-${rev}`;
}

/** What a ref means for the channel; `warning` is for the edges to print (the model prints nothing). */
export interface RefClass {
  channel: Channel;
  tag: VersionTag | null;
  warning?: string;
}

/** A release tag close to `name` (1.2.3 -> v1.2.3, v1.2 -> v1.2.0, v01.2.3 -> v1.2.3), or null when none is obvious. */
export function suggestReleaseTag(name: string): string | null {
  const m = /^[vV]?(\d+(?:\.\d+)+)(-[^+]*)?(\+.*)?$/.exec(name);
  if (!m) return null;
  const nums = m[1].split('.').map((n) => String(Number(n)));
  if (nums.length > 3) return null;
  while (nums.length < 3) nums.push('0');
  const candidate = `v${nums.join('.')}${m[2] ?? ''}`;
  return parseVersionTag(candidate) && candidate !== name ? candidate : null;
}

/**
 * Which channel a ref selects, before any check against the facts. A tag that looks like a
 * release but is not one (1.2.3, v1.2, V1.2.3, v1.2.3.4, v01.2.3) is refused: someone meant a
 * release, and running the build channel with exit 0 would hide the typo. Any other tag
 * (docs-2024) is the build channel, with a warning.
 */
/**
 * Characters no ref of this flow needs and a shell expands, plus what git itself refuses in a ref
 * name (space, control characters, ~ ^ : ? * [ \\, "..", "@{"), plus anything outside printable ASCII
 * (a fullwidth or Cyrillic look-alike of a digit would otherwise pass as an ordinary tag). The ref travels into CI outputs and
 * logs, where a step that interpolates it into a shell line would run it: refused, before anything.
 */
const UNSAFE_REF = /[^\x21-\x7e]|[~^:?*[\\$`;|&<>'"(){}!]|\.\.|@\{|\/\/|\/$|\.lock(\/|$)|\/\./;

export function classifyRef(ref: string, mainBranch: string): RefClass {
  if (UNSAFE_REF.test(ref)) {
    throw new ReleaseError(
      `ref ${JSON.stringify(ref)} is not a ref name this release flow accepts (git refuses spaces, control characters, ~^:?*[\\ and "..", and shell characters such as $ \` ; | & ( ) and characters outside printable ASCII are refused here)`,
      'run from refs/heads/main or a vX.Y.Z tag; rename any other branch to letters, digits and - _ . / only (e.g. git branch -m feature-x)',
    );
  }
  if (ref.startsWith('refs/tags/')) {
    const name = ref.slice('refs/tags/'.length);
    const kind = classifyTag(name);
    if (kind.kind === 'release') return { channel: 'release', tag: kind.tag };
    if (kind.kind === 'lookalike') {
      const suggestion = suggestReleaseTag(name);
      throw new ReleaseError(
        `tag ${name} looks like a release but is not one: a release tag has the form ${RELEASE_TAG_FORM}`,
        `${suggestion ? `tag the commit as ${suggestion} (git tag ${suggestion} && git push origin ${suggestion})` : 'tag the commit as vX.Y.Z'}, and delete ${name} if it is not meant as a release (git tag -d ${name}; git push origin :refs/tags/${name})`,
      );
    }
    return {
      channel: 'build',
      tag: null,
      warning: `tag ${name} is not a release tag (those have the form ${RELEASE_TAG_FORM}): running the build channel, nothing is published`,
    };
  }
  if (ref === `refs/heads/${mainBranch}`) return { channel: 'dev', tag: null };
  return { channel: 'build', tag: null };
}

/** The warnings a context carries for the person running it (not part of the context contract). */
export function contextWarnings(ctx: Pick<VersionContext, 'REF' | 'CHANNEL'>): string[] {
  if (ctx.CHANNEL !== 'build' || !ctx.REF.startsWith('refs/tags/')) return [];
  const { warning } = classifyRef(ctx.REF, '');
  return warning ? [warning] : [];
}

/** Refusals come in the order a maintainer would fix them; each says what and how. */
function checkRelease(facts: GitFacts, tag: VersionTag, opts: Required<VersionOptions>): { highest: boolean } {
  const short = facts.headSha.slice(0, 7);
  if (!facts.tagsAtHead.includes(tag.tag)) {
    const known = facts.allTags.includes(tag.tag);
    throw new ReleaseError(
      known
        ? `release refused: tag ${tag.tag} does not point at HEAD (${short})`
        : `release refused: tag ${tag.tag} is not in this clone (HEAD is ${short})`,
      known
        ? `check out the tagged commit (git checkout ${tag.tag}) or build from the ref of this commit`
        : 'fetch the tags (git fetch --tags) and check out the tagged commit',
    );
  }
  if (facts.shallow) {
    throw new ReleaseError(
      `release refused: ${tag.tag} is in a shallow clone, so the other release tags (is a higher one out?) are unknown`,
      'git fetch --tags --unshallow (in GitHub Actions: actions/checkout with fetch-depth: 0)',
    );
  }
  if (facts.dirty) {
    const some = facts.dirtyPaths.slice(0, 5).join(', ');
    throw new ReleaseError(
      `release refused: the working tree is dirty (${some}${facts.dirtyPaths.length > 5 ? ', ...' : ''})`,
      'commit, stash or remove the changes (git status) so the release is exactly the tagged commit',
    );
  }
  const top = highestStableTag(facts.allTags);
  const higher = top && compareVersionTagsDesc(top, tag) < 0 ? top : null;
  if (higher && !opts.allowBackport) {
    throw new ReleaseError(
      `release refused: ${higher.tag} is higher than ${tag.tag} (no accidental rollback)`,
      `tag a version above ${higher.tag}, or release ${tag.tag} as a backport (latest and ${tag.major}.${tag.minor} stay where they are): nx run-many -t publish ghcr --allowBackport (the CLI: nx-ameide-release context --allow-backport; nx.json: allowBackport: true)`,
    );
  }
  return { highest: higher === null && tag.prerelease === '' };
}

/**
 * The version context: one pure function of (git facts, ref, options). Same facts and
 * ref give the same context on every machine and every re-run.
 */
export function computeContext(facts: GitFacts, ref: string, options: VersionOptions = {}): VersionContext {
  const opts = normalizeOptions(options);
  if (!/^[0-9a-f]{40}$/.test(facts.headSha)) {
    throw new ReleaseError(`HEAD SHA ${JSON.stringify(facts.headSha)} is not 40 hex digits`, 'pass the full SHA of HEAD');
  }
  const { DATE, DATETIME } = commitStamps(facts.commitTime);
  const GIT_SHA = facts.headSha;
  const SHORT_SHA = GIT_SHA.slice(0, 7);
  const baseTag = highestStableTag(facts.reachableTags);
  const BASE_VERSION = baseTag?.version ?? SEED_VERSION;
  const { channel, tag } = classifyRef(ref, opts.mainBranch);
  const common = { BASE_VERSION, GIT_SHA, SHORT_SHA, DATE, DATETIME, COMMIT_TIME: facts.commitTime, REF: ref };

  if (channel === 'release' && tag) {
    const { highest } = checkRelease(facts, tag, opts);
    const stable = tag.prerelease === '';
    const minorLine = `${tag.major}.${tag.minor}`;
    return {
      ...common,
      CHANNEL: 'release',
      IS_RELEASE: true,
      NPM_VERSION: tag.version,
      // npm publish always moves some dist-tag: a backport moves its own line's tag, never latest.
      NPM_DIST_TAG: !stable ? 'next' : highest ? 'latest' : `latest-${minorLine}`,
      PYPI_VERSION: pep440Prerelease(tag),
      GO_VERSION: tag.tag,
      GO_PSEUDO_VERSION: '',
      GHCR_TAGS: checkOci(highest ? [tag.version, minorLine, 'latest', GIT_SHA] : [tag.version, GIT_SHA]),
      RELEASE_TAG: tag.tag,
      IS_HIGHEST_RELEASE: highest,
    };
  }

  // Dev and build share the version strings; only dev publishes them.
  // next-patch without any tag stays on the seed: the first release will be the seed itself.
  const base = opts.devBase === 'next-patch' && baseTag ? incSemver(BASE_VERSION, 'patch')! : BASE_VERSION;
  // The base is a stable X.Y.Z (a release tag's version, the seed, or its next patch).
  const b = STRICT_SEMVER.exec(base)?.slice(1, 4).map(Number) ?? [parseSemver(base)!.major, parseSemver(base)!.minor, parseSemver(base)!.patch];
  const values: Record<Placeholder, string> = {
    base,
    sha: GIT_SHA,
    shortSha: SHORT_SHA,
    date: DATE,
    datetime: DATETIME,
    major: String(b[0]),
    minor: String(b[1]),
    patch: String(b[2]),
  };
  const dev = channel === 'dev';
  return {
    ...common,
    CHANNEL: channel,
    IS_RELEASE: false,
    NPM_VERSION: checkNpm(renderTemplate(opts.npmDevVersion, values, 'npmDevVersion'), opts.npmDevVersion),
    NPM_DIST_TAG: dev ? 'dev' : '',
    PYPI_VERSION: checkPypi(renderTemplate(opts.pypiDevVersion, values, 'pypiDevVersion'), opts.pypiDevVersion),
    GO_VERSION: '',
    GO_PSEUDO_VERSION: goPseudoVersion(facts.reachableTags, DATETIME, GIT_SHA),
    // Build never publishes, so it names no image tag at all.
    GHCR_TAGS: dev ? checkOci([GIT_SHA, 'dev']) : [],
    RELEASE_TAG: '',
    IS_HIGHEST_RELEASE: false,
  };
}
