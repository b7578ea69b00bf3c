import * as semver from 'semver';
import type { Env } from '../destinations/registries';
import type { Finding } from './contract';

/**
 * How each ecosystem authenticates its uploads in this run, resolved once from the environment.
 * Pure: the environment and the facts the caller read (the npm CLI's version, whether the package
 * exists on the registry) in, one mode per ecosystem and the preflight's refusals out. No file,
 * network or process: a `*_FILE` variable counts as given without being read (the registries
 * module reads it when the run uses it).
 *
 *   token  a token (or username + password) is given: it authenticates every write
 *   oidc   no token, and the CI gives an OIDC ID token (GitHub Actions with `id-token: write`):
 *          trusted publishing; npm and uv exchange the ID token for a short-lived upload token
 *   none   neither: nothing can be uploaded (the preflight refuses, saying how to get either)
 *
 * A token wins over OIDC when both are there: the user opted in to it (docs/ci.md). npm ≥ 11.5.1
 * then still tries trusted publishing first for `npm publish` and falls back to the token, while
 * the token also covers the dist-tag writes OIDC does not (npm/cli#8547).
 */
export type CredentialMode = 'token' | 'oidc' | 'none';

export interface ResolvedMode {
  mode: CredentialMode;
  /** One line for the preflight and the dry run: the variables that decided it (never a value). */
  why: string;
}

export type ModeEcosystem = 'npm' | 'pypi';

/** The workflow file `init` writes, and the one docs/ci.md tells users to register as trusted publisher. */
export const TRUSTED_PUBLISHER_WORKFLOW = 'cd-packages.yml';
/** Registered another file name with npm/PyPI on purpose: name it here. */
export const TRUSTED_WORKFLOW_VARIABLE = 'AMEIDE_TRUSTED_WORKFLOW';
/** The first npm CLI whose `npm publish` does the OIDC exchange (npm docs, trusted publishing). */
export const NPM_OIDC_MIN_VERSION = '11.5.1';
/** The first Node that npm's trusted publishing supports. */
export const NODE_OIDC_MIN_VERSION = '22.14.0';

/**
 * What older actions/setup-node exported as NODE_AUTH_TOKEN when `registry-url` was set and no
 * token was: a placeholder, not a token. Read as absent, or OIDC runs would try it as a token.
 */
const SETUP_NODE_PLACEHOLDER = 'XXXXX-XXXXX-XXXXX-XXXXX';

/** Set and not empty: GitHub gives an unset secret or variable as an empty string. */
export function isSet(env: Env, name: string): boolean {
  const v = env[name];
  return v !== undefined && v.trim() !== '' && v !== SETUP_NODE_PLACEHOLDER;
}
const given = (env: Env, name: string) => isSet(env, name) || isSet(env, `${name}_FILE`);
const firstGiven = (env: Env, names: string[]) => names.flatMap((n) => [n, `${n}_FILE`]).find((n) => isSet(env, n));

/** The CI hands out OIDC ID tokens to this job (GitHub Actions sets both only with `id-token: write`). */
export function oidcAvailable(env: Env): boolean {
  return isSet(env, 'ACTIONS_ID_TOKEN_REQUEST_URL') && isSet(env, 'ACTIONS_ID_TOKEN_REQUEST_TOKEN');
}
const inGitHubActions = (env: Env) => env.GITHUB_ACTIONS === 'true';

const TOKEN_VARIABLES: Record<ModeEcosystem, string[]> = {
  npm: ['NPM_TOKEN', 'NODE_AUTH_TOKEN'],
  pypi: ['PYPI_TOKEN', 'PYPI_PASSWORD'],
};

/** The mode of one ecosystem. Pure. */
export function resolveMode(ecosystem: ModeEcosystem, env: Env): ResolvedMode {
  const token = firstGiven(env, TOKEN_VARIABLES[ecosystem]);
  if (token && (ecosystem === 'npm' || token.startsWith('PYPI_TOKEN') || isSet(env, 'PYPI_USERNAME'))) {
    return { mode: 'token', why: `${token} is set` };
  }
  if (oidcAvailable(env)) return { mode: 'oidc', why: `no ${TOKEN_VARIABLES[ecosystem].join(' / ')}; ACTIONS_ID_TOKEN_REQUEST_URL is set (trusted publishing)` };
  const none = `no ${TOKEN_VARIABLES[ecosystem].join(' / ')}${ecosystem === 'pypi' ? ' (with PYPI_USERNAME)' : ''} and no ACTIONS_ID_TOKEN_REQUEST_URL`;
  return { mode: 'none', why: none };
}

/** Both modes of a run, resolved once. Pure. */
export function resolveModes(env: Env): Record<ModeEcosystem, ResolvedMode> {
  return { npm: resolveMode('npm', env), pypi: resolveMode('pypi', env) };
}

/** `owner/repo/.github/workflows/cd-packages.yml@refs/heads/main` -> `cd-packages.yml`; null when not in GitHub Actions. */
export function workflowFileOf(env: Env): string | null {
  const ref = env.GITHUB_WORKFLOW_REF;
  if (!ref || !ref.trim()) return null;
  const m = /\/\.github\/workflows\/([^/@]+)@/.exec(ref);
  return m ? m[1] : null;
}

/** The facts the preflight read for one project; what it could not read is null. */
export interface ModeFacts {
  /** `npm --version` (npm only). */
  npmVersion?: string | null;
  /** The registry has a packument for the package (npm only). */
  packageExists?: boolean | null;
  /** Registry URL, to name it (npm: the exchange is per registry). */
  registry?: string;
  /** Package name, to name it in the fix. */
  name?: string;
}

const registerHow: Record<ModeEcosystem, string> = {
  npm: 'docs/ci.md, "Trusted publishing": npmjs.com > the package > Settings > Trusted publisher',
  pypi: 'docs/ci.md, "Trusted publishing": pypi.org > the project > Publishing (or a pending publisher for a new project)',
};

/**
 * Everything of the mode that cannot work, as preflight findings with their fixes, before any
 * upload. Pure. [] means the mode can publish (as far as can be known without writing: npm's and
 * PyPI's own exchange is only seen by the upload itself).
 */
export function modeFindings(ecosystem: ModeEcosystem, resolved: ResolvedMode, env: Env, facts: ModeFacts = {}): Finding[] {
  const tokens = TOKEN_VARIABLES[ecosystem];
  const tokenFix =
    ecosystem === 'npm'
      ? 'or set NPM_TOKEN (or NPM_TOKEN_FILE): a granular token allowed to publish the package'
      : 'or set PYPI_TOKEN (an API token), or PYPI_USERNAME and PYPI_PASSWORD (each may be given as *_FILE)';
  if (resolved.mode === 'none') {
    if (inGitHubActions(env)) {
      return [
        {
          check: 'credentials',
          problem: `trusted publishing needs an OIDC ID token, and this job has none (no ACTIONS_ID_TOKEN_REQUEST_URL: the job lacks \`permissions: id-token: write\`), and no ${tokens.join(' / ')} is set either`,
          fix: `add \`id-token: write\` to the publish job's permissions (the workflow \`nx g @ameideio/nx-ameide-release:init\` writes has it; docs/ci.md), ${tokenFix}`,
        },
      ];
    }
    return [
      {
        check: 'credentials',
        problem: `no credentials for ${facts.registry ?? ecosystem}: ${resolved.why}`,
        fix: `${ecosystem === 'npm' ? 'set NPM_TOKEN or NPM_TOKEN_FILE (or NODE_AUTH_TOKEN): a token allowed to publish (npm token create)' : 'set PYPI_TOKEN (an API token), or PYPI_USERNAME and PYPI_PASSWORD (each may be given as *_FILE pointing at a file)'}; in GitHub Actions, trusted publishing needs no token (docs/ci.md)`,
      },
    ];
  }
  if (resolved.mode !== 'oidc') return [];

  const out: Finding[] = [];
  const expected = isSet(env, TRUSTED_WORKFLOW_VARIABLE) ? env[TRUSTED_WORKFLOW_VARIABLE]!.trim() : TRUSTED_PUBLISHER_WORKFLOW;
  const running = workflowFileOf(env);
  if (running === null) {
    out.push({
      check: 'credentials',
      problem: 'trusted publishing: GITHUB_WORKFLOW_REF is not set, so the workflow file the registry will see cannot be told',
      fix: `run the publish from GitHub Actions (the workflow ${TRUSTED_PUBLISHER_WORKFLOW}), ${tokenFix}`,
    });
  } else if (running !== expected) {
    out.push({
      check: 'credentials',
      problem: `trusted publishing: this run is workflow ${running}, but the trusted publisher to register (docs/ci.md) is ${expected}; the registry would refuse the exchange after the build`,
      fix: `publish from .github/workflows/${expected} (a reusable workflow does not count: the caller's file name is checked), or register ${running} as the trusted publisher (${registerHow[ecosystem]}) and set ${TRUSTED_WORKFLOW_VARIABLE}=${running}`,
    });
  }
  if (ecosystem === 'npm') {
    const v = facts.npmVersion ? semver.coerce(facts.npmVersion)?.version : undefined;
    if (!v || semver.lt(v, NPM_OIDC_MIN_VERSION)) {
      out.push({
        check: 'credentials',
        problem: `trusted publishing needs npm ≥ ${NPM_OIDC_MIN_VERSION} (on Node ≥ ${NODE_OIDC_MIN_VERSION}); the npm on PATH is ${facts.npmVersion ?? 'unknown (npm --version failed)'}, whose npm publish does no OIDC exchange`,
        fix: `install a newer npm before publishing: \`npm install -g npm@${NPM_OIDC_MIN_VERSION.split('.')[0]}\` (the workflow init writes does), ${tokenFix}`,
      });
    }
    if (facts.packageExists === false) {
      const name = facts.name ?? 'the package';
      out.push({
        check: 'credentials',
        problem: `${name} does not exist on ${facts.registry ?? 'the registry'} yet; a trusted publisher is set on an existing package, so its first publish cannot use OIDC`,
        fix: `publish the first version with a token: run this once with NPM_TOKEN set (a granular token for ${name}), or \`npm publish\` it by hand; then add the trusted publisher (${registerHow.npm}) and remove the token`,
      });
    }
  }
  return out;
}

/** The CI variables npm and uv read to fetch the ID token themselves, from `env` (the run's), for their child process. Pure. */
export function oidcChildEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['GITHUB_ACTIONS', 'ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN']) if (isSet(env, k)) out[k] = env[k]!;
  return out;
}
