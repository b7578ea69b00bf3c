/** One unary call as it travels through the interceptor chain. Header keys are lower-case. */
export interface UnaryRequest {
  readonly service: string;
  readonly method: string;
  /** `{baseUrl}/{service}/{method}` */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  /** Aborted on timeout, on the caller's signal and on client close. */
  readonly signal: AbortSignal;
  /** Per-call timeout in milliseconds (the client default when the call gives none). */
  readonly timeoutMs: number;
  /** 1 for the first attempt; set by the retry interceptor. */
  readonly attempt: number;
}

export interface UnaryResponse<T = unknown> {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly message: T;
}

export type UnaryFn = (req: UnaryRequest) => Promise<UnaryResponse>;

/** Connect-style interceptor: wraps the next function of the chain. */
export type Interceptor = (next: UnaryFn) => UnaryFn;

/** Returns the bearer token; may be async. Its errors reach the caller unchanged. */
export type TokenProvider = () => string | Promise<string>;

export type AttributeValue = string | number | boolean;

export interface SpanStatus {
  /** `ok` or a Connect error code. */
  code: string;
  message?: string;
}

export interface Span {
  setAttribute(key: string, value: AttributeValue): void;
  end(status: SpanStatus): void;
}

/** The tracing hook: adapt OpenTelemetry (or anything) to this; the SDK depends on no tracer. */
export interface Tracer {
  startSpan(name: string, attributes: Record<string, AttributeValue>): Span;
}

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;
