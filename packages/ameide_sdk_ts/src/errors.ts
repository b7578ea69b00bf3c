/** Connect error codes (https://connectrpc.com/docs/protocol#error-codes). */
export type Code =
  | 'canceled'
  | 'unknown'
  | 'invalid_argument'
  | 'deadline_exceeded'
  | 'not_found'
  | 'already_exists'
  | 'permission_denied'
  | 'resource_exhausted'
  | 'failed_precondition'
  | 'aborted'
  | 'out_of_range'
  | 'unimplemented'
  | 'internal'
  | 'unavailable'
  | 'data_loss'
  | 'unauthenticated';

/** The one error type a call rejects with (token provider errors excepted: they reach the caller as thrown). */
export class AmeideError extends Error {
  override readonly name = 'AmeideError';
  constructor(
    readonly code: Code | string,
    message: string,
    readonly httpStatus?: number,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(`[${code}] ${message}`, options);
  }
}

/** Connect's mapping for responses that carry no error JSON of their own. */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return 'internal';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'permission_denied';
    case 404:
      return 'unimplemented';
    case 408:
      return 'deadline_exceeded';
    case 409:
      return 'aborted';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'unavailable';
    default:
      return 'unknown';
  }
}

export function errorCode(err: unknown): string {
  return err instanceof AmeideError ? err.code : 'unknown';
}
