// Package ameide is the Ameide Go SDK: a Connect-style unary client (POST {BaseURL}/{service}/{method}, JSON)
// with metadata, auth, timeout, retry and tracing interceptors. Standard library only.
package ameide

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Options configure a Client. Zero values take the defaults.
type Options struct {
	BaseURL       string        // default https://api.ameide.io
	Timeout       time.Duration // per call, retries included; default 5s
	Retry         *RetryPolicy  // default DefaultRetryPolicy(); MaxAttempts 1 disables retries
	TenantID      string        // sent as x-tenant-id
	UserID        string        // sent as x-user-id
	Header        map[string]string
	TokenProvider TokenProvider
	Tracer        Tracer
	Interceptors  []Interceptor // run innermost, after tracing, once per attempt
	HTTPClient    *http.Client

	// Seams for tests.
	Sleep     func(ctx context.Context, d time.Duration) error
	Random    func() float64
	RequestID func() string
}

// BuiltinInterceptors names the built-in chain, outermost first; user interceptors follow.
var BuiltinInterceptors = []string{"metadata", "auth", "timeout", "retry", "tracing"}

// Client is safe for concurrent use.
type Client struct {
	baseURL  string
	timeout  time.Duration
	retry    RetryPolicy
	http     *http.Client
	invoke   Invoker
	closed   atomic.Bool
	closeCtx context.Context
	shutdown context.CancelFunc
}

// New builds a Client.
func New(opts Options) (*Client, error) {
	c := &Client{baseURL: strings.TrimRight(opts.BaseURL, "/"), timeout: opts.Timeout, http: opts.HTTPClient}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	if !strings.HasPrefix(c.baseURL, "http://") && !strings.HasPrefix(c.baseURL, "https://") {
		return nil, fmt.Errorf("ameide: BaseURL must be an http(s) URL, got %q", opts.BaseURL)
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.timeout < 0 {
		return nil, fmt.Errorf("ameide: Timeout must be > 0, got %s", opts.Timeout)
	}
	c.retry = DefaultRetryPolicy()
	if opts.Retry != nil {
		c.retry = *opts.Retry
	}
	if c.retry.MaxAttempts < 1 {
		return nil, fmt.Errorf("ameide: Retry.MaxAttempts must be >= 1, got %d", c.retry.MaxAttempts)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	sleep, random, requestID := opts.Sleep, opts.Random, opts.RequestID
	if sleep == nil {
		sleep = sleepContext
	}
	if random == nil {
		random = rand.Float64
	}
	if requestID == nil {
		requestID = NewRequestID
	}
	chain := append([]Interceptor{
		metadataInterceptor(opts.TenantID, opts.UserID, opts.Header, requestID),
		authInterceptor(opts.TokenProvider),
		timeoutInterceptor(),
		retryInterceptor(c.retry, sleep, random),
		tracingInterceptor(opts.Tracer),
	}, opts.Interceptors...)
	c.invoke = c.send
	for i := len(chain) - 1; i >= 0; i-- {
		c.invoke = chain[i](c.invoke)
	}
	c.closeCtx, c.shutdown = context.WithCancel(context.Background())
	return c, nil
}

// BaseURL, Timeout and RetryPolicy report the effective settings.
func (c *Client) BaseURL() string          { return c.baseURL }
func (c *Client) Timeout() time.Duration   { return c.timeout }
func (c *Client) RetryPolicy() RetryPolicy { return c.retry }

// CallOption adjusts one call.
type CallOption func(*Request)

// WithHeader adds a header to one call (it wins over the client's).
func WithHeader(key, value string) CallOption {
	return func(r *Request) { r.Header[key] = value }
}

// WithTimeout sets the deadline of one call.
func WithTimeout(d time.Duration) CallOption {
	return func(r *Request) { r.Timeout = d }
}

// Call sends in as JSON to {BaseURL}/{service}/{method} and decodes the response message into out (may be nil).
func (c *Client) Call(ctx context.Context, service, method string, in, out any, opts ...CallOption) error {
	if c.closed.Load() {
		return &Error{Code: CodeCanceled, Message: "the client is closed"}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return &Error{Code: CodeInvalidArgument, Message: "cannot encode the request: " + err.Error(), cause: err}
	}
	if in == nil {
		body = []byte("{}")
	}
	req := &Request{
		Service: service, Method: method, URL: c.baseURL + "/" + service + "/" + method,
		Header: map[string]string{}, Body: body, Timeout: c.timeout, Attempt: 1,
	}
	for _, o := range opts {
		o(req)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.closeCtx, cancel) // Close cancels calls in flight
	defer stop()
	resp, err := c.invoke(ctx, req)
	if err != nil {
		return err
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return &Error{Code: CodeInternal, Message: "response is not the expected JSON: " + err.Error(), HTTPStatus: resp.StatusCode, cause: err}
		}
	}
	return nil
}

// send is the end of the chain: Connect unary over HTTP with JSON.
func (c *Client) send(ctx context.Context, req *Request) (*Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return nil, &Error{Code: CodeInvalidArgument, Message: err.Error(), cause: err}
	}
	for k, v := range req.Header {
		hreq.Header.Set(k, v)
	}
	hreq.Header.Set("content-type", "application/json")
	hreq.Header.Set("connect-protocol-version", "1")
	hres, err := c.http.Do(hreq)
	if err != nil {
		return nil, contextError(ctx, err, req)
	}
	defer hres.Body.Close()
	raw, err := io.ReadAll(hres.Body)
	if err != nil {
		return nil, contextError(ctx, err, req)
	}
	if hres.StatusCode < 200 || hres.StatusCode > 299 {
		var wire struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		}
		if json.Unmarshal(raw, &wire) == nil && wire.Code != "" {
			e := &Error{Code: Code(wire.Code), Message: wire.Message, HTTPStatus: hres.StatusCode}
			if len(wire.Details) > 0 {
				e.Details = wire.Details
			}
			return nil, e
		}
		msg := string(raw)
		if msg == "" {
			msg = hres.Status
		}
		return nil, &Error{Code: CodeFromHTTPStatus(hres.StatusCode), Message: msg, HTTPStatus: hres.StatusCode}
	}
	return &Response{StatusCode: hres.StatusCode, Header: hres.Header, Body: raw}, nil
}

func contextError(ctx context.Context, err error, req *Request) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &Error{Code: CodeDeadlineExceeded, Message: fmt.Sprintf("%s/%s: deadline exceeded", req.Service, req.Method), cause: err}
	case ctx.Err() != nil:
		return &Error{Code: CodeCanceled, Message: fmt.Sprintf("%s/%s: canceled", req.Service, req.Method), cause: err}
	default:
		return &Error{Code: CodeUnavailable, Message: "cannot reach " + req.URL + ": " + err.Error(), cause: err}
	}
}

// Close cancels calls in flight, refuses new ones and releases idle connections. Idempotent.
func (c *Client) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.shutdown()
		c.http.CloseIdleConnections()
	}
	return nil
}
