package sync_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	gosync "sync"
	"testing"
	"time"

	lssync "github.com/leafly/lightspeed-orders/sync"
)

// waitTimeout bounds every wait on a condition in these tests.
const waitTimeout = 10 * time.Second

// t0 is the fake clock's start: a whole second, so HTTP dates round-trip.
var t0 = time.Date(2026, 7, 14, 9, 0, 0, 0, time.UTC)

// fakeClock is a Clock whose time moves only when the test says so.
type fakeClock struct {
	mu      gosync.Mutex
	now     time.Time
	timers  []fakeTimer
	changed chan struct{}
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

var _ lssync.Clock = (*fakeClock)(nil)

func newFakeClock() *fakeClock {
	return &fakeClock{now: t0, changed: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	select {
	case c.changed <- struct{}{}:
	default:
	}
	return ch
}

// Set moves the clock to t and fires the timers due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.timers = slices.DeleteFunc(c.timers, func(tm fakeTimer) bool {
		if tm.at.After(t) {
			return false
		}
		tm.ch <- t
		return true
	})
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Pending returns the number of timers not yet fired.
func (c *fakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns the earliest pending timer's deadline.
func (c *fakeClock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	next := c.timers[0].at
	for _, tm := range c.timers[1:] {
		if tm.at.Before(next) {
			next = tm.at
		}
	}
	return next, true
}

// WaitFor waits until cond holds, re-checking whenever a timer is added,
// and fails the test after waitTimeout.
func (c *fakeClock) WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.changed:
		case <-time.After(time.Millisecond):
			// Conditions on other goroutines' progress (a waiter finishing)
			// do not touch the clock; look again shortly.
		case <-deadline.C:
			tb.Fatalf("timed out waiting for %s", what)
		}
	}
}

// mustClient returns a client for srv with a fake clock and its own limiter.
func mustClient(tb testing.TB, srv *httptest.Server, clock lssync.Clock, opts ...func(*lssync.Config)) *lssync.Client {
	tb.Helper()
	cfg := lssync.Config{APIURL: srv.URL, APIVersion: "2026-07", ClientID: "client-id", ClientSecret: "client-secret",
		UserAgent: "leafly-test/1.0", HTTPClient: srv.Client(), Clock: clock}
	for _, o := range opts {
		o(&cfg)
	}
	return lssync.NewClient(cfg)
}

// target is the retailer the tests call.
var target = lssync.Target{DomainPrefix: "examplestore", AccessToken: "access-token"}

// jsonHandler answers every request with status and body as JSON.
func jsonHandler(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// mustKind fails unless err is an *Error of the kind.
func mustKind(tb testing.TB, err error, kind lssync.ErrorKind) *lssync.Error {
	tb.Helper()
	var e *lssync.Error
	if !errors.As(err, &e) {
		tb.Fatalf("err = %v (%T), want *sync.Error of kind %v", err, err, kind)
	}
	if e.Kind != kind {
		tb.Fatalf("kind = %v, want %v (err: %v)", e.Kind, kind, err)
	}
	return e
}

// background is a context for calls that must not be canceled.
func background(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	tb.Cleanup(cancel)
	return ctx
}
