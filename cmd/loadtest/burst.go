package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
	"github.com/leafly/lightspeed-orders/internal/wait"
)

// The orders-burst scenario: how fast a burst of orders reaches Lightspeed
// as sales under its rate limit, and how long an order takes from
// submitOrder to CONFIRMED once the limit is out of the way.

const (
	// realLimit is a one-register retailer's limit, 300 × 1 + 50 requests
	// per limitWindow (the demo retailer has two registers, hence 650).
	realLimit   = 350
	limitWindow = 5 * time.Minute
	// burstSettle is how long after the first submit the real-limit run's
	// sustained rate starts being measured. The server's limiter lets a
	// tenth of the budget out at once and refills the rest evenly over the
	// window, so a short run that counted the first burst would report more
	// than the limit allows for long.
	burstSettle = 30 * time.Second
	// minSustained is the fewest orders a sustained rate is computed from.
	minSustained = 10
)

// salesFeedRoute is the sandbox's route of the sales feed's reads.
const salesFeedRoute = "GET /sales"

// burstConfig is what the orders-burst flags set.
type burstConfig struct {
	real        int
	raised      int
	raisedLimit int
	clients     int
	shoppers    int
}

func (c *burstConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.real, "burst-real", 150, "orders-burst: orders sent against the real limit (350 requests per 5 minutes)")
	fs.IntVar(&c.raised, "burst-raised", 500, "orders-burst: orders sent with the limit raised to -burst-raised-limit")
	fs.IntVar(&c.raisedLimit, "burst-raised-limit", 100_000, "orders-burst: the raised limit, requests per 5 minutes")
	fs.IntVar(&c.clients, "burst-clients", 16, "orders-burst: concurrent clients submitting orders")
	fs.IntVar(&c.shoppers, "burst-shoppers", 5, "orders-burst: distinct shopper emails the orders cycle through")
}

func (c burstConfig) check() error {
	if c.real < 1 || c.raised < 1 || c.raisedLimit < 1 || c.clients < 1 || c.shoppers < 1 {
		return fmt.Errorf("-burst-real, -burst-raised, -burst-raised-limit, -burst-clients and -burst-shoppers must be at least 1")
	}
	return nil
}

// burstRun is one of the scenario's two measurements.
type burstRun struct {
	name      string // "real" or "raised"
	orders    int
	limit     int  // requests per limitWindow
	sustained bool // measure the sustained rate against the limit
}

// ordersBurst runs the real-limit and the raised-limit measurements, each
// on a freshly started server (and so a fresh sandbox).
func (b *bench) ordersBurst(ctx context.Context) ([]result, error) {
	c := b.cfg.burst
	runs := []burstRun{
		{name: "real", orders: c.real, limit: realLimit, sustained: true},
		{name: "raised", orders: c.raised, limit: c.raisedLimit},
	}
	var rs []result
	for _, run := range runs {
		fmt.Fprintf(b.out, "  -- %s limit: %s requests per %s, %s\n", run.name, count(run.limit), limitWindow, plural(run.orders, "order"))
		r, err := b.burst(ctx, run)
		if err != nil {
			return rs, fmt.Errorf("%s limit: %w", run.name, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// burstSnapshot is the state of the server and its sandbox at one moment.
type burstSnapshot struct {
	at      time.Duration // since the listener's base
	sandbox drive.Stats
	metrics map[string]float64
	cpu     cpuSample
}

func (b *bench) snapshot(ctx context.Context, srv *serverProcess, base time.Time) (burstSnapshot, error) {
	s := burstSnapshot{at: time.Since(base), cpu: sampleCPU(srv)}
	var err error
	if s.sandbox, err = srv.sandbox().Stats(ctx); err != nil {
		return s, err
	}
	s.metrics, err = srv.metrics(ctx)
	return s, err
}

// burst sets up a store on the sandbox, submits run.orders orders from
// -burst-clients clients and times each from just before its submitOrder
// to its CONFIRMED event on an orderStatusChanged subscription.
func (b *bench) burst(ctx context.Context, run burstRun) (result, error) {
	srv, st, err := b.sandboxStore(ctx, "orders-burst-"+run.name, run.limit)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	sb := srv.sandbox()
	setup, err := sb.Stats(ctx)
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(b.out, "  store connected by OAuth, menu synced (%d items), integration enabled: %d Lightspeed calls\n", len(st.Menu), setup.Total)

	prefix := fmt.Sprintf("BURST-%s-%d", strings.ToUpper(run.name), time.Now().UnixNano())
	ids := make([]string, run.orders)
	l := &listener{steps: map[string]int{}, base: time.Now()}
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
		l.steps[ids[i]+"/"+string(domain.StatusConfirmed)] = i
	}
	sub, err := b.watchStore(ctx, srv, st.ID, l)
	if err != nil {
		return result{}, err
	}
	subscribed := []*subscriber{sub}
	defer func() { disconnect(subscribed, time.Second) }()

	// A fresh window, and the limiter's bucket back to full as after an
	// idle spell: what the set-up took comes back at the refill rate.
	if err := sb.SetRateLimit(ctx, run.limit, limitWindow); err != nil {
		return result{}, err
	}
	if run.sustained && canSustain(run) {
		if wait := refillTime(setup.Total, run.limit); wait > 0 {
			fmt.Fprintf(b.out, "  letting the server's limiter refill for %s\n", wait.Round(100*time.Millisecond))
			time.Sleep(wait)
		}
	}
	before, err := b.snapshot(ctx, srv, l.base)
	if err != nil {
		return result{}, err
	}
	stopPerf, err := b.perf(srv, "orders-burst-"+run.name)
	if err != nil {
		return result{}, err
	}

	fmt.Fprintf(b.out, "  submitting %s from %d clients\n", plural(run.orders, "order"), b.cfg.burst.clients)
	submit := &submission{}
	done := make(chan struct{})
	go func() { defer close(done); b.submitOrders(ctx, srv, st, ids, l.base, submit) }()
	mid, end, err := b.awaitConfirmed(ctx, srv, run, l, before, done, submit)
	perfErr := stopPerf()
	if err != nil || perfErr != nil {
		return result{}, firstError(err, perfErr)
	}
	_, sales, err := sb.Sales(ctx, "")
	if err != nil {
		return result{}, err
	}
	disconnect(subscribed, 5*time.Second)
	subscribed = nil
	r := b.burstResult(run, ids, submit, sub, before, mid, end, sales)
	return r, b.stopAndRetire(ctx, srv, st)
}

// lastJob returns the id of the newest job in the run's database (0 before
// the first server has created its tables).
func (b *bench) lastJob(ctx context.Context) (int64, error) {
	if b.store == nil {
		return 0, nil
	}
	var id int64
	if err := b.store.SQL().QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM river_job").Scan(&id); err != nil {
		return 0, fmt.Errorf("read the newest job: %w", err)
	}
	return id, nil
}

// awaitStartupJobs waits, as the server's own tests do, until the server's
// start-up work is done: its first menu sync of every store (the periodic
// job runs on start, once a leader is elected) and the reconciliation,
// with nothing left in the queue. Otherwise they would run during the
// burst, and the reconciliation of a store that has just made sales is
// not what a burst at any other moment meets.
func (b *bench) awaitStartupJobs(ctx context.Context, after int64) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var synced, pending int
		err := b.store.SQL().QueryRowContext(ctx, fmt.Sprintf(`SELECT
			(SELECT count(*) FROM river_job WHERE id > %d AND kind = 'menu_sync_all' AND state = 'completed'),
			(SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded'))`, after)).Scan(&synced, &pending)
		if err != nil {
			return fmt.Errorf("read the job queue: %w", err)
		}
		if synced > 0 && pending == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server's start-up jobs did not finish within a minute (%d start-up menu syncs done, %d jobs pending)", synced, pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// limiterShape is how the server's limiter (sync/ratelimit.go) spends a
// budget of limit requests per window: a tenth at once, the rest refilled
// evenly over the window, per second.
func limiterShape(limit int) (burst, rate float64) {
	burst = max(1, math.Floor(float64(limit)/10))
	return burst, max(float64(limit)-burst, 1) / limitWindow.Seconds()
}

// stopAndRetire stops the server, warning if it did not end cleanly, and
// retires the store it served.
func (b *bench) stopAndRetire(ctx context.Context, srv *serverProcess, st drive.Store) error {
	if err := srv.stop(); err != nil {
		fmt.Fprintf(b.out, "  warning: %v\n", err)
	}
	return b.retire(ctx, st)
}

// retire makes sure that no later server of the run calls Lightspeed for
// the store, once its server has stopped: a later server has a sandbox of
// its own, which does not know the store, and its start-up menu sync,
// reconciliation, the jobs this server left unfinished and the sends it
// was making right after commit (which a later server hands to its queue)
// would spend that sandbox's budget on it. Storage is written directly: no
// mutation turns the menu sync off, and no API drops jobs.
func (b *bench) retire(ctx context.Context, st drive.Store) error {
	_, _, err := b.store.UpdateStore(ctx, st.ID, func(s *domain.Store) error {
		s.Integration.Enabled, s.Integration.MenuSync.Enabled = false, false
		return nil
	})
	if err != nil {
		return fmt.Errorf("retire store %s: %w", st.ID, err)
	}
	_, err = b.store.SQL().ExecContext(ctx, "DELETE FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')")
	if err != nil {
		return fmt.Errorf("drop the jobs the server left unfinished: %w", err)
	}
	// A server older than migration 18 (-server-bin) names no senders.
	var senders int
	if err = b.store.SQL().QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = 18").Scan(&senders); err != nil {
		return fmt.Errorf("read the schema's version: %w", err)
	}
	if senders == 0 {
		return nil
	}
	if _, err = b.store.SQL().ExecContext(ctx, "UPDATE orders SET pos_sender = NULL WHERE pos_sender IS NOT NULL"); err != nil {
		return fmt.Errorf("drop the sends the server left unfinished: %w", err)
	}
	return nil
}

// refillTime is how long the server's limiter takes to win back calls
// requests.
func refillTime(calls, limit int) time.Duration {
	burst, rate := limiterShape(limit)
	return time.Duration(min(float64(calls), burst) / rate * float64(time.Second))
}

// canSustain reports whether the run's orders, at one call each, outlast
// the limiter's burst and burstSettle of refill: whether the run can
// measure a sustained rate (a shorter one need not wait for the refill).
func canSustain(run burstRun) bool {
	burst, rate := limiterShape(run.limit)
	return float64(run.orders) > burst+rate*burstSettle.Seconds()
}

// watchStore subscribes to the store's orderStatusChanged over
// graphql-transport-ws and waits until the server counts the subscription.
func (b *bench) watchStore(ctx context.Context, srv *serverProcess, storeID string, l *listener) (*subscriber, error) {
	d := &websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 15 * time.Second}
	url := "ws" + strings.TrimPrefix(srv.url, "http") + "/query"
	s, err := dialSubscriber(ctx, d, url, b.tokens.Mint(domain.RoleStoreStaff, storeID), storeID, statusSubscription)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	go s.read(l)
	if _, err := srv.waitMetric(ctx, "leafly_subscriptions", 30*time.Second, func(v float64) bool { return v == 1 }); err != nil {
		disconnect([]*subscriber{s}, time.Second)
		return nil, err
	}
	return s, nil
}

// submission is what the submitting clients did. sent[i] is when order i's
// submitOrder was sent (since the listener's base), ok[i] whether it was
// accepted; each index is written by one client only, and everything is
// read after the clients are done.
type submission struct {
	sent     []time.Duration
	ok       []bool
	took     latencies
	accepted atomic.Int64
	errors   int
	firstErr error
}

// submitOrders submits the orders from -burst-clients closed-loop clients,
// as fast as the server answers, with a MARKETPLACE token. The shoppers are
// a handful of returning ones, so after each one's first order an order
// costs Lightspeed one call: the sale.
func (b *bench) submitOrders(ctx context.Context, srv *serverProcess, st drive.Store, ids []string, base time.Time, s *submission) {
	clients := b.cfg.burst.clients
	gql := srv.client(b.tokens.Mint(domain.RoleMarketplace), clients)
	s.sent, s.ok = make([]time.Duration, len(ids)), make([]bool, len(ids))
	var next atomic.Int64
	type client struct {
		took     latencies
		errors   int
		firstErr error
	}
	each := make([]client, clients)
	var wg sync.WaitGroup
	for c := range each {
		wg.Go(func() {
			w := &each[c]
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(ids) {
					return
				}
				var data struct{ SubmitOrder struct{ ID, Status string } }
				t := time.Now()
				s.sent[i] = t.Sub(base)
				err := gql.Do(ctx, submitOrderMutation, map[string]any{"input": burstOrder(st, ids[i], i, b.cfg.burst.shoppers)}, &data)
				if err == nil && data.SubmitOrder.Status != string(domain.StatusPending) {
					err = fmt.Errorf("order %s submitted as %q, want PENDING", ids[i], data.SubmitOrder.Status)
				}
				if err != nil {
					w.errors++
					if w.firstErr == nil {
						w.firstErr = fmt.Errorf("submit %s: %w", ids[i], err)
					}
					continue
				}
				w.took = append(w.took, time.Since(t))
				s.ok[i] = true
				s.accepted.Add(1)
			}
		})
	}
	wg.Wait()
	for _, w := range each {
		s.took = append(s.took, w.took...)
		s.errors += w.errors
		if s.firstErr == nil {
			s.firstErr = w.firstErr
		}
	}
}

// burstOrder is the i-th order: a pickup of two menu items by one of the
// returning shoppers.
func burstOrder(st drive.Store, leaflyID string, i, shoppers int) map[string]any {
	shopper := i % shoppers
	a, c := st.Menu[i%len(st.Menu)], st.Menu[(i+1)%len(st.Menu)]
	return map[string]any{
		"storeId": st.ID, "leaflyOrderId": leaflyID, "fulfillmentMethod": "PICKUP", "hasGovernmentId": true,
		"customer": map[string]any{"firstName": "Returning", "lastName": fmt.Sprintf("Shopper %d", shopper),
			"email": fmt.Sprintf("burst.shopper%d@example.com", shopper), "phone": "+15035550123", "dateOfBirth": "1990-12-09"},
		"lines": []any{
			map[string]any{"menuItemId": a.ID, "quantity": 1, "unitPriceCents": a.PriceCents},
			map[string]any{"menuItemId": c.ID, "quantity": 2, "unitPriceCents": c.PriceCents},
		},
	}
}

// awaitConfirmed waits until every accepted order is CONFIRMED, or for
// twice the time the limit needs for the run plus a minute. For a
// sustained run it takes a snapshot burstSettle after the submitting
// started; it returns that (nil if the run ended first) and a snapshot
// taken at the end.
func (b *bench) awaitConfirmed(ctx context.Context, srv *serverProcess, run burstRun, l *listener, before burstSnapshot,
	submitted <-chan struct{}, s *submission) (*burstSnapshot, burstSnapshot, error) {
	started := before.at
	perSecond := 0.9 * float64(run.limit) / limitWindow.Seconds()
	deadline := time.Now().Add(2*time.Duration(float64(run.orders)/perSecond*float64(time.Second)) + time.Minute)
	var mid *burstSnapshot
	done, lastReport := false, time.Now()
	for {
		select {
		case <-submitted:
			done = true
		default:
		}
		confirmed := l.delivered.Load()
		if done && confirmed >= s.accepted.Load() {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fmt.Fprintf(b.out, "  gave up waiting: %d of %d accepted orders confirmed\n", confirmed, s.accepted.Load())
			break
		}
		if run.sustained && mid == nil && time.Since(l.base) >= started+burstSettle {
			snap, err := b.snapshot(ctx, srv, l.base)
			if err != nil {
				return nil, snap, err
			}
			mid = &snap
		}
		if time.Since(lastReport) >= 15*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(b.out, "  %d/%d orders confirmed after %s\n", confirmed, run.orders, (time.Since(l.base) - started).Round(time.Second))
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-submitted
	// The server publishes CONFIRMED just before it counts the order's
	// calls: give the last orders' counts a moment to land.
	want := before.metrics["leafly_lightspeed_calls_per_order_count"] + float64(l.delivered.Load())
	_, _ = srv.waitMetric(ctx, "leafly_lightspeed_calls_per_order_count", 2*time.Second, func(v float64) bool { return v >= want })
	if err := b.settle(ctx, srv); err != nil {
		return mid, burstSnapshot{}, err
	}
	end, err := b.snapshot(ctx, srv, l.base)
	return mid, end, err
}

// Settling after the last CONFIRMED: an order's work goes on after it (the
// webhook Lightspeed sends for its sale, the notifications sent after
// commit), and the CPU per order counts it, whenever it ends.
const (
	// settleStep is how often settle looks; quietCores is the server's
	// CPU over a step below which it counts as quiet.
	settleStep = 250 * time.Millisecond
	quietCores = 0.1
	// settleLimit bounds the wait.
	settleLimit = 15 * time.Second
)

// settle waits until the server has been quiet for two steps in a row with
// no webhook attempt by the sandbox in between, or settleLimit.
func (b *bench) settle(ctx context.Context, srv *serverProcess) error {
	prev, quiet := sampleCPU(srv), 0
	attempts := -1
	for deadline := time.Now().Add(settleLimit); quiet < 2 && time.Now().Before(deadline); {
		if !wait.Sleep(ctx, settleStep) {
			return ctx.Err()
		}
		st, err := srv.sandbox().Stats(ctx)
		if err != nil {
			return err
		}
		now := sampleCPU(srv)
		if now.since(prev).Server < quietCores && st.Webhooks.Attempts == attempts {
			quiet++
		} else {
			quiet = 0
		}
		prev, attempts = now, st.Webhooks.Attempts
	}
	return nil
}

// burstResult turns the run into the report's row.
func (b *bench) burstResult(run burstRun, ids []string, s *submission, sub *subscriber, before burstSnapshot, mid *burstSnapshot,
	end burstSnapshot, sales map[string]int) result {
	n := len(ids)
	confirmedAt := make([]time.Duration, n)
	got := make([]bool, n)
	duplicates := 0
	for _, d := range sub.got {
		if got[d.step] {
			duplicates++
			continue
		}
		got[d.step], confirmedAt[d.step] = true, d.at
	}
	var lat latencies
	var confirmed []time.Duration
	first := time.Duration(math.MaxInt64)
	for i := range ids {
		if s.ok[i] {
			first = min(first, s.sent[i])
		}
		if got[i] {
			confirmed = append(confirmed, confirmedAt[i])
			if s.ok[i] {
				lat = append(lat, confirmedAt[i]-s.sent[i])
			}
		}
	}
	sort.Slice(confirmed, func(i, j int) bool { return confirmed[i] < confirmed[j] })
	notConfirmed := int(s.accepted.Load()) - len(confirmed)
	oneSale, noSale, severalSales := 0, 0, 0
	for _, id := range ids {
		switch sales[id] {
		case 0:
			noSale++
		case 1:
			oneSale++
		default:
			severalSales++
		}
	}
	errs := s.errors + max(notConfirmed, 0) + duplicates + severalSales
	var firstErr error = s.firstErr
	if firstErr == nil && notConfirmed > 0 {
		firstErr = fmt.Errorf("%d accepted orders never reached CONFIRMED", notConfirmed)
	}
	if firstErr == nil && sub.err != nil {
		firstErr = fmt.Errorf("subscription: %w", sub.err)
	}
	perMinute := float64(run.limit) / limitWindow.Minutes()
	load := fmt.Sprintf("%s limit %s/5 min, %s, %d clients, %d shoppers", run.name, count(run.limit), plural(n, "order"),
		b.cfg.burst.clients, b.cfg.burst.shoppers)
	r := newResult("orders-burst", b.cfg.db, load, window{lat: lat, errors: errs, firstErr: firstErr})
	r.CPU = end.cpu.since(before.cpu)
	r.Values = map[string]float64{"orders": float64(n), "accepted": float64(s.accepted.Load()), "confirmed": float64(len(confirmed)),
		"limit": float64(run.limit), "windowSeconds": limitWindow.Seconds()}

	// The whole run, from the first submit to the last CONFIRMED.
	var elapsed time.Duration
	if len(confirmed) > 0 {
		elapsed = confirmed[len(confirmed)-1] - first
	}
	histCPO, histOrders := callsPerOrder(before.metrics, end.metrics)
	calls := callsSince(end.sandbox, before.sandbox)
	rejected := calls.RateLimited
	server429 := lightspeedCalls(end.metrics, `status="429"`) - lightspeedCalls(before.metrics, `status="429"`)
	r.Throughput = 0
	if elapsed > 0 {
		rate := float64(len(confirmed)) / elapsed.Minutes()
		r.Values["ordersPerMinute"] = rate
		if !run.sustained {
			r.Throughput = float64(len(confirmed)) / elapsed.Seconds()
		}
		line := fmt.Sprintf("whole run: %s CONFIRMED %s after the first submit, %.1f orders/min", count(len(confirmed)),
			elapsed.Round(100*time.Millisecond), rate)
		if histCPO > 0 {
			ceiling := perMinute / histCPO
			r.Values["ceilingOrdersPerMinute"], r.Values["ceilingPercent"] = ceiling, 100*rate/ceiling
			line += fmt.Sprintf(" = %.1f%% of the ceiling %.1f (%s requests/5 min ÷ %.2f calls per order)", 100*rate/ceiling, ceiling, count(run.limit), histCPO)
			if run.sustained {
				line += "; the limiter's first burst (a tenth of the budget) inflates a run this short"
			}
		}
		r.Detail = append([]string{line}, r.Detail...)
	}
	r.Values["callsPerOrderHistogram"], r.Values["callsPerOrderSandbox"] = histCPO, ratio(calls.Total, len(confirmed))
	r.detail("calls per order: %.3f by leafly_lightspeed_calls_per_order (%.0f orders), %.3f by the sandbox (%s calls: %s)",
		histCPO, histOrders, ratio(calls.Total, len(confirmed)), count(calls.Total), routes(calls.Requests))
	r.Values["rateLimited"], r.Values["server429"] = float64(rejected), server429
	r.detail("429s answered by the sandbox: %d (the server saw %.0f)", rejected, server429)

	// The sustained rate: from burstSettle after the first submit to the
	// last CONFIRMED, against what the limit allows at the calls per order
	// of that same span, less what the sales feed's reads (the periodic
	// reconciliation, LIGHTSPEED_RECONCILE_INTERVAL) took of it.
	sustainedMeasured := false
	if run.sustained && mid != nil && len(confirmed) > 0 {
		last := confirmed[len(confirmed)-1]
		k := sort.Search(len(confirmed), func(i int) bool { return confirmed[i] > mid.at })
		orders, span := len(confirmed)-k, last-mid.at
		cpo, _ := callsPerOrder(mid.metrics, end.metrics)
		midCalls := callsSince(end.sandbox, mid.sandbox)
		if orders >= minSustained && span > 0 && cpo > 0 {
			sustainedMeasured = true
			rate := float64(orders) / span.Minutes()
			feedRate := float64(midCalls.Requests[salesFeedRoute]) / (end.at - mid.at).Minutes()
			ceiling := (perMinute - feedRate) / cpo
			callRate := float64(midCalls.Total) / (end.at - mid.at).Minutes()
			r.Values["sustainedOrdersPerMinute"], r.Values["sustainedCeilingOrdersPerMinute"] = rate, ceiling
			r.Values["sustainedPercent"], r.Values["sustainedCallsPerMinute"] = 100*rate/ceiling, callRate
			r.Values["sustainedCallsPerOrderSandbox"] = ratio(midCalls.Total, orders)
			r.Detail = append([]string{fmt.Sprintf("sustained, %s after the first submit to the last CONFIRMED (%s, %s): %.1f orders/min"+
				" = %.1f%% of the ceiling %.1f ((%s requests/5 min − %.1f/min of the sales feed's reads) ÷ %.3f calls per order); the sandbox"+
				" saw %.1f calls/min = %.1f%% of the limit (%s calls: %s)",
				burstSettle, span.Round(100*time.Millisecond), plural(orders, "order"), rate, 100*rate/ceiling, ceiling, count(run.limit), feedRate,
				cpo, callRate, 100*callRate/perMinute, count(midCalls.Total), routes(midCalls.Requests))}, r.Detail...)
			r.goal("≥ 90% of the ceiling, sustained", rate >= 0.9*ceiling)
		}
	}
	if run.sustained {
		r.detail("p50/p99/max are submit → CONFIRMED, which under the limit is mostly each order's wait for its turn")
	}
	if run.sustained && !sustainedMeasured {
		r.detail("too short for a sustained rate: fewer than %d orders CONFIRMED later than %s after the first submit", minSustained, burstSettle)
	}
	r.Values["salesExactlyOne"], r.Values["salesNone"], r.Values["salesSeveral"] = float64(oneSale), float64(noSale), float64(severalSales)
	r.detail("sales per order: %d of %d exactly one (%d none, %d several)", oneSale, n, noSale, severalSales)
	m := s.took.summary()
	r.Values["submitP50Ms"], r.Values["submitP99Ms"] = ms(m.P50), ms(m.P99)
	r.detail("submitOrder round trip p50 %.2f ms, p99 %.2f ms", ms(m.P50), ms(m.P99))
	if len(confirmed) > 0 && r.CPU.Seconds > 0 {
		r.detail("%s", r.CPU.perOp(len(confirmed), "order"))
	}
	if duplicates > 0 || sub.unexpected != int(s.accepted.Load()) {
		r.detail("%d duplicate CONFIRMED events, %d other events (want one PENDING per order)", duplicates, sub.unexpected)
	}
	if !run.sustained {
		r.goal("p99 ≤ 250 ms", r.P99 <= 250 && notConfirmed == 0)
	}
	r.goal("0 429s", rejected == 0)
	r.goal("one sale per order", oneSale == n)
	return r
}

// callsPerOrder is the mean of leafly_lightspeed_calls_per_order between
// two readings of /metrics, and how many orders it covers.
func callsPerOrder(before, after map[string]float64) (float64, float64) {
	const name = "leafly_lightspeed_calls_per_order"
	orders := after[name+"_count"] - before[name+"_count"]
	if orders <= 0 {
		return 0, 0
	}
	return (after[name+"_sum"] - before[name+"_sum"]) / orders, orders
}

// lightspeedCalls counts the server's calls to Lightspeed whose labels
// contain match (all of them when match is empty).
func lightspeedCalls(m map[string]float64, match string) float64 {
	const prefix = "leafly_lightspeed_call_duration_seconds_count{"
	n := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) && strings.Contains(k, match) {
			n += v
		}
	}
	return n
}

// routes lists request counts by route, most first: "POST /sales 150, …".
func routes(byRoute map[string]int) string {
	type route struct {
		name string
		n    int
	}
	var list []route
	for k, n := range byRoute {
		list = append(list, route{k, n})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].name < list[j].name
	})
	parts := make([]string, len(list))
	for i, r := range list {
		parts[i] = fmt.Sprintf("%s %d", r.name, r.n)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
