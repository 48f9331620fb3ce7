package sync

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"
)

// Lightspeed's documented budget: 300 requests per register plus 50, per
// retailer, per 5-minute window
// (https://x-series-api.lightspeedhq.com/docs/rate_limiting).
const (
	budgetPerRegister = 300
	budgetBase        = 50
	defaultWindow     = 5 * time.Minute
	defaultBackoff    = 60 * time.Second
	defaultLow        = 2
	defaultBurst      = 0.1
	defaultReserve    = 0.25
)

// ErrReserved is the error of an interactive call (see Interactive) refused
// because what is left of the retailer's rate budget is kept for sending
// orders. Callers tell the person to try again shortly.
var ErrReserved = errors.New("the rest of the retailer's rate budget is kept for sending orders")

type interactiveKey struct{}

// Interactive marks ctx as a person's request waiting on its answer (a
// GraphQL query or mutation). Its Lightspeed calls never queue behind or
// ahead of background work such as order sending: a call that would have to
// wait, or would eat into the reserve, fails at once with ErrReserved.
func Interactive(ctx context.Context) context.Context {
	return context.WithValue(ctx, interactiveKey{}, true)
}

func isInteractive(ctx context.Context) bool {
	v, _ := ctx.Value(interactiveKey{}).(bool)
	return v
}

// Clock tells the time and waits. The limiter and the client take one so
// tests can drive time by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

var _ Clock = SystemClock{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SharedGate lets replicas share what one of them learned: that Lightspeed
// told a retailer's caller to stop (429, or X-RateLimit-Remaining at 0). The
// limiter asks it before sending and tells it after being stopped. A
// Postgres row or a Redis key per domain prefix is enough.
type SharedGate interface {
	// BlockedUntil returns the time before which nothing may be sent to
	// the retailer (zero or past: not blocked).
	BlockedUntil(ctx context.Context, prefix string) (time.Time, error)
	// Block records that nothing may be sent to the retailer before until.
	Block(ctx context.Context, prefix string, until time.Time) error
}

// LimiterOptions configures a Limiter; the zero value is usable.
type LimiterOptions struct {
	// Window is the length of Lightspeed's rate-limit window (default 5m).
	Window time.Duration
	// Burst is the share of the budget that may go out at once (default
	// 0.1, at most 0.5). The rest refills evenly over the window, so no
	// window ever sees more than the budget.
	Burst float64
	// LowRemaining is the X-RateLimit-Remaining value at or below which the
	// limiter stops sending until the window resets (default 2, leaving room
	// for requests already in flight).
	LowRemaining int
	// Reserve is the share of the burst that interactive calls leave to
	// background work such as order sending (default 0.25): they are refused
	// while the bucket holds no more than that, or while Lightspeed's last
	// X-RateLimit-Remaining (within one window) leaves no more than that
	// above LowRemaining.
	Reserve float64
	// Backoff is how long to stop when Lightspeed gives no usable
	// Retry-After or reset time (default 60s).
	Backoff time.Duration
	// Shared, if set, shares blocks across replicas; nil keeps them in-process.
	Shared SharedGate
	// SharedEvery is how long a read of Shared stands for a retailer: it is
	// read again at most this often (default 0: before every request). A
	// block another replica records then reaches this one up to SharedEvery
	// late; one this limiter learns applies at once.
	SharedEvery time.Duration
	// OnSharedError, if set, hears SharedGate failures. They never stop a
	// request: the in-process limits still apply.
	OnSharedError func(error)
	// Clock defaults to SystemClock.
	Clock Clock
}

// Limiter paces requests per retailer (domain prefix) within Lightspeed's
// budget: a token bucket per retailer, paused whenever Lightspeed says stop.
// Waiters reserve their turn in order, so when a pause lifts they leave one
// by one at the bucket rate instead of all at once. It is safe for
// concurrent use.
type Limiter struct {
	opts    LimiterOptions
	mu      gosync.Mutex
	buckets map[string]*bucket
}

// bucket is one retailer's state. tokens is the number of requests that may
// start at time last (negative when waiters have reserved future turns).
type bucket struct {
	budget       float64
	burst        float64
	rate         float64 // tokens per second
	tokens       float64
	last         time.Time
	blockedUntil time.Time
	gen          int // bumped by every block, so sleeping waiters re-queue
	// remaining is Lightspeed's last X-RateLimit-Remaining, seen at
	// remainingAt; it says nothing once a window has passed.
	remaining   int64
	remainingAt time.Time
	// sharedAt is when the shared gate was last read for the retailer.
	sharedAt time.Time
	// promised are the callers Later told to come back, by key, with when
	// they were told to; lastPromised is the turn the latest was promised.
	promised     map[string]time.Time
	lastPromised time.Time
}

// NewLimiter returns a limiter with opts' defaults filled in.
func NewLimiter(opts LimiterOptions) *Limiter {
	if opts.Window <= 0 {
		opts.Window = defaultWindow
	}
	if opts.Burst <= 0 || opts.Burst > 0.5 {
		opts.Burst = defaultBurst
	}
	if opts.LowRemaining <= 0 {
		opts.LowRemaining = defaultLow
	}
	if opts.Reserve <= 0 || opts.Reserve >= 1 {
		opts.Reserve = defaultReserve
	}
	if opts.Backoff <= 0 {
		opts.Backoff = defaultBackoff
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	return &Limiter{opts: opts, buckets: map[string]*bucket{}}
}

// SetRegisters sets the retailer's budget to 300 × registers + 50 requests
// per window (registers below 1 count as 1).
func (l *Limiter) SetRegisters(prefix string, registers int) {
	registers = max(registers, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucket(prefix).setBudget(float64(budgetPerRegister*registers+budgetBase), l.opts, l.opts.Clock.Now())
}

// BlockedUntil returns when the in-process pause for the retailer ends
// (zero when it has never been paused).
func (l *Limiter) BlockedUntil(prefix string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucket(prefix).blockedUntil
}

// Budget is where one retailer stands against its rate budget.
type Budget struct {
	// Prefix is the retailer's domain prefix.
	Prefix string
	// Limit is the retailer's budget per window.
	Limit float64
	// Remaining is what Lightspeed last said is left of the window
	// (X-RateLimit-Remaining), or Limit when it said nothing within one
	// window.
	Remaining float64
	// PausedFor is how long sending to the retailer stays paused; 0 when
	// it is not.
	PausedFor time.Duration
}

// Budgets returns the budget of each retailer this limiter has paced, in
// no particular order.
func (l *Limiter) Budgets() []Budget {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.opts.Clock.Now()
	out := make([]Budget, 0, len(l.buckets))
	for prefix, b := range l.buckets {
		out = append(out, Budget{Prefix: prefix, Limit: b.budget, Remaining: min(b.left(now, l.opts.Window), b.budget),
			PausedFor: max(b.blockedUntil.Sub(now), 0)})
	}
	return out
}

// Wait blocks until a request to the retailer may be sent, or ctx is done.
// An interactive ctx never blocks: see Interactive.
func (l *Limiter) Wait(ctx context.Context, prefix string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for rate limit: %w", err)
	}
	if _, err := l.consultShared(ctx, prefix); err != nil {
		return err
	}
	if isInteractive(ctx) {
		return l.takeSpare(prefix)
	}
	h, held := takeHeld(ctx, prefix)
	for {
		var at time.Time
		var gen int
		if held {
			at, gen, held = h.at, h.gen, false
		} else {
			at, gen = l.reserve(prefix)
		}
		wait := at.Sub(l.opts.Clock.Now())
		if wait <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			l.unreserve(prefix, gen)
			return fmt.Errorf("wait for rate limit: %w", ctx.Err())
		case <-l.opts.Clock.After(wait):
		}
		blocked, err := l.consultShared(ctx, prefix)
		if err != nil {
			return err
		}
		if !blocked && l.generation(prefix) == gen {
			return nil
		}
		// Paused while we slept: queue again behind the pause.
	}
}

// takeSpare takes a turn for an interactive call if one is free now and the
// reserve stays untouched, else returns ErrReserved: orders keep priority.
func (l *Limiter) takeSpare(prefix string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(prefix)
	now := l.opts.Clock.Now()
	reserve := max(1, math.Floor(b.burst*l.opts.Reserve))
	if b.blockedUntil.After(now) || b.left(now, l.opts.Window) <= reserve+float64(l.opts.LowRemaining) {
		return ErrReserved
	}
	b.advance(now)
	if b.tokens-1 < reserve {
		return ErrReserved
	}
	b.tokens--
	return nil
}

// Observe learns from a response's status and rate-limit headers: a 429
// pauses the retailer until Retry-After; X-RateLimit-Remaining at or below
// LowRemaining pauses it until the window resets; X-RateLimit-Limit sets
// the budget.
func (l *Limiter) Observe(prefix string, resp *http.Response) {
	if resp == nil {
		return
	}
	now := l.opts.Clock.Now()
	h := resp.Header
	var until time.Time
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		until = retryAfter(h, now, l.opts.Backoff)
	default:
		if limit, ok := headerInt(h, "X-RateLimit-Limit"); ok && limit > 0 {
			l.mu.Lock()
			l.bucket(prefix).setBudget(float64(limit), l.opts, now)
			l.mu.Unlock()
		}
		rem, ok := headerInt(h, "X-RateLimit-Remaining")
		if !ok {
			return
		}
		l.mu.Lock()
		b := l.bucket(prefix)
		b.remaining, b.remainingAt = rem, now
		low := rem <= int64(l.opts.LowRemaining)
		if !low {
			b.clamp(float64(rem-int64(l.opts.LowRemaining)), now)
		}
		l.mu.Unlock()
		if !low {
			return
		}
		until = windowReset(h, now, l.opts.Backoff)
	}
	if !l.block(prefix, until) || l.opts.Shared == nil {
		return
	}
	ctx := context.Background()
	if resp.Request != nil {
		ctx = context.WithoutCancel(resp.Request.Context())
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := l.opts.Shared.Block(ctx, prefix, until); err != nil {
		l.sharedError(fmt.Errorf("share rate-limit block for %s: %w", prefix, err))
	}
}

// consultShared applies a pause recorded by another replica; blocked reports
// whether it moved the local pause. Only ctx errors are returned.
func (l *Limiter) consultShared(ctx context.Context, prefix string) (blocked bool, err error) {
	if l.opts.Shared == nil || !l.sharedDue(prefix) {
		return false, nil
	}
	until, err := l.opts.Shared.BlockedUntil(ctx, prefix)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("wait for rate limit: %w", ctx.Err())
		}
		l.sharedError(fmt.Errorf("read shared rate-limit block for %s: %w", prefix, err))
		return false, nil
	}
	if !until.After(l.opts.Clock.Now()) {
		return false, nil
	}
	return l.block(prefix, until), nil
}

// sharedDue reports whether the shared gate is to be read for the retailer
// now (see SharedEvery), and if so counts it read.
func (l *Limiter) sharedDue(prefix string) bool {
	if l.opts.SharedEvery <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, now := l.bucket(prefix), l.opts.Clock.Now()
	if !b.sharedAt.IsZero() && now.Sub(b.sharedAt) < l.opts.SharedEvery {
		return false
	}
	b.sharedAt = now
	return true
}

func (l *Limiter) sharedError(err error) {
	if l.opts.OnSharedError != nil {
		l.opts.OnSharedError(err)
	}
}

// block pauses the retailer until until; it reports whether that moved the
// pause later. The bucket restarts from a single token at until so that
// queued waiters resume at the bucket rate.
func (l *Limiter) block(prefix string, until time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(prefix)
	if !until.After(b.blockedUntil) {
		return false
	}
	b.blockedUntil = until
	b.tokens = 1
	b.last = until
	b.gen++
	return true
}

// promiseGrace is how long past its return time a promise of Later stands:
// a caller not back by then (its process stopped, or another replica took
// its work) no longer holds back the callers behind it.
const promiseGrace = 30 * time.Second

// Later tells a background caller about to start on key (an order, say)
// whether to wait for its turn now or to come back later, before it calls
// the retailer at all: zero when the next turn starts within maxWait and no
// caller told to come back earlier is still expected, else how long to come
// back after. The callers it turns away are promised returns one turn
// apart in the order they asked, and one back for its promise goes ahead of
// those that never asked. So a backlog of more than maxWait's worth of
// turns waits in order as promises, not as blocked callers (each a job
// holding a worker, which other work would wait behind). A caller Later
// lets through gets that turn reserved in the returned context, which its
// first Wait on the retailer takes (Release gives it back if it makes no
// call): callers let through together queue one behind the other, and each
// waits at most maxWait for its first call.
func (l *Limiter) Later(ctx context.Context, prefix, key string, maxWait time.Duration) (context.Context, time.Duration) {
	wait, at, gen := l.later(prefix, key, maxWait)
	if wait > 0 {
		return ctx, wait
	}
	return context.WithValue(ctx, heldTurnKey{}, &heldTurn{prefix: prefix, at: at, gen: gen}), 0
}

// Release gives back the turn Later reserved in ctx, unless a Wait took
// it.
func (l *Limiter) Release(ctx context.Context) {
	if h, _ := ctx.Value(heldTurnKey{}).(*heldTurn); h != nil && h.taken.CompareAndSwap(false, true) {
		l.unreserve(h.prefix, h.gen)
	}
}

// heldTurn is a turn Later reserved for a caller it let through.
type heldTurn struct {
	prefix string
	at     time.Time
	gen    int
	taken  atomic.Bool
}

type heldTurnKey struct{}

// takeHeld takes the turn Later reserved in ctx for prefix, once.
func takeHeld(ctx context.Context, prefix string) (*heldTurn, bool) {
	h, _ := ctx.Value(heldTurnKey{}).(*heldTurn)
	if h == nil || h.prefix != prefix || !h.taken.CompareAndSwap(false, true) {
		return nil, false
	}
	return h, true
}

// later is Later's decision: how long the caller is to come back after,
// or zero with the turn it reserved for it.
func (l *Limiter) later(prefix, key string, maxWait time.Duration) (time.Duration, time.Time, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(prefix)
	now := l.opts.Clock.Now()
	_, returning := b.promised[key]
	delete(b.promised, key)
	for k, back := range b.promised {
		if now.Sub(back) > promiseGrace {
			delete(b.promised, k)
		}
	}
	next := b.nextTurn(now)
	if next.Sub(now) <= maxWait && (returning || len(b.promised) == 0) {
		b.tokens--
		return 0, next, b.gen
	}
	turn := next
	if !returning {
		// Behind the last caller promised a turn; one back for its promise
		// keeps its place instead.
		if after := b.lastPromised.Add(time.Duration(float64(time.Second) / b.rate)); after.After(turn) {
			turn = after
		}
		b.lastPromised = turn
	}
	// Back while its turn is still maxWait away, so that coming back late
	// (a job queue's scheduler runs every few seconds) leaves no turn
	// unused.
	wait := max(turn.Sub(now)-maxWait, time.Second)
	if b.promised == nil {
		b.promised = map[string]time.Time{}
	}
	b.promised[key] = now.Add(wait)
	return wait, time.Time{}, 0
}

// reserve takes the next turn and returns when it starts.
func (l *Limiter) reserve(prefix string) (time.Time, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(prefix)
	at := b.nextTurn(l.opts.Clock.Now())
	b.tokens--
	return at, b.gen
}

// unreserve gives back a turn a canceled waiter will not use, unless a pause
// has reset the bucket since.
func (l *Limiter) unreserve(prefix string, gen int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.bucket(prefix); b.gen == gen {
		b.tokens = min(b.tokens+1, b.burst)
	}
}

func (l *Limiter) generation(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucket(prefix).gen
}

// bucket returns the retailer's bucket, creating a full one-register bucket.
// l.mu must be held.
func (l *Limiter) bucket(prefix string) *bucket {
	b, ok := l.buckets[prefix]
	if !ok {
		b = &bucket{}
		b.setBudget(budgetPerRegister+budgetBase, l.opts, l.opts.Clock.Now())
		b.tokens = b.burst
		l.buckets[prefix] = b
	}
	return b
}

// nextTurn is when a turn reserved now would start.
func (b *bucket) nextTurn(now time.Time) time.Time {
	t := now
	if b.blockedUntil.After(t) {
		t = b.blockedUntil
	}
	b.advance(t)
	if b.last.After(t) {
		t = b.last
	}
	if b.tokens >= 1 {
		return t
	}
	return t.Add(time.Duration((1 - b.tokens) / b.rate * float64(time.Second)))
}

// setBudget spreads budget over the window: burst tokens at once, the rest
// refilled evenly, so that burst + refill over any window equals the budget.
func (b *bucket) setBudget(budget float64, opts LimiterOptions, now time.Time) {
	if budget == b.budget {
		return
	}
	b.advance(now)
	oldBurst := b.burst
	b.budget = budget
	b.burst = max(1, math.Floor(budget*opts.Burst))
	b.rate = max(budget-b.burst, 1) / opts.Window.Seconds()
	// A bigger bucket starts with its extra room; a smaller one is cut down.
	b.tokens = min(b.tokens+max(b.burst-oldBurst, 0), b.burst)
}

// advance refills the bucket up to time t.
func (b *bucket) advance(t time.Time) {
	if b.last.IsZero() {
		b.last = t
		return
	}
	if !t.After(b.last) {
		return
	}
	b.tokens = min(b.burst, b.tokens+t.Sub(b.last).Seconds()*b.rate)
	b.last = t
}

// left is what Lightspeed last said remains of the window, or +Inf when it
// has not said so within one window.
func (b *bucket) left(now time.Time, window time.Duration) float64 {
	if b.remainingAt.IsZero() || now.Sub(b.remainingAt) >= window {
		return math.Inf(1)
	}
	return float64(b.remaining)
}

// clamp lowers the bucket to what Lightspeed says is left.
func (b *bucket) clamp(left float64, now time.Time) {
	b.advance(now)
	b.tokens = min(b.tokens, left)
}

// retryAfter reads Retry-After (an HTTP date, as Lightspeed sends it, or
// delta seconds) into a local time. A date is taken relative to the
// response's Date header when present, so clock skew between Lightspeed and
// us does not stretch or cut the pause. Absent or unparsable: now+fallback.
func retryAfter(h http.Header, now time.Time, fallback time.Duration) time.Time {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return now.Add(time.Duration(min(secs, 86400)) * time.Second)
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return now.Add(fallback)
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		return now.Add(max(at.Sub(date), 0))
	}
	return at
}

// windowReset returns when a drained window refills: Retry-After if given,
// else X-RateLimit-Reset (epoch seconds, or delta seconds when small), else
// now+fallback. A reset already past is unusable and falls back too.
func windowReset(h http.Header, now time.Time, fallback time.Duration) time.Time {
	if h.Get("Retry-After") != "" {
		return retryAfter(h, now, fallback)
	}
	reset, ok := headerInt(h, "X-RateLimit-Reset")
	switch {
	case !ok || reset <= 0:
	case reset < 1_000_000_000:
		return now.Add(time.Duration(reset) * time.Second)
	case time.Unix(reset, 0).After(now):
		return time.Unix(reset, 0)
	}
	return now.Add(fallback)
}

func headerInt(h http.Header, key string) (int64, bool) {
	v := strings.TrimSpace(h.Get(key))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}
