export { AmeideClient, BUILTIN_INTERCEPTORS, type AmeideClientOptions, type CallOptions } from './client';
export { AmeideError, codeFromHttpStatus, type Code } from './errors';
export { buildInfo, type BuildInfo } from './build-info';
export {
  abortableSleep,
  authInterceptor,
  metadataInterceptor,
  retryInterceptor,
  timeoutInterceptor,
  tracingInterceptor,
} from './interceptors';
export type {
  AttributeValue,
  Interceptor,
  Sleep,
  Span,
  SpanStatus,
  TokenProvider,
  Tracer,
  UnaryFn,
  UnaryRequest,
  UnaryResponse,
} from './types';
export { CLIENT_DEFAULTS, DEFAULT_RETRY_POLICY, backoffDelayMs, type RetryPolicy } from '@ameideio/configuration';
