package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

// The webhook scenario: how long a status change made in Lightspeed takes
// to reach the store's subscribers. The path is the one a real change
// takes: the sandbox's staff action (what staff do in Lightspeed's UI)
// changes the sale and sends the signed sale.update webhook to the store's
// webhook URL; the server checks the signature, keeps the event and queues
// an apply_sale job; the job re-reads the sale (and, while it is pending,
// its fulfillments) from the sandbox, moves the order and publishes the
// change to orderStatusChanged.

// webhookConfig is what the webhook flags set.
type webhookConfig struct {
	orders      int
	subscribers int
	interval    time.Duration
}

func (c *webhookConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.orders, "webhook-orders", 50, "webhook: orders made sales, then packed and closed by staff (two webhooks each)")
	fs.IntVar(&c.subscribers, "webhook-subscribers", 1, "webhook: orderStatusChanged subscribers of the store")
	fs.DurationVar(&c.interval, "webhook-interval", 100*time.Millisecond, "webhook: time between staff actions")
}

func (c webhookConfig) check() error {
	if c.orders < 1 || c.subscribers < 1 || c.interval < 0 {
		return fmt.Errorf("-webhook-orders and -webhook-subscribers must be at least 1, -webhook-interval not negative")
	}
	return nil
}

// webhookLimit is the sandbox's rate limit during the scenario, requests
// per limitWindow: high enough that the server's limiter never makes a
// job wait, which would be the limit's latency, not the webhook's.
const webhookLimit = 100_000

// staffAction is what staff do to a sale in Lightspeed, and the status its
// webhook moves the order to.
type staffAction struct {
	name   string
	status domain.Status
}

var staffActions = []staffAction{{"pack", domain.StatusReady}, {"close", domain.StatusPickedUp}}

// webhookLatency sets up a store on the sandbox, makes -webhook-orders
// orders sales (PENDING, then CONFIRMED), and then, -webhook-interval
// apart, packs every sale (the webhook moves its order to READY) and then
// closes every sale (PICKED_UP). Each delivery is timed from just before
// its staff action to the subscriber's receipt of the event.
func (b *bench) webhookLatency(ctx context.Context) (result, error) {
	c := b.cfg.webhook
	srv, st, err := b.sandboxStore(ctx, "webhook", webhookLimit)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	sb := srv.sandbox()
	fmt.Fprintf(b.out, "  store connected by OAuth, menu synced (%d items), integration enabled\n", len(st.Menu))

	// Step i*4+k is order i's k-th status of lifecycle: PENDING and
	// CONFIRMED come from the set-up, READY and PICKED_UP from webhooks.
	steps := planSteps(c.orders*len(lifecycle), fmt.Sprintf("HOOK-%d", time.Now().UnixNano()))
	l := &listener{steps: map[string]int{}, base: time.Now()}
	for i, s := range steps {
		l.steps[s.leaflyID+"/"+string(s.status)] = i
	}
	subs, err := b.subscribe(ctx, srv, fixture{StoreID: st.ID}, statusSubscription, c.subscribers, l)
	if err != nil {
		return result{}, err
	}
	subscribed := subs
	defer func() { disconnect(subscribed, time.Second) }()

	sales, err := b.makeSales(ctx, srv, st, steps, l)
	if err != nil {
		return result{}, err
	}
	before, err := b.snapshot(ctx, srv, l.base)
	if err != nil {
		return result{}, err
	}
	stopPerf, err := b.perf(srv, "webhook")
	if err != nil {
		return result{}, err
	}
	sent := make([]time.Duration, len(steps))
	var took latencies
	actionErrs, delivered := 0, l.delivered.Load()
	var firstErr error
	for k, act := range staffActions {
		fmt.Fprintf(b.out, "  %s: %s, %s apart\n", act.name, plural(c.orders, "sale"), c.interval)
		start := time.Now()
		for i := range c.orders {
			time.Sleep(time.Until(start.Add(time.Duration(i) * c.interval)))
			step := i*len(lifecycle) + 2 + k
			t := time.Now()
			sent[step] = t.Sub(l.base)
			if _, err := sb.StaffAction(ctx, sales[i], act.name); err != nil {
				actionErrs++
				if firstErr == nil {
					firstErr = fmt.Errorf("staff %s of order %s: %w", act.name, steps[step].leaflyID, err)
				}
				continue
			}
			took = append(took, time.Since(t))
		}
		delivered += int64(c.subscribers * c.orders)
		l.await(delivered, 30*time.Second)
	}
	answered := awaitWebhooks(ctx, srv, sumPrefix(before.metrics, webhooksMetric)+float64(c.orders*len(staffActions)), 10*time.Second)
	perfErr := stopPerf()
	after, err := b.snapshot(ctx, srv, l.base)
	if err != nil || perfErr != nil || answered != nil {
		return result{}, firstError(err, perfErr, answered)
	}
	disconnect(subs, 5*time.Second)
	subscribed = nil
	r := b.webhookResult(subs, steps, sent, took, actionErrs, firstErr, before, after)
	return r, b.stopAndRetire(ctx, srv, st)
}

// makeSales submits the orders, as a marketplace would, and waits until
// each is CONFIRMED (its sale made) and the job queue is idle. It returns
// each order's sale id.
func (b *bench) makeSales(ctx context.Context, srv *serverProcess, st drive.Store, steps []step, l *listener) ([]string, error) {
	n := len(steps) / len(lifecycle)
	fmt.Fprintf(b.out, "  submitting %s and waiting for their sales\n", plural(n, "order"))
	gql := srv.client(b.tokens.Mint(domain.RoleMarketplace), 0)
	for i := range n {
		id := steps[i*len(lifecycle)].leaflyID
		if err := gql.Do(ctx, submitOrderMutation, map[string]any{"input": burstOrder(st, id, i, 5)}, nil); err != nil {
			return nil, fmt.Errorf("submit %s: %w", id, err)
		}
	}
	want := int64(b.cfg.webhook.subscribers * n * 2) // PENDING and CONFIRMED
	l.await(want, time.Minute)
	if got := l.delivered.Load(); got < want {
		return nil, fmt.Errorf("%d of %d PENDING and CONFIRMED events after a minute", got, want)
	}
	if err := b.awaitIdleQueue(ctx); err != nil {
		return nil, err
	}
	// The sales' creation webhooks and the orders' notifications may still
	// be under way (the server sends an order right after its commit, with
	// no job to wait for): the staff actions' window starts after them.
	if err := b.settle(ctx, srv); err != nil {
		return nil, err
	}
	all, _, err := srv.sandbox().Sales(ctx, "")
	if err != nil {
		return nil, err
	}
	byOrder := map[string]string{}
	for _, s := range all {
		if s.Source.ID != nil {
			byOrder[*s.Source.ID] = s.ID
		}
	}
	sales := make([]string, n)
	for i := range sales {
		id := steps[i*len(lifecycle)].leaflyID
		if sales[i] = byOrder[id]; sales[i] == "" {
			return nil, fmt.Errorf("order %s has no sale in the sandbox", id)
		}
	}
	return sales, nil
}

// awaitIdleQueue waits until the job queue has nothing left to do.
func (b *bench) awaitIdleQueue(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var pending int
		err := b.store.SQL().QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')").Scan(&pending)
		if err != nil {
			return fmt.Errorf("read the job queue: %w", err)
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d jobs still pending after a minute", pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// webhookResult turns the run into the report's row.
func (b *bench) webhookResult(subs []*subscriber, steps []step, sent []time.Duration, took latencies, actionErrs int, actionErr error,
	before, after burstSnapshot) result {
	c := b.cfg.webhook
	var lat latencies
	byAction := make([]latencies, len(staffActions))
	duplicates := 0
	for _, s := range subs {
		seen := make([]bool, len(steps))
		for _, d := range s.got {
			if seen[d.step] {
				duplicates++
				continue
			}
			seen[d.step] = true
			if k := d.step%len(lifecycle) - 2; k >= 0 && sent[d.step] > 0 {
				lat = append(lat, d.at-sent[d.step])
				byAction[k] = append(byAction[k], d.at-sent[d.step])
			}
		}
	}
	failed, firstErr := failures(subs)
	unexpected := 0
	for _, s := range subs {
		unexpected += s.unexpected
	}
	expected := c.subscribers * c.orders * len(staffActions)
	if actionErr != nil {
		firstErr = actionErr
	}
	load := fmt.Sprintf("%s × %d staff actions (pack, close), %s apart, %s", plural(c.orders, "sale"), len(staffActions), c.interval,
		plural(c.subscribers, "subscriber"))
	r := newResult("webhook", b.cfg.db, load, window{lat: lat, errors: actionErrs + failed + duplicates + unexpected, firstErr: firstErr})
	r.Throughput = 0
	r.CPU = after.cpu.since(before.cpu)
	accepted := after.metrics[`leafly_lightspeed_webhooks_total{outcome="accepted"}`] - before.metrics[`leafly_lightspeed_webhooks_total{outcome="accepted"}`]
	ignored := after.metrics[`leafly_lightspeed_webhooks_total{outcome="ignored"}`] - before.metrics[`leafly_lightspeed_webhooks_total{outcome="ignored"}`]
	refused := sumPrefix(after.metrics, webhooksMetric) - sumPrefix(before.metrics, webhooksMetric) - accepted - ignored
	calls := callsSince(after.sandbox, before.sandbox)
	r.detail("delivered %s/%s (%.2f%%)", count(len(lat)), count(expected), 100*float64(len(lat))/float64(expected))
	for k, act := range staffActions {
		s := byAction[k].summary()
		r.Values[act.name+"P50Ms"], r.Values[act.name+"P99Ms"] = ms(s.P50), ms(s.P99)
		r.detail("%s → %s p50 %.2f ms, p99 %.2f ms, max %.2f ms", act.name, act.status, ms(s.P50), ms(s.P99), ms(s.Max))
	}
	a := took.summary()
	r.detail("staff action round trip p50 %.2f ms, p99 %.2f ms", ms(a.P50), ms(a.P99))
	r.detail("webhooks: %.0f accepted, %.0f ignored (no news), %.0f refused by the server; %d Lightspeed calls to apply them (%s)",
		accepted, ignored, refused, calls.Total, routes(calls.Requests))
	if len(lat) > 0 && r.CPU.Seconds > 0 {
		r.detail("%s", r.CPU.perOp(c.orders*len(staffActions), "webhook"))
	}
	if duplicates+unexpected+failed > 0 {
		r.detail("%d duplicate and %d unexpected events, %d subscribers failed", duplicates, unexpected, failed)
	}
	r.Values["delivered"], r.Values["expected"] = float64(len(lat)), float64(expected)
	r.Values["webhooksAccepted"], r.Values["webhooksIgnored"], r.Values["webhooksRefused"] = accepted, ignored, refused
	r.Values["staffActionP50Ms"], r.Values["staffActionP99Ms"] = ms(a.P50), ms(a.P99)
	r.goal("100% delivered", len(lat) == expected && actionErrs == 0)
	return r
}

// sumPrefix sums the samples whose name (with labels) starts with prefix.
func sumPrefix(m map[string]float64, prefix string) float64 {
	n := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// webhooksMetric prefixes the server's count of webhooks by outcome.
const webhooksMetric = "leafly_lightspeed_webhooks_total{"

// awaitWebhooks waits until the server has counted want webhooks: it
// counts one once its answer is decided, which for a sale applied in the
// request comes after the subscribers already have the change.
func awaitWebhooks(ctx context.Context, srv *serverProcess, want float64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		m, err := srv.metrics(ctx)
		if err == nil && sumPrefix(m, webhooksMetric) >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server counted fewer than %.0f webhooks within %s (last error: %v)", want, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
