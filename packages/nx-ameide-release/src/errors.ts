import { redact } from './exec';

/**
 * An error a user can act on: what is wrong, where, and how to fix it.
 * Thrown before any side effect; executors print `message` and fail.
 */
export class ReleaseError extends Error {
  constructor(
    readonly what: string,
    readonly fix: string,
    readonly where?: string,
  ) {
    super(redact(`${where ? `${where}: ` : ''}${what}\n  fix: ${fix}`));
    this.name = 'ReleaseError';
  }
}
