package ameide

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Request is one unary call as it travels through the interceptor chain. Header keys are lower-case.
type Request struct {
	Service string
	Method  string
	URL     string // {BaseURL}/{Service}/{Method}
	Header  map[string]string
	Body    []byte        // the JSON-encoded request message
	Timeout time.Duration // for the whole call, retries included
	Attempt int           // 1 for the first attempt; set by the retry interceptor
}

func (r *Request) withHeader(h map[string]string) *Request {
	c := *r
	c.Header = h
	return &c
}

// Response is a successful HTTP response.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Invoker sends a request on; an Interceptor wraps the next Invoker (Connect-style).
type (
	Invoker     func(ctx context.Context, req *Request) (*Response, error)
	Interceptor func(next Invoker) Invoker
)

// TokenProvider returns the bearer token. Its error is returned to the caller unchanged.
type TokenProvider func(ctx context.Context) (string, error)

// SpanStatus ends a span: Code is "ok" or a Connect error code.
type SpanStatus struct {
	Code    string
	Message string
}

// Span is one traced attempt.
type Span interface {
	SetAttribute(key string, value any)
	End(status SpanStatus)
}

// Tracer is the tracing hook: adapt OpenTelemetry (or anything) to it; the SDK depends on no tracer.
type Tracer interface {
	StartSpan(ctx context.Context, name string, attributes map[string]any) (context.Context, Span)
}

func lowerKeys(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

// NewRequestID returns a random UUID (version 4).
func NewRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// metadataInterceptor merges tenant, user and client headers under the call's own (the call wins),
// and adds x-request-id when missing.
func metadataInterceptor(tenantID, userID string, header map[string]string, requestID func() string) Interceptor {
	fixed := lowerKeys(header)
	if tenantID != "" {
		fixed["x-tenant-id"] = tenantID
	}
	if userID != "" {
		fixed["x-user-id"] = userID
	}
	return func(next Invoker) Invoker {
		return func(ctx context.Context, req *Request) (*Response, error) {
			merged := make(map[string]string, len(fixed)+len(req.Header)+1)
			for k, v := range fixed {
				merged[k] = v
			}
			for k, v := range lowerKeys(req.Header) {
				merged[k] = v
			}
			if merged["x-request-id"] == "" {
				merged["x-request-id"] = requestID()
			}
			return next(ctx, req.withHeader(merged))
		}
	}
}

// authInterceptor sets Authorization: Bearer <token>, asked once per call (retries reuse it).
func authInterceptor(provider TokenProvider) Interceptor {
	return func(next Invoker) Invoker {
		return func(ctx context.Context, req *Request) (*Response, error) {
			if provider == nil {
				return next(ctx, req)
			}
			token, err := provider(ctx)
			if err != nil {
				return nil, err
			}
			if token == "" {
				return nil, &Error{Code: CodeUnauthenticated, Message: "the token provider returned an empty token"}
			}
			h := make(map[string]string, len(req.Header)+1)
			for k, v := range req.Header {
				h[k] = v
			}
			h["authorization"] = "Bearer " + token
			return next(ctx, req.withHeader(h))
		}
	}
}

// timeoutInterceptor gives the whole call, retries and backoff included, one deadline.
func timeoutInterceptor() Interceptor {
	return func(next Invoker) Invoker {
		return func(ctx context.Context, req *Request) (*Response, error) {
			tctx, cancel := context.WithTimeout(ctx, req.Timeout)
			defer cancel()
			resp, err := next(tctx, req)
			if err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
				return nil, &Error{
					Code:    CodeDeadlineExceeded,
					Message: fmt.Sprintf("%s/%s timed out after %s", req.Service, req.Method, req.Timeout),
					cause:   err,
				}
			}
			return resp, err
		}
	}
}

// retryInterceptor retries the policy's codes with exponential backoff and jitter; the last attempt's
// error is returned as is.
func retryInterceptor(p RetryPolicy, sleep func(context.Context, time.Duration) error, random func() float64) Interceptor {
	return func(next Invoker) Invoker {
		return func(ctx context.Context, req *Request) (*Response, error) {
			for attempt := 1; ; attempt++ {
				try := *req
				try.Attempt = attempt
				resp, err := next(ctx, &try)
				if err == nil {
					return resp, nil
				}
				var e *Error
				if !errors.As(err, &e) || !p.retryable(e.Code) || attempt >= p.MaxAttempts || ctx.Err() != nil {
					return nil, err
				}
				if serr := sleep(ctx, p.Delay(attempt, random())); serr != nil {
					return nil, err // the deadline or the caller ended the wait; timeoutInterceptor names it
				}
			}
		}
	}
}

// tracingInterceptor opens one span per attempt, named service/method, with OpenTelemetry rpc.* attributes.
func tracingInterceptor(tracer Tracer) Interceptor {
	return func(next Invoker) Invoker {
		if tracer == nil {
			return next
		}
		return func(ctx context.Context, req *Request) (*Response, error) {
			ctx, span := tracer.StartSpan(ctx, req.Service+"/"+req.Method, map[string]any{
				"rpc.system":  "connect_rpc",
				"rpc.service": req.Service,
				"rpc.method":  req.Method,
				"rpc.attempt": req.Attempt,
			})
			resp, err := next(ctx, req)
			if err != nil {
				code := string(CodeOf(err))
				span.SetAttribute("rpc.status", code)
				span.SetAttribute("rpc.connect_rpc.error_code", code)
				span.End(SpanStatus{Code: code, Message: err.Error()})
				return nil, err
			}
			span.SetAttribute("rpc.status", "ok")
			span.End(SpanStatus{Code: "ok"})
			return resp, nil
		}
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
