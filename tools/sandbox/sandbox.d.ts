/** Types for tools/sandbox/sandbox.js (plain CommonJS), for the TypeScript e2e tests. */

export type SandboxService = 'npm' | 'pypi' | 'oci' | 'ociAuth' | 'go' | 'cosign' | 'nxCache';
export type SandboxServer = 'npm' | 'pypi' | 'oci' | 'ociAuth' | 'nxCache';

/**
 * Variables of a running sandbox (all strings; secrets only as *_FILE paths). Present per service:
 * SANDBOX_DIR always;
 * npm: SANDBOX_NPM_URL, SANDBOX_NPM_USER, AMEIDE_NPM_REGISTRY, NPM_TOKEN_FILE;
 * pypi: SANDBOX_PYPI_URL, SANDBOX_PYPI_SIMPLE_URL, AMEIDE_PYPI_UPLOAD_URL, AMEIDE_PYPI_INDEX_URL, PYPI_USERNAME, PYPI_PASSWORD_FILE;
 * oci: SANDBOX_OCI_REGISTRY, AMEIDE_OCI_REGISTRY, AMEIDE_OCI_NAMESPACE, AMEIDE_OCI_INSECURE;
 * ociAuth: SANDBOX_OCI_AUTH_REGISTRY, SANDBOX_OCI_AUTH_USER, OCI_AUTH_PASSWORD_FILE;
 * go: SANDBOX_GO_MIRROR, GIT_CONFIG_COUNT, GIT_CONFIG_KEY_0, GIT_CONFIG_VALUE_0;
 * cosign: COSIGN_KEY, COSIGN_PUBLIC_KEY, COSIGN_PASSWORD_FILE;
 * nxCache: SANDBOX_NX_CACHE_URL, SANDBOX_NX_CACHE_STORAGE, SANDBOX_NX_CACHE_ACCESS_LOG, NX_CACHE_TOKEN_FILE, NX_CACHE_READ_TOKEN_FILE.
 */
export type SandboxEnv = Record<string, string> & { SANDBOX_DIR: string };

export interface SandboxState {
  version: 1;
  root: string;
  dir: string;
  startedAt: string;
  services: Partial<Record<SandboxService, { port?: number; pid?: number | null; url?: string; [k: string]: unknown }>>;
  env: SandboxEnv;
}

/** A state, the env returned by up(), or the data dir. */
export type SandboxRef = SandboxState | SandboxEnv | string;

export interface UpOptions {
  /** Workspace root (finds node_modules/verdaccio and .venv). Default: two folders above sandbox.js. */
  root?: string;
  /** Data folder, created if missing, must be empty; removed by down(). Default: mkdtemp under os.tmpdir(). */
  dir?: string;
  /** Default: all but nxCache. Fewer services start faster (cosign needs the cosign binary, nxCache nginx). */
  services?: SandboxService[];
}

export function up(options?: UpOptions): Promise<SandboxEnv>;
/** Stops every server and removes the data folder. false when there was nothing to stop. */
export function down(ref: SandboxRef): Promise<boolean>;
/** Stops one server, keeping its port and data. */
export function stopService(ref: SandboxRef, name: SandboxServer): Promise<SandboxState>;
/** Starts a stopped server again on its old port with its old data; waits until it answers. */
export function startService(ref: SandboxRef, name: SandboxServer): Promise<SandboxState>;
export function status(ref: SandboxRef): Promise<Record<string, { up: boolean; url?: string; path?: string; pid?: number | null }> | null>;
export function loadState(ref: SandboxRef): SandboxState | null;
export function envFile(env: Record<string, string>): string;
export function readSecretFile(file: string): string;
export const SERVICES: SandboxService[];
export class SandboxError extends Error {}
