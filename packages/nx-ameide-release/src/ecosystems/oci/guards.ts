import { existsSync } from 'node:fs';
import { findTool } from '../../tools';
import { type Env, type OciRegistry } from '../../destinations/registries';
import { credentialSource } from '../../credentials';
import { type SignMode } from './sign';
import { keyOpens } from './key-check';
import type { OciReleaseInput } from './input';

/** The signing guards, shared by the publish (prepare, before any push) and the preflight (ociChecks). */

/** Key signing with a key file: its path (COSIGN_KEY), or null (keyless, off, or a KMS URI, which is not checked here). */
export function keyFileOf(mode: SignMode | 'unset', reg: OciRegistry): string | null {
  return mode === 'key' && reg.cosignKey && !/^[a-z0-9]+:\/\//.test(reg.cosignKey) ? reg.cosignKey : null;
}

/** Key signing with a COSIGN_KEY path that does not exist (a KMS URI is not checked here). */
export function missingKey(mode: SignMode | 'unset', reg: OciRegistry): { problem: string; fix: string } | null {
  const keyFile = keyFileOf(mode, reg);
  if (!keyFile || existsSync(keyFile)) return null;
  return { problem: `COSIGN_KEY points at ${reg.cosignKey}, which does not exist`, fix: 'give the path of a cosign.key (cosign generate-key-pair) or a KMS URI' };
}

/**
 * Key signing with a key file that COSIGN_PASSWORD does not open: found by `cosign public-key`
 * (writes nothing, asks no registry; once per key per run: key-check.ts), so the run stops before
 * any upload, not after the push.
 */
export async function keyWontOpen(mode: SignMode | 'unset', reg: OciRegistry, input: OciReleaseInput): Promise<{ problem: string; fix: string } | null> {
  const keyFile = keyFileOf(mode, reg);
  if (!keyFile) return null;
  const cosign = findTool('cosign', input.env, input.workspaceRoot);
  const answer = await keyOpens({ key: keyFile, password: reg.cosignPassword, cosign, env: { ...process.env, ...input.env }, workspaceRoot: input.workspaceRoot });
  return answer.opens ? null : wontOpen(keyFile, input.env, answer.said);
}

/** The refusal of a key its password does not open: names the variable, never its value. */
export function wontOpen(key: string, env: Env, said: string): { problem: string; fix: string } {
  const source = credentialSource(env, 'COSIGN_PASSWORD');
  return {
    problem: `the cosign key ${key} does not open with the password in ${source} (cosign public-key: ${said})`,
    fix: `set ${source} to the password the key was made with (check: cosign public-key --key ${key}), or make a new pair with cosign generate-key-pair`,
  };
}
