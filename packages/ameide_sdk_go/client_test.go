package ameide

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"
)

type reply struct {
	status int
	body   map[string]any
	text   *string
	delay  time.Duration
}

type seenRequest struct {
	path   string
	header http.Header
	body   map[string]any
}

// loopback is a real HTTP server on 127.0.0.1; each test queues its replies (the last one repeats).
type loopback struct {
	*httptest.Server
	mu      sync.Mutex
	seen    []seenRequest
	replies []reply
}

func newLoopback(t *testing.T, replies ...reply) *loopback {
	t.Helper()
	lb := &loopback{replies: replies}
	lb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		lb.mu.Lock()
		lb.seen = append(lb.seen, seenRequest{path: r.URL.Path, header: r.Header.Clone(), body: body})
		attempt := len(lb.seen)
		rep := reply{status: 200, body: map[string]any{}}
		if len(lb.replies) > 1 {
			rep, lb.replies = lb.replies[0], lb.replies[1:]
		} else if len(lb.replies) == 1 {
			rep = lb.replies[0]
		}
		lb.mu.Unlock()
		if rep.delay > 0 {
			select {
			case <-time.After(rep.delay):
			case <-r.Context().Done():
				return
			}
		}
		if rep.text != nil {
			w.Header().Set("content-type", "text/plain")
			w.WriteHeader(rep.status)
			_, _ = io.WriteString(w, *rep.text)
			return
		}
		out := map[string]any{"attempt": attempt}
		for k, v := range rep.body {
			out[k] = v
		}
		w.Header().Set("content-type", "application/json")
		w.WriteHeader(rep.status)
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(lb.Close)
	return lb
}

func (lb *loopback) requests() []seenRequest {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return append([]seenRequest(nil), lb.seen...)
}

func connectError(status int, code Code) reply {
	return reply{status: status, body: map[string]any{"code": string(code), "message": string(code) + " from server"}}
}

func text(s string) *string { return &s }

// sleeps records every backoff instead of waiting it out, so bounds are exact and tests fast.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func mustNew(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *ameide.Error, got %T: %v", err, err)
	}
	return e
}

func TestDefaultsMatchConfigurationAndHaveNoLocalhost(t *testing.T) {
	c := mustNew(t, Options{})
	if c.BaseURL() != "https://api.ameide.io" || c.Timeout() != 5*time.Second {
		t.Fatalf("defaults: %s %s", c.BaseURL(), c.Timeout())
	}
	want := RetryPolicy{
		MaxAttempts: 3, InitialBackoff: 250 * time.Millisecond, Multiplier: 2, MaxBackoff: 5 * time.Second,
		JitterMin: 0.5, JitterMax: 1.5,
		RetryableCodes: []Code{"unavailable", "deadline_exceeded", "aborted", "resource_exhausted"},
	}
	if !reflect.DeepEqual(c.RetryPolicy(), want) {
		t.Fatalf("retry policy: %+v", c.RetryPolicy())
	}
	if _, err := New(Options{BaseURL: "api.ameide.io"}); err == nil {
		t.Fatal("a BaseURL without scheme must be refused")
	}
}

func TestPostsJSONToServiceMethod(t *testing.T) {
	srv := newLoopback(t, reply{status: 200, body: map[string]any{"greeting": "hi"}})
	c := mustNew(t, Options{BaseURL: srv.URL + "/"})
	var out struct {
		Greeting string `json:"greeting"`
	}
	if err := c.Call(context.Background(), "ameide.v1.Greeter", "Greet", map[string]string{"name": "x"}, &out); err != nil {
		t.Fatal(err)
	}
	seen := srv.requests()
	if out.Greeting != "hi" || len(seen) != 1 || seen[0].path != "/ameide.v1.Greeter/Greet" || seen[0].body["name"] != "x" {
		t.Fatalf("got %+v, seen %+v", out, seen)
	}
	if ct := seen[0].header.Get("content-type"); ct != "application/json" {
		t.Fatalf("content-type %q", ct)
	}
}

func TestMergesHeadersLowerCasedCallWins(t *testing.T) {
	srv := newLoopback(t)
	var keys []string
	spy := func(next Invoker) Invoker {
		return func(ctx context.Context, req *Request) (*Response, error) {
			for k := range req.Header {
				keys = append(keys, k)
			}
			return next(ctx, req)
		}
	}
	c := mustNew(t, Options{
		BaseURL: srv.URL, TenantID: "t-1", UserID: "u-1",
		Header:       map[string]string{"X-Client": "a", "X-Both": "client"},
		Interceptors: []Interceptor{spy},
	})
	if err := c.Call(context.Background(), "s", "m", nil, nil, WithHeader("X-Both", "call"), WithHeader("X-CALL-Only", "c")); err != nil {
		t.Fatal(err)
	}
	h := srv.requests()[0].header
	for k, v := range map[string]string{"x-tenant-id": "t-1", "x-user-id": "u-1", "x-client": "a", "x-both": "call", "x-call-only": "c"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	for _, k := range keys {
		if k != regexp.MustCompile(`[A-Z]`).ReplaceAllString(k, "") {
			t.Errorf("header key %q is not lower-case", k)
		}
	}
}

func TestInjectsRequestIDWhenMissingAndKeepsTheCallers(t *testing.T) {
	srv := newLoopback(t)
	c := mustNew(t, Options{BaseURL: srv.URL})
	_ = c.Call(context.Background(), "s", "m", nil, nil)
	_ = c.Call(context.Background(), "s", "m", nil, nil, WithHeader("X-Request-ID", "given-id"))
	seen := srv.requests()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(seen[0].header.Get("x-request-id")) {
		t.Errorf("generated id %q", seen[0].header.Get("x-request-id"))
	}
	if seen[1].header.Get("x-request-id") != "given-id" {
		t.Errorf("caller id replaced: %q", seen[1].header.Get("x-request-id"))
	}
}

func TestKeepsOneRequestIDAcrossRetries(t *testing.T) {
	srv := newLoopback(t, connectError(503, CodeUnavailable), reply{status: 200})
	s := &sleeps{}
	if err := mustNew(t, Options{BaseURL: srv.URL, Sleep: s.sleep}).Call(context.Background(), "s", "m", nil, nil); err != nil {
		t.Fatal(err)
	}
	seen := srv.requests()
	if len(seen) != 2 || seen[0].header.Get("x-request-id") != seen[1].header.Get("x-request-id") {
		t.Fatalf("ids: %v", seen)
	}
}

func TestBearerTokenFromProviderAskedOncePerCall(t *testing.T) {
	srv := newLoopback(t, connectError(503, CodeUnavailable), reply{status: 200})
	calls := 0
	provider := func(ctx context.Context) (string, error) {
		calls++
		select { // a provider that does I/O: it gets the call's context
		case <-time.After(5 * time.Millisecond):
			return "tok-async", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	s := &sleeps{}
	if err := mustNew(t, Options{BaseURL: srv.URL, TokenProvider: provider, Sleep: s.sleep}).Call(context.Background(), "s", "m", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.requests() {
		if got := r.header.Get("authorization"); got != "Bearer tok-async" {
			t.Fatalf("authorization %q", got)
		}
	}
	if calls != 1 {
		t.Fatalf("provider called %d times", calls)
	}
}

func TestProviderErrorReachesTheCallerAndNothingIsSent(t *testing.T) {
	srv := newLoopback(t)
	boom := errors.New("vault is sealed")
	c := mustNew(t, Options{BaseURL: srv.URL, TokenProvider: func(context.Context) (string, error) { return "", boom }})
	if err := c.Call(context.Background(), "s", "m", nil, nil); err != boom {
		t.Fatalf("want the provider's own error, got %v", err)
	}
	if n := len(srv.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestTimesOutWithDeadlineExceeded(t *testing.T) {
	srv := newLoopback(t, reply{status: 200, delay: 2 * time.Second})
	started := time.Now()
	err := mustNew(t, Options{BaseURL: srv.URL, Timeout: 100 * time.Millisecond}).Call(context.Background(), "s", "m", nil, nil)
	if e := asError(t, err); e.Code != CodeDeadlineExceeded {
		t.Fatalf("code %s", e.Code)
	}
	if time.Since(started) > time.Second {
		t.Fatalf("took %s", time.Since(started))
	}
	if n := len(srv.requests()); n != 1 {
		t.Fatalf("a local timeout must not be retried, %d requests", n)
	}
}

func TestPerCallTimeoutWins(t *testing.T) {
	srv := newLoopback(t, reply{status: 200, delay: 300 * time.Millisecond})
	c := mustNew(t, Options{BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	if err := c.Call(context.Background(), "s", "m", nil, nil, WithTimeout(3*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestDeadlineCoversTheBackoff(t *testing.T) {
	srv := newLoopback(t, connectError(503, CodeUnavailable))
	p := DefaultRetryPolicy()
	p.InitialBackoff = 10 * time.Second
	started := time.Now()
	err := mustNew(t, Options{BaseURL: srv.URL, Timeout: 150 * time.Millisecond, Retry: &p}).Call(context.Background(), "s", "m", nil, nil)
	if e := asError(t, err); e.Code != CodeDeadlineExceeded {
		t.Fatalf("code %s", e.Code)
	}
	if len(srv.requests()) != 1 || time.Since(started) > 2*time.Second {
		t.Fatalf("%d requests in %s", len(srv.requests()), time.Since(started))
	}
}

func TestRetriesRetryableCodesThenSucceeds(t *testing.T) {
	for _, code := range []Code{CodeUnavailable, CodeDeadlineExceeded, CodeAborted, CodeResourceExhausted} {
		t.Run(string(code), func(t *testing.T) {
			srv := newLoopback(t, connectError(503, code), connectError(503, code), reply{status: 200, body: map[string]any{"ok": true}})
			s := &sleeps{}
			var out map[string]any
			err := mustNew(t, Options{BaseURL: srv.URL, Sleep: s.sleep, Random: func() float64 { return 0.5 }}).Call(context.Background(), "s", "m", nil, &out)
			if err != nil {
				t.Fatal(err)
			}
			if out["ok"] != true || out["attempt"] != 3.0 || len(srv.requests()) != 3 {
				t.Fatalf("out %v, %d requests", out, len(srv.requests()))
			}
			if got := s.got(); !reflect.DeepEqual(got, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}) {
				t.Fatalf("sleeps %v", got)
			}
		})
	}
}

func TestBackoffWithinJitterBounds(t *testing.T) {
	srv := newLoopback(t, connectError(503, CodeUnavailable))
	low := &sleeps{}
	_ = mustNew(t, Options{BaseURL: srv.URL, Sleep: low.sleep, Random: func() float64 { return 0 }}).Call(context.Background(), "s", "m", nil, nil)
	if got := low.got(); !reflect.DeepEqual(got, []time.Duration{125 * time.Millisecond, 250 * time.Millisecond}) {
		t.Fatalf("low %v", got)
	}
	high := &sleeps{}
	_ = mustNew(t, Options{BaseURL: srv.URL, Sleep: high.sleep, Random: func() float64 { return 0.999999 }}).Call(context.Background(), "s", "m", nil, nil)
	got := high.got()
	if len(got) != 2 || got[0] >= 375*time.Millisecond || got[0] < 374*time.Millisecond || got[1] >= 750*time.Millisecond || got[1] < 749*time.Millisecond {
		t.Fatalf("high %v", got)
	}
}

func TestEachDelayIsCapped(t *testing.T) {
	p := DefaultRetryPolicy()
	p.MaxAttempts, p.InitialBackoff = 6, time.Second
	var got []float64
	for retry := 1; retry <= 5; retry++ {
		got = append(got, math.Round(p.Delay(retry, 0.999).Seconds()*1000)/1000)
	}
	if !reflect.DeepEqual(got, []float64{1.499, 2.998, 5, 5, 5}) {
		t.Fatalf("delays %v", got)
	}
}

func TestReturnsTheLastAttemptsOwnError(t *testing.T) {
	srv := newLoopback(t, connectError(503, CodeUnavailable))
	s := &sleeps{}
	err := mustNew(t, Options{BaseURL: srv.URL, Sleep: s.sleep}).Call(context.Background(), "s", "m", nil, nil)
	e := asError(t, err)
	if e.Code != CodeUnavailable || e.HTTPStatus != 503 || e.Message != "unavailable from server" || len(srv.requests()) != 3 {
		t.Fatalf("%+v after %d requests", e, len(srv.requests()))
	}
}

func TestNonRetryableCodesFailFast(t *testing.T) {
	for code, status := range map[Code]int{CodeInvalidArgument: 400, CodeNotFound: 404, CodePermissionDenied: 403, CodeInternal: 500} {
		t.Run(string(code), func(t *testing.T) {
			srv := newLoopback(t, connectError(status, code))
			s := &sleeps{}
			e := asError(t, mustNew(t, Options{BaseURL: srv.URL, Sleep: s.sleep}).Call(context.Background(), "s", "m", nil, nil))
			if e.Code != code || e.HTTPStatus != status || len(srv.requests()) != 1 || len(s.got()) != 0 {
				t.Fatalf("%+v, %d requests, sleeps %v", e, len(srv.requests()), s.got())
			}
		})
	}
}

func TestHTTPStatusWithoutConnectBodyIsMapped(t *testing.T) {
	s := &sleeps{}
	srv := newLoopback(t, reply{status: 429, text: text("slow down")})
	if e := asError(t, mustNew(t, Options{BaseURL: srv.URL, Sleep: s.sleep}).Call(context.Background(), "s", "m", nil, nil)); e.Code != CodeUnavailable || len(srv.requests()) != 3 {
		t.Fatalf("429: %+v, %d requests", e, len(srv.requests()))
	}
	srv = newLoopback(t, reply{status: 404, text: text("no such route")})
	if e := asError(t, mustNew(t, Options{BaseURL: srv.URL, Sleep: s.sleep}).Call(context.Background(), "s", "m", nil, nil)); e.Code != CodeUnimplemented || len(srv.requests()) != 1 {
		t.Fatalf("404: %+v, %d requests", e, len(srv.requests()))
	}
}

func TestRefusedConnectionIsRetriedAsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	s := &sleeps{}
	e := asError(t, mustNew(t, Options{BaseURL: "http://" + addr, Sleep: s.sleep}).Call(context.Background(), "s", "m", nil, nil))
	if e.Code != CodeUnavailable || len(s.got()) != 2 {
		t.Fatalf("%+v, sleeps %v", e, s.got())
	}
}

type recSpan struct {
	name   string
	attrs  map[string]any
	status SpanStatus
	events *[]string
}

func (s *recSpan) SetAttribute(k string, v any) { s.attrs[k] = v }
func (s *recSpan) End(st SpanStatus) {
	s.status = st
	*s.events = append(*s.events, "span-end:"+st.Code)
}

type recTracer struct {
	spans  []*recSpan
	events *[]string
}

func (t *recTracer) StartSpan(ctx context.Context, name string, attrs map[string]any) (context.Context, Span) {
	s := &recSpan{name: name, attrs: map[string]any{}, events: t.events}
	for k, v := range attrs {
		s.attrs[k] = v
	}
	t.spans = append(t.spans, s)
	*t.events = append(*t.events, fmt.Sprintf("span-start#%v", attrs["rpc.attempt"]))
	return ctx, s
}

func TestInterceptorOrder(t *testing.T) {
	if !reflect.DeepEqual(BuiltinInterceptors, []string{"metadata", "auth", "timeout", "retry", "tracing"}) {
		t.Fatalf("BuiltinInterceptors %v", BuiltinInterceptors)
	}
	srv := newLoopback(t, connectError(503, CodeUnavailable), reply{status: 200})
	var events []string
	var seenByUser []map[string]string
	user := func(label string) Interceptor {
		return func(next Invoker) Invoker {
			return func(ctx context.Context, req *Request) (*Response, error) {
				events = append(events, fmt.Sprintf("%s#%d", label, req.Attempt))
				seenByUser = append(seenByUser, req.Header)
				if _, ok := ctx.Deadline(); !ok {
					t.Error("the timeout interceptor must run before user interceptors")
				}
				return next(ctx, req)
			}
		}
	}
	tracer := &recTracer{events: &events}
	s := &sleeps{}
	c := mustNew(t, Options{
		BaseURL: srv.URL, Sleep: s.sleep, Tracer: tracer,
		TokenProvider: func(context.Context) (string, error) { events = append(events, "auth"); return "tok", nil },
		Interceptors:  []Interceptor{user("user-a"), user("user-b")},
	})
	if err := c.Call(context.Background(), "ameide.v1.Greeter", "Greet", nil, nil, WithHeader("X-Upper", "1")); err != nil {
		t.Fatal(err)
	}
	// auth once per call (outside retry); one span per attempt (inside retry); user interceptors innermost.
	want := []string{"auth", "span-start#1", "user-a#1", "user-b#1", "span-end:unavailable", "span-start#2", "user-a#2", "user-b#2", "span-end:ok"}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("events\n got %v\nwant %v", events, want)
	}
	if h := seenByUser[0]; h["x-upper"] != "1" || h["authorization"] != "Bearer tok" || h["x-request-id"] == "" {
		t.Fatalf("user interceptor saw %v", h)
	}
	wantAttrs := map[string]any{
		"rpc.system": "connect_rpc", "rpc.service": "ameide.v1.Greeter", "rpc.method": "Greet", "rpc.attempt": 1,
		"rpc.status": "unavailable", "rpc.connect_rpc.error_code": "unavailable",
	}
	if sp := tracer.spans[0]; sp.name != "ameide.v1.Greeter/Greet" || !reflect.DeepEqual(sp.attrs, wantAttrs) || sp.status.Code != "unavailable" {
		t.Fatalf("span %+v", sp)
	}
	if tracer.spans[1].attrs["rpc.status"] != "ok" {
		t.Fatalf("span 2 %+v", tracer.spans[1])
	}
}

func TestCloseCancelsInFlightAndRefusesNewCalls(t *testing.T) {
	srv := newLoopback(t, reply{status: 200, delay: 2 * time.Second})
	c := mustNew(t, Options{BaseURL: srv.URL})
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), "s", "m", nil, nil) }()
	time.Sleep(50 * time.Millisecond)
	_ = c.Close()
	_ = c.Close()
	select {
	case err := <-done:
		if e := asError(t, err); e.Code != CodeCanceled {
			t.Fatalf("in flight: %+v", e)
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not cancel the call in flight")
	}
	if e := asError(t, c.Call(context.Background(), "s", "m", nil, nil)); e.Code != CodeCanceled {
		t.Fatalf("after close: %+v", e)
	}
	if n := len(srv.requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestConcurrentCallsAreSafe(t *testing.T) {
	srv := newLoopback(t)
	c := mustNew(t, Options{BaseURL: srv.URL, TenantID: "t"})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Call(context.Background(), "s", "m", nil, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(srv.requests()); n != 8 {
		t.Fatalf("%d requests", n)
	}
}
