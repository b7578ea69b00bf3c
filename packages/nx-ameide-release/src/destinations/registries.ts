import { readFileSync } from 'node:fs';
import { registerSecret } from '../exec';
import { ReleaseError } from '../errors';
import type { Destinations, DestinationKind } from '.';

/**
 * Each ecosystem's registry for one run: the destination resolved by `resolveDestinations`
 * (src/destinations.ts: nx.json, the project, AMEIDE_* variables; docs/destinations.md)
 * joined with the credentials, which come from the environment only.
 * Every secret can be given as NAME or as NAME_FILE (a path to a file holding it),
 * so tokens need never be written into the workspace. Secrets read here are
 * registered with the runner for redaction.
 *
 * | ecosystem | credentials |
 * |---|---|
 * | npm  | NPM_TOKEN or NODE_AUTH_TOKEN |
 * | pypi | PYPI_TOKEN, or PYPI_USERNAME + PYPI_PASSWORD |
 * | go   | git's own (credential helper, GIT_CONFIG_* insteadOf) |
 * | oci  | OCI_USERNAME + OCI_PASSWORD, or GITHUB_TOKEN (+ GITHUB_ACTOR); COSIGN_KEY, COSIGN_PASSWORD; AMEIDE_OCI_INSECURE (plain http, loopback sandboxes only) |
 */
export type Env = Record<string, string | undefined>;

export function readSecret(env: Env, name: string): string | undefined {
  let value = env[name];
  const file = env[`${name}_FILE`];
  if (!value && file) {
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new ReleaseError(`${name}_FILE points at ${file}, which cannot be read`, `create the file or unset ${name}_FILE`);
    }
  }
  if (value) registerSecret(value);
  return value || undefined;
}

export interface NpmRegistry {
  url: string; // ends with /
  access?: 'public' | 'restricted';
  scope?: string;
  token?: string;
}
export interface PypiRegistry {
  uploadUrl: string;
  indexUrl: string; // PEP 503 simple index, ends with /
  username?: string;
  password?: string;
}
export interface GoRegistry {
  remote: string; // git remote of the SDK's own repository
  branch: string;
}
export interface OciRegistry {
  registry: string; // host[:port]
  namespace: string;
  insecure: boolean; // plain http (only for loopback sandboxes)
  username?: string;
  password?: string;
  cosignKey?: string; // path or KMS URI; absent means keyless
  cosignPassword?: string;
}

/** The resolved destination of one kind; its absence is a caller that skipped resolveDestinations. */
function destinationOf<K extends DestinationKind>(destinations: Destinations | undefined, kind: K): NonNullable<Destinations[K]> {
  const d = destinations?.[kind];
  if (!d) {
    throw new ReleaseError(
      `no ${kind} destination was resolved for this run`,
      'resolve it first (resolveDestinations, which the executors do from their `destinations` option) and pass it as `destinations`',
    );
  }
  return d as NonNullable<Destinations[K]>;
}

export function npmCredentials(env: Env): { token?: string } {
  return { token: readSecret(env, 'NPM_TOKEN') ?? readSecret(env, 'NODE_AUTH_TOKEN') };
}

export function pypiCredentials(env: Env): { username?: string; password?: string } {
  const token = readSecret(env, 'PYPI_TOKEN');
  return { username: token ? '__token__' : env.PYPI_USERNAME, password: token ?? readSecret(env, 'PYPI_PASSWORD') };
}

export function npmRegistry(env: Env, destinations: Destinations): NpmRegistry {
  const d = destinationOf(destinations, 'npm');
  return { url: d.registry, ...(d.access ? { access: d.access } : {}), ...(d.scope ? { scope: d.scope } : {}), ...npmCredentials(env) };
}

export function pypiRegistry(env: Env, destinations: Destinations): PypiRegistry {
  const d = destinationOf(destinations, 'pypi');
  return { uploadUrl: d.uploadUrl, indexUrl: d.indexUrl, ...pypiCredentials(env) };
}

export function goRegistry(_env: Env, destinations: Destinations): GoRegistry {
  const d = destinationOf(destinations, 'go');
  return { remote: d.remote, branch: d.branch };
}

/** OCI credentials and transport from the environment alone (no destination needed: `verify` takes the registry from the image reference). */
export function ociCredentials(env: Env): Omit<OciRegistry, 'registry' | 'namespace'> {
  const ghToken = readSecret(env, 'GITHUB_TOKEN');
  const password = readSecret(env, 'OCI_PASSWORD') ?? ghToken;
  return {
    insecure: env.AMEIDE_OCI_INSECURE === 'true' || env.AMEIDE_OCI_INSECURE === '1',
    username: env.OCI_USERNAME || (password ? env.GITHUB_ACTOR || 'github-actions' : undefined),
    password,
    cosignKey: env.COSIGN_KEY || undefined,
    cosignPassword: readSecret(env, 'COSIGN_PASSWORD'),
  };
}

export function ociRegistry(env: Env, destinations: Destinations): OciRegistry {
  const d = destinationOf(destinations, 'oci');
  return { registry: d.registry, namespace: d.namespace, ...ociCredentials(env) };
}
