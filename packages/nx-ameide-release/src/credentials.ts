import type { Env } from './destinations/registries';

/**
 * Which variable a credential came from, to name it in an error ("the token in NPM_TOKEN_FILE
 * was refused"): the first of `names` set as NAME or NAME_FILE, in the order src/destinations/registries.ts
 * reads them. Never the value.
 */
export function credentialSource(env: Env, ...names: string[]): string {
  for (const n of names) {
    if (env[n]) return n;
    if (env[`${n}_FILE`]) return `${n}_FILE`;
  }
  return names.join(' / ');
}
