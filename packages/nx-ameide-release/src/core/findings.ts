import { ReleaseError } from '../errors';
import type { CheckKind, Finding } from './contract';

/**
 * A thrown error as a preflight finding, the one conversion every check uses: a ReleaseError
 * keeps its where, what and fix; anything else gives its first line and says to re-run.
 */
export function findingOf(check: CheckKind, err: unknown): Finding {
  if (err instanceof ReleaseError) return { check, problem: err.where ? `${err.where}: ${err.what}` : err.what, fix: err.fix };
  const message = err instanceof Error ? err.message : String(err);
  return { check, problem: message.split('\n')[0], fix: 'check the cause above, then run the same command again (nothing was uploaded)' };
}
