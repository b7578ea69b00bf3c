import { readFileSync } from 'node:fs';
import { registerSecret } from './exec';
import { ReleaseError } from './errors';

/**
 * Where each ecosystem publishes, read from the environment in one place.
 * Every secret can be given as NAME or as NAME_FILE (a path to a file holding it),
 * so tokens need never be written into the workspace. Secrets read here are
 * registered with the runner for redaction.
 *
 * | ecosystem | variables (defaults are the public registries) |
 * |---|---|
 * | npm  | AMEIDE_NPM_REGISTRY (https://registry.npmjs.org/), NPM_TOKEN or NODE_AUTH_TOKEN |
 * | pypi | AMEIDE_PYPI_UPLOAD_URL (https://upload.pypi.org/legacy/), AMEIDE_PYPI_INDEX_URL (https://pypi.org/simple/), PYPI_TOKEN, or PYPI_USERNAME + PYPI_PASSWORD |
 * | go   | AMEIDE_GO_REMOTE (https://github.com/ameideio/ameide-sdk-go), AMEIDE_GO_BRANCH (main); git credentials as git itself is configured |
 * | oci  | AMEIDE_OCI_REGISTRY (ghcr.io), AMEIDE_OCI_NAMESPACE (ameideio), AMEIDE_OCI_INSECURE (plain http, loopback only), OCI_USERNAME + OCI_PASSWORD, or GITHUB_TOKEN (+ GITHUB_ACTOR); COSIGN_KEY, COSIGN_PASSWORD, COSIGN_BIN (cosign), AMEIDE_OCI_SOURCE (image source URL; default: root package.json repository) |
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

const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

export function npmRegistry(env: Env = process.env): NpmRegistry {
  return {
    url: withSlash(env.AMEIDE_NPM_REGISTRY || 'https://registry.npmjs.org/'),
    token: readSecret(env, 'NPM_TOKEN') ?? readSecret(env, 'NODE_AUTH_TOKEN'),
  };
}

export function pypiRegistry(env: Env = process.env): PypiRegistry {
  const token = readSecret(env, 'PYPI_TOKEN');
  return {
    uploadUrl: env.AMEIDE_PYPI_UPLOAD_URL || 'https://upload.pypi.org/legacy/',
    indexUrl: withSlash(env.AMEIDE_PYPI_INDEX_URL || 'https://pypi.org/simple/'),
    username: token ? '__token__' : env.PYPI_USERNAME,
    password: token ?? readSecret(env, 'PYPI_PASSWORD'),
  };
}

export function goRegistry(env: Env = process.env): GoRegistry {
  return {
    remote: env.AMEIDE_GO_REMOTE || 'https://github.com/ameideio/ameide-sdk-go',
    branch: env.AMEIDE_GO_BRANCH || 'main',
  };
}

export function ociRegistry(env: Env = process.env): OciRegistry {
  const ghToken = readSecret(env, 'GITHUB_TOKEN');
  const password = readSecret(env, 'OCI_PASSWORD') ?? ghToken;
  return {
    registry: env.AMEIDE_OCI_REGISTRY || 'ghcr.io',
    namespace: env.AMEIDE_OCI_NAMESPACE || 'ameideio',
    insecure: env.AMEIDE_OCI_INSECURE === 'true' || env.AMEIDE_OCI_INSECURE === '1',
    username: env.OCI_USERNAME || (password ? env.GITHUB_ACTOR || 'github-actions' : undefined),
    password,
    cosignKey: env.COSIGN_KEY || undefined,
    cosignPassword: readSecret(env, 'COSIGN_PASSWORD'),
  };
}
