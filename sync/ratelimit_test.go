package sync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	lssync "github.com/leafly/lightspeed-orders/sync"
)

const shop = "examplestore"

// One register: 350 requests per 5 minutes, 35 at once, the other 315
// spread evenly over the window.
const (
	budget1 = 350
	burst1  = 35
	gap1    = 300 * time.Second / (budget1 - burst1)
)

// runWaiters runs n goroutines making k Waits each, moving the fake clock to
// the next timer whenever all of them are blocked, and returns when each
// Wait returned, in order.
func runWaiters(tb testing.TB, l *lssync.Limiter, clock *fakeClock, n, k int) []time.Time {
	tb.Helper()
	ctx := background(tb)
	var mu gosync.Mutex
	var times []time.Time
	var active atomic.Int64
	active.Store(int64(n))
	for range n {
		go func() {
			defer active.Add(-1)
			for range k {
				if err := l.Wait(ctx, shop); err != nil {
					tb.Errorf("Wait: %v", err)
					return
				}
				mu.Lock()
				times = append(times, clock.Now())
				mu.Unlock()
			}
		}()
	}
	for {
		clock.WaitFor(tb, "waiters to block", func() bool {
			a := active.Load()
			return a == 0 || int64(clock.Pending()) == a
		})
		if active.Load() == 0 {
			break
		}
		next, _ := clock.Next()
		clock.Set(next)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	return times
}

// assertBudget fails if any window of the given length saw more than budget sends.
func assertBudget(tb testing.TB, times []time.Time, budget int, window time.Duration) {
	tb.Helper()
	for i := 0; i+budget < len(times); i++ {
		if d := times[i+budget].Sub(times[i]); d < window {
			tb.Fatalf("sends %d..%d fall within %v: more than %d per %v", i, i+budget, d, budget, window)
		}
	}
}

func TestLimiterBudget(t *testing.T) {
	t.Run("Sequential", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		times := runWaiters(t, l, clock, 1, 800)
		assertBudget(t, times, budget1, 5*time.Minute)
		if !times[burst1-1].Equal(t0) || !times[burst1].After(t0) {
			t.Errorf("burst: send %d at %v, send %d at %v; want %d at once", burst1-1, times[burst1-1], burst1, times[burst1], burst1)
		}
		// Not slower than the budget allows either.
		if last, want := times[len(times)-1].Sub(t0), time.Duration(800-burst1)*gap1; last > want+time.Second {
			t.Errorf("800 sends took %v, want about %v", last, want)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		times := runWaiters(t, l, clock, 20, 40)
		if len(times) != 800 {
			t.Fatalf("%d sends, want 800", len(times))
		}
		assertBudget(t, times, budget1, 5*time.Minute)
	})
	t.Run("Registers", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		l.SetRegisters(shop, 3) // 950 per 5 minutes
		times := runWaiters(t, l, clock, 4, 500)
		assertBudget(t, times, 950, 5*time.Minute)
		if n := countBefore(times, t0.Add(5*time.Minute)); n < 940 {
			t.Errorf("%d sends in the first window, want close to 950", n)
		}
	})
	t.Run("LimitHeader", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		l.Observe(shop, response(200, "X-RateLimit-Limit", "650", "X-RateLimit-Remaining", "649"))
		times := runWaiters(t, l, clock, 1, 1000)
		assertBudget(t, times, 650, 5*time.Minute)
		if n := countBefore(times, t0.Add(5*time.Minute)); n < 640 {
			t.Errorf("%d sends in the first window, want close to the learned 650", n)
		}
	})
}

func countBefore(times []time.Time, end time.Time) int {
	n := 0
	for _, tm := range times {
		if tm.Before(end) {
			n++
		}
	}
	return n
}

// response builds a response with header pairs.
func response(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestLimiterPause(t *testing.T) {
	cases := []struct {
		name string
		resp *http.Response
		want time.Time
	}{
		{"429HTTPDate", response(429, "Retry-After", t0.Add(45*time.Second).Format(http.TimeFormat)), t0.Add(45 * time.Second)},
		{"429Seconds", response(429, "Retry-After", "120"), t0.Add(120 * time.Second)},
		{"429Absent", response(429), t0.Add(60 * time.Second)},
		{"429Unparsable", response(429, "Retry-After", "soon"), t0.Add(60 * time.Second)},
		{"Remaining0Reset", response(200, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(t0.Add(100*time.Second).Unix(), 10)), t0.Add(100 * time.Second)},
		{"Remaining0", response(200, "X-RateLimit-Remaining", "0"), t0.Add(60 * time.Second)},
		{"RemainingLow", response(200, "X-RateLimit-Remaining", "2"), t0.Add(60 * time.Second)},
		{"RemainingPlenty", response(200, "X-RateLimit-Remaining", "200"), time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
			l.Observe(shop, tc.resp)
			if got := l.BlockedUntil(shop); !got.Equal(tc.want) {
				t.Fatalf("BlockedUntil = %v, want %v", got, tc.want)
			}
			if !l.BlockedUntil("otherstore").IsZero() {
				t.Fatal("a pause leaked to another retailer")
			}
			if tc.want.IsZero() {
				return
			}
			times := runWaiters(t, l, clock, 1, 1)
			if !times[0].Equal(tc.want) {
				t.Fatalf("Wait returned at %v, want %v", times[0], tc.want)
			}
		})
	}
	t.Run("RemainingClamps", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		l.Observe(shop, response(200, "X-RateLimit-Remaining", "10")) // 8 left above the reserve of 2
		times := runWaiters(t, l, clock, 1, 9)
		if !times[7].Equal(t0) || !times[8].After(t0) {
			t.Fatalf("sends at %v, want 8 at once then paced", times)
		}
	})
	t.Run("PauseWhileSleeping", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		for range burst1 {
			if err := l.Wait(background(t), shop); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan time.Time, 1)
		go func() {
			_ = l.Wait(background(t), shop)
			done <- clock.Now()
		}()
		clock.WaitFor(t, "waiter to sleep", func() bool { return clock.Pending() == 1 })
		l.Observe(shop, response(429, "Retry-After", "30"))
		for {
			clock.WaitFor(t, "waiter to sleep or finish", func() bool { return clock.Pending() == 1 || len(done) == 1 })
			if len(done) == 1 {
				break
			}
			next, _ := clock.Next()
			clock.Set(next)
		}
		if at := <-done; at.Before(t0.Add(30 * time.Second)) {
			t.Fatalf("waiter sent at %v, inside the pause ending %v", at, t0.Add(30*time.Second))
		}
	})
}

func TestLimiterNoStampede(t *testing.T) {
	clock := newFakeClock()
	l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
	until := t0.Add(30 * time.Second)
	l.Observe(shop, response(429, "Retry-After", "30"))
	times := runWaiters(t, l, clock, 25, 1)
	if !times[0].Equal(until) {
		t.Fatalf("first send at %v, want when the pause lifts (%v)", times[0], until)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < gap1-time.Millisecond {
			t.Fatalf("sends %d and %d %v apart after the pause, want at least %v", i-1, i, gap, gap1)
		}
	}
}

func TestLimiterCancel(t *testing.T) {
	clock := newFakeClock()
	l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
	l.Observe(shop, response(429, "Retry-After", "30"))
	ctx, cancel := context.WithCancel(background(t))
	errc := make(chan error)
	go func() { errc <- l.Wait(ctx, shop) }()
	clock.WaitFor(t, "waiter to sleep", func() bool { return clock.Pending() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
	// The canceled waiter's turn is given back: when the pause lifts the next
	// waiter goes at once instead of one turn later. (Firing the canceled
	// waiter's timer first keeps it from counting as a blocked waiter.)
	clock.Set(t0.Add(30 * time.Second))
	times := runWaiters(t, l, clock, 1, 1)
	if !times[0].Equal(t0.Add(30 * time.Second)) {
		t.Fatalf("next send at %v, want %v", times[0], t0.Add(30*time.Second))
	}
}

// fakeGate is a SharedGate in memory.
type fakeGate struct {
	mu     gosync.Mutex
	until  map[string]time.Time
	reads  int
	blocks []time.Time
	err    error
}

var _ lssync.SharedGate = (*fakeGate)(nil)

func (g *fakeGate) BlockedUntil(_ context.Context, prefix string) (time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reads++
	return g.until[prefix], g.err
}

func (g *fakeGate) Block(_ context.Context, prefix string, until time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocks = append(g.blocks, until)
	g.until[prefix] = until
	return g.err
}

func TestLimiterSharedGate(t *testing.T) {
	t.Run("Consulted", func(t *testing.T) {
		clock := newFakeClock()
		gate := &fakeGate{until: map[string]time.Time{shop: t0.Add(20 * time.Second)}}
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock, Shared: gate})
		times := runWaiters(t, l, clock, 1, 1)
		if !times[0].Equal(t0.Add(20 * time.Second)) {
			t.Fatalf("sent at %v, want after the shared pause (%v)", times[0], t0.Add(20*time.Second))
		}
		if gate.reads == 0 || len(gate.blocks) != 0 {
			t.Fatalf("gate reads %d, blocks %v; want reads and no echo of its own pause", gate.reads, gate.blocks)
		}
	})
	t.Run("Told", func(t *testing.T) {
		clock := newFakeClock()
		gate := &fakeGate{until: map[string]time.Time{}}
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock, Shared: gate})
		l.Observe(shop, response(429, "Retry-After", "30"))
		if len(gate.blocks) != 1 || !gate.blocks[0].Equal(t0.Add(30*time.Second)) {
			t.Fatalf("gate told %v, want one pause until %v", gate.blocks, t0.Add(30*time.Second))
		}
		other := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock, Shared: gate}) // another replica
		if times := runWaiters(t, other, clock, 1, 1); !times[0].Equal(t0.Add(30 * time.Second)) {
			t.Fatalf("other replica sent at %v, want %v", times[0], t0.Add(30*time.Second))
		}
	})
	t.Run("ReadEvery", func(t *testing.T) {
		clock := newFakeClock()
		gate := &fakeGate{until: map[string]time.Time{}}
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock, Shared: gate, SharedEvery: time.Second})
		for range 3 {
			if err := l.Wait(background(t), shop); err != nil {
				t.Fatal(err)
			}
		}
		if gate.reads != 1 {
			t.Fatalf("gate read %d times for 3 requests within SharedEvery, want once", gate.reads)
		}
		// Another replica records a pause: seen at the next read, a second on.
		gate.until[shop] = t0.Add(30 * time.Second)
		clock.Advance(time.Second)
		if times := runWaiters(t, l, clock, 1, 1); !times[0].Equal(t0.Add(30 * time.Second)) {
			t.Fatalf("sent at %v, want after the other replica's pause (%v)", times[0], t0.Add(30*time.Second))
		}
	})
	t.Run("Failing", func(t *testing.T) {
		clock := newFakeClock()
		gate := &fakeGate{until: map[string]time.Time{}, err: errors.New("redis down")}
		var seen []error
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock, Shared: gate, OnSharedError: func(err error) { seen = append(seen, err) }})
		if err := l.Wait(background(t), shop); err != nil {
			t.Fatalf("Wait = %v, want the in-process limits to carry on", err)
		}
		if len(seen) != 1 {
			t.Fatalf("OnSharedError heard %v", seen)
		}
	})
}

// TestClientPausesAfter429 checks the client feeds its limiter: after a 429
// nothing reaches the retailer before Retry-After.
func TestClientPausesAfter429(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			jsonHandler(429, `{"error":"Too Many Requests"}`, "Retry-After", "30")(w, r)
			return
		}
		jsonHandler(200, `{"data":[]}`)(w, r)
	}))
	defer srv.Close()
	clock := newFakeClock()
	c := mustClient(t, srv, clock)
	if _, err := c.Webhooks(background(t), target); !lssync.IsRateLimited(err) {
		t.Fatalf("first call: %v, want rate limited", err)
	}
	done := make(chan error)
	go func() {
		_, err := c.Webhooks(background(t), target)
		done <- err
	}()
	clock.WaitFor(t, "second call to wait", func() bool { return clock.Pending() == 1 })
	if next, _ := clock.Next(); !next.Equal(t0.Add(30*time.Second)) || hits.Load() != 1 {
		t.Fatalf("second call waits until %v with %d hits, want %v and 1", next, hits.Load(), t0.Add(30*time.Second))
	}
	clock.Advance(30 * time.Second)
	if err := <-done; err != nil || hits.Load() != 2 {
		t.Fatalf("second call: %v, %d hits", err, hits.Load())
	}
}

// TestLimiterInteractive checks that interactive calls never wait and leave
// the reserve (a quarter of the burst: 8 of 35) to background work.
func TestLimiterInteractive(t *testing.T) {
	interactive := lssync.Interactive(background(t))
	t.Run("LeavesReserve", func(t *testing.T) {
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: newFakeClock()})
		for i := range burst1 - 8 {
			if err := l.Wait(interactive, shop); err != nil {
				t.Fatalf("interactive call %d: %v", i+1, err)
			}
		}
		if err := l.Wait(interactive, shop); !errors.Is(err, lssync.ErrReserved) {
			t.Fatalf("interactive call into the reserve: %v, want ErrReserved", err)
		}
		for range 8 {
			if err := l.Wait(background(t), shop); err != nil {
				t.Fatalf("background call in the reserve: %v", err)
			}
		}
	})
	t.Run("NeverQueues", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		runWaiters(t, l, clock, 1, burst1+1)
		if err := l.Wait(interactive, shop); !errors.Is(err, lssync.ErrReserved) {
			t.Fatalf("interactive call behind queued work: %v, want ErrReserved", err)
		}
	})
	t.Run("Paused", func(t *testing.T) {
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: newFakeClock()})
		l.Observe(shop, response(429, "Retry-After", "30"))
		if err := l.Wait(interactive, shop); !errors.Is(err, lssync.ErrReserved) {
			t.Fatalf("interactive call during a pause: %v, want ErrReserved", err)
		}
	})
	t.Run("LightspeedRemaining", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		l.Observe(shop, response(200, "X-RateLimit-Remaining", "10")) // 8 reserved + 2 low
		clock.Advance(time.Minute)                                    // the bucket refills; Lightspeed's window does not
		if err := l.Wait(interactive, shop); !errors.Is(err, lssync.ErrReserved) {
			t.Fatalf("interactive call with 10 left in the window: %v, want ErrReserved", err)
		}
		clock.Advance(5 * time.Minute)
		if err := l.Wait(interactive, shop); err != nil {
			t.Fatalf("interactive call a window later: %v", err)
		}
	})
}

// TestLimiterBudgets checks each paced retailer's budget is reported: its
// limit, what Lightspeed last said remains, and how long a pause lasts.
func TestLimiterBudgets(t *testing.T) {
	clock := newFakeClock()
	l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
	if got := l.Budgets(); len(got) != 0 {
		t.Fatalf("Budgets before any call = %+v, want none", got)
	}
	l.SetRegisters("quiet", 2)
	l.Observe(shop, response(200, "X-RateLimit-Limit", "650", "X-RateLimit-Remaining", "412"))
	l.Observe("drained", response(200, "X-RateLimit-Remaining", "1", "X-RateLimit-Reset", "90"))
	got := map[string]lssync.Budget{}
	for _, b := range l.Budgets() {
		got[b.Prefix] = b
	}
	want := map[string]lssync.Budget{
		"quiet":   {Prefix: "quiet", Limit: 650, Remaining: 650},
		shop:      {Prefix: shop, Limit: 650, Remaining: 412},
		"drained": {Prefix: "drained", Limit: budget1, Remaining: 1, PausedFor: 90 * time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("Budgets = %+v, want %+v", got, want)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("budget of %s = %+v, want %+v", p, got[p], w)
		}
	}
}

// TestLimiterLater: a caller whose turn starts within maxWait goes ahead;
// beyond it, callers are told to come back one turn apart, in the order
// they asked, a caller back for its promise goes ahead of one that never
// asked, and a promise not kept stops holding others back after a grace.
func TestLimiterLater(t *testing.T) {
	const maxWait = 10 * time.Second
	t.Run("TurnNear", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		runWaiters(t, l, clock, 1, burst1) // the burst, at once
		if wait := later(l, shop, "a", maxWait); wait != 0 {
			t.Fatalf("Later with the next turn %s away = %s, want 0", gap1, wait)
		}
		if wait := later(l, "otherstore", "b", maxWait); wait != 0 {
			t.Fatalf("Later for another retailer = %s, want 0", wait)
		}
	})
	t.Run("TurnFar", func(t *testing.T) {
		clock := newFakeClock()
		l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
		l.Observe(shop, response(429, "Retry-After", "60"))
		// Back with the turn maxWait away, one turn apart.
		want := map[string]time.Duration{"a": 50 * time.Second, "b": 50*time.Second + gap1, "c": 50*time.Second + 2*gap1}
		for _, key := range []string{"a", "b", "c"} {
			if wait := later(l, shop, key, maxWait); !near(wait, want[key]) {
				t.Fatalf("Later(%s) = %s, want %s", key, wait, want[key])
			}
		}
		clock.Advance(50 * time.Second)
		if wait := later(l, shop, "a", maxWait); wait != 0 {
			t.Fatalf("Later(a) back for its turn = %s, want 0", wait)
		}
		// A newcomer goes behind b and c, though the turn is near.
		if wait := later(l, shop, "d", maxWait); !near(wait, 3*gap1) {
			t.Fatalf("Later(d), new behind b and c = %s, want %s", wait, 3*gap1)
		}
		clock.Advance(gap1)
		if wait := later(l, shop, "b", maxWait); wait != 0 {
			t.Fatalf("Later(b) back for its turn = %s, want 0", wait)
		}
		// c and d never come back: once their promises are 30s overdue,
		// a newcomer goes ahead.
		clock.Advance(2*gap1 + 30*time.Second + time.Millisecond)
		if wait := later(l, shop, "e", maxWait); wait != 0 {
			t.Fatalf("Later(e) after the others' promises lapsed = %s, want 0", wait)
		}
	})
}

// later is Later's wait alone.
func later(l *lssync.Limiter, prefix, key string, maxWait time.Duration) time.Duration {
	_, wait := l.Later(context.Background(), prefix, key, maxWait)
	return wait
}

// TestLimiterLaterHoldsTurns: callers Later lets through at once queue
// one behind the other (it reserves each one's turn), the first to come
// maxWait away is told to come back, and a caller's first Wait takes the
// turn held for it.
func TestLimiterLaterHoldsTurns(t *testing.T) {
	clock := newFakeClock()
	l := lssync.NewLimiter(lssync.LimiterOptions{Clock: clock})
	runWaiters(t, l, clock, 1, burst1) // the burst, at once
	var first context.Context
	for i := range 11 {
		ctx, wait := l.Later(background(t), shop, fmt.Sprint(i), 10*time.Second)
		switch {
		case i < 10 && wait != 0:
			t.Fatalf("caller %d, its turn %s away, told to come back in %s", i, time.Duration(i+1)*gap1, wait)
		case i == 10 && wait == 0:
			t.Fatalf("caller 10, its turn %s away, let through", 11*gap1)
		case i == 0:
			first = ctx
		}
	}
	done := make(chan time.Time)
	go func() {
		if err := l.Wait(first, shop); err != nil {
			t.Error(err)
		}
		done <- clock.Now()
	}()
	clock.WaitFor(t, "the first caller to wait", func() bool { return clock.Pending() == 1 })
	next, _ := clock.Next()
	clock.Set(next)
	if at := <-done; !at.Equal(t0.Add(gap1)) {
		t.Fatalf("the first caller's Wait returned at %s, want its held turn at %s", at.Sub(t0), gap1)
	}
}

// near reports whether got is want within a millisecond (the bucket's
// rates are floats).
func near(got, want time.Duration) bool { return (got - want).Abs() < time.Millisecond }
