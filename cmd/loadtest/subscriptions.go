package main

import (
	"context"
	"fmt"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

const (
	submitOrderMutation = `mutation($input: SubmitOrderInput!) { submitOrder(input: $input) { id status } }`
	setStatusMutation   = `mutation($id: ID!, $status: OrderStatus!) { setOrderStatus(id: $id, status: $status) { id status } }`
)

// step is one planned status change: the order (by Leafly order id) and the
// status it moves to. PENDING means submitting the order.
type step struct {
	leaflyID string
	status   domain.Status
}

// planSteps returns n status changes: orders submitted and moved along
// PENDING, CONFIRMED, READY, PICKED_UP, one change at a time.
func planSteps(n int, prefix string) []step {
	steps := make([]step, n)
	for i := range steps {
		steps[i] = step{fmt.Sprintf("%s-%d", prefix, i/len(lifecycle)), lifecycle[i%len(lifecycle)]}
	}
	return steps
}

// fanoutQueries are the subscriptions the fan-out scenarios measure, by
// scenario: each status change is one event of either.
var fanoutQueries = map[string]string{"fanout": statusSubscription, "fanout-updates": updatesSubscription}

// fanout measures how long a status change takes to reach n subscribers of
// the scenario's subscription.
func (b *bench) fanout(ctx context.Context, scenario string, n int) (result, error) {
	fmt.Fprintf(b.out, "  -- %s\n", plural(n, "subscriber"))
	srv, err := b.startServer(ctx)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	f, err := b.seedStore(ctx, srv, fmt.Sprintf("%s-%d", scenario, n))
	if err != nil {
		return result{}, err
	}
	steps := planSteps(b.cfg.events, fmt.Sprintf("FAN-%d-%d", n, time.Now().UnixNano()))
	l := &listener{steps: map[string]int{}, base: time.Now()}
	for i, s := range steps {
		l.steps[s.leaflyID+"/"+string(s.status)] = i
	}
	subs, err := b.subscribe(ctx, srv, f, fanoutQueries[scenario], n, l)
	if err != nil {
		return result{}, err
	}
	stopPerf, err := b.perf(srv, fmt.Sprintf("%s-%d", scenario, n))
	if err != nil {
		disconnect(subs, time.Second)
		return result{}, err
	}
	before := sampleCPU(srv)
	sent, mutations, err := b.publish(ctx, srv, f, steps, l.base, b.cfg.eventInterval)
	expected := int64(n * len(steps))
	if err == nil {
		l.await(expected, 15*time.Second)
	}
	cpu := sampleCPU(srv).since(before)
	perfErr := stopPerf()
	dropped, _ := srv.metric(ctx, "leafly_subscription_events_dropped_total")
	disconnect(subs, 5*time.Second)
	if err != nil || perfErr != nil {
		return result{}, fmt.Errorf("publish: %w", firstError(err, perfErr))
	}
	r := b.fanoutResult(scenario, n, subs, sent, mutations, expected)
	r.CPU = cpu
	if r.Samples > 0 {
		r.detail("%s", cpu.perOp(r.Samples, "delivery"))
	}
	r.Values["droppedSubscribers"] = dropped
	if dropped > 0 {
		r.detail("%.0f subscribers dropped as slow", dropped)
	}
	return r, nil
}

// publish makes the planned status changes interval apart. It returns when
// each was sent (since base), just before its request, and how long each
// mutation took to answer.
func (b *bench) publish(ctx context.Context, srv *serverProcess, f fixture, steps []step, base time.Time, interval time.Duration) ([]time.Duration, latencies, error) {
	return b.publishVia(ctx, []*serverProcess{srv}, func(int) int { return 0 }, f, steps, base, interval)
}

// publishVia is publish with the mutations spread over several servers:
// step i goes to srvs[via(i)]. took[i] is step i's round trip.
func (b *bench) publishVia(ctx context.Context, srvs []*serverProcess, via func(int) int, f fixture, steps []step, base time.Time, interval time.Duration) ([]time.Duration, latencies, error) {
	clients := make([]drive.GraphQL, len(srvs))
	for i, srv := range srvs {
		clients[i] = srv.client(b.tokens.Mint(domain.RoleAdmin), 0)
	}
	pace := interval.String() + " apart"
	if interval == 0 {
		pace = "back to back"
	}
	fmt.Fprintf(b.out, "  publishing %d status changes %s\n", len(steps), pace)
	orderIDs := map[string]string{}
	sent := make([]time.Duration, len(steps))
	var took latencies
	start := time.Now()
	for i, s := range steps {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		var data struct{ SubmitOrder, SetOrderStatus struct{ ID string } }
		gql := clients[via(i)]
		t := time.Now()
		sent[i] = t.Sub(base)
		var err error
		if s.status == domain.StatusPending {
			err = gql.Do(ctx, submitOrderMutation, map[string]any{"input": orderInput(f, s.leaflyID)}, &data)
			orderIDs[s.leaflyID] = data.SubmitOrder.ID
		} else {
			err = gql.Do(ctx, setStatusMutation, map[string]any{"id": orderIDs[s.leaflyID], "status": s.status}, &data)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("step %d (%s to %s): %w", i, s.leaflyID, s.status, err)
		}
		took = append(took, time.Since(t))
	}
	return sent, took, nil
}

func orderInput(f fixture, leaflyID string) map[string]any {
	return map[string]any{
		"storeId": f.StoreID, "leaflyOrderId": leaflyID, "fulfillmentMethod": "PICKUP",
		"customer": map[string]any{"firstName": "Fan", "lastName": "Out", "email": "fan.out@example.com"},
		"lines": []any{
			map[string]any{"menuItemId": f.Menu[0].ID, "quantity": 2, "unitPriceCents": f.Menu[0].PriceCents},
			map[string]any{"menuItemId": f.Menu[1].ID, "quantity": 1, "unitPriceCents": f.Menu[1].PriceCents},
		},
	}
}

// fanoutResult turns the subscribers' receipts into the report's row.
func (b *bench) fanoutResult(scenario string, n int, subs []*subscriber, sent []time.Duration, mutations latencies, expected int64) result {
	var lat latencies
	duplicates, unexpected := 0, 0
	for _, s := range subs {
		seen := make([]bool, len(sent))
		for _, d := range s.got {
			if seen[d.step] {
				duplicates++
				continue
			}
			seen[d.step] = true
			lat = append(lat, d.at-sent[d.step])
		}
		unexpected += s.unexpected
	}
	failed, firstErr := failures(subs)
	load := fmt.Sprintf("%s × %d events, %s apart", plural(n, "subscriber"), len(sent), b.cfg.eventInterval)
	r := newResult(scenario, b.cfg.db, load, window{lat: lat, errors: failed + duplicates + unexpected, firstErr: firstErr})
	r.Throughput = 0
	ratio := float64(len(lat)) / float64(expected)
	m := mutations.summary()
	r.detail("delivered %s/%s (%.2f%%)", count(len(lat)), count(int(expected)), 100*ratio)
	r.detail("mutation round trip p50 %.2f ms, p99 %.2f ms", ms(m.P50), ms(m.P99))
	if duplicates+unexpected+failed > 0 {
		r.detail("%d duplicate and %d unexpected events, %d subscribers failed", duplicates, unexpected, failed)
	}
	r.Values = map[string]float64{"delivered": float64(len(lat)), "expected": float64(expected),
		"mutationP50Ms": ms(m.P50), "mutationP99Ms": ms(m.P99)}
	if goal, ok := fanoutGoal(n); ok {
		r.goal(fmt.Sprintf("p99 ≤ %.0f ms", goal), r.P99 <= goal)
	}
	r.goal("100% delivered", int64(len(lat)) == expected)
	return r
}

// fanoutGoal is the p99 goal, in ms, for fan-out to n subscribers: 25 ms up
// to 1,000, 100 ms up to 5,000, 250 ms up to 10,000; none beyond.
func fanoutGoal(n int) (float64, bool) {
	switch {
	case n <= 1000:
		return 25, true
	case n <= 5000:
		return 100, true
	case n <= 10_000:
		return 250, true
	}
	return 0, false
}

// idleSubscribers measures what idle subscriptions cost the server, and
// checks they leave nothing behind.
func (b *bench) idleSubscribers(ctx context.Context) (result, error) {
	srv, f, before, err := b.baseline(ctx, "idle-subscribers")
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	n := b.cfg.idle
	subs, err := b.subscribe(ctx, srv, f, statusSubscription, n, &listener{base: time.Now()})
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(b.out, "  holding them for %s\n", b.cfg.settle)
	time.Sleep(b.cfg.settle)
	held, err := b.footprint(ctx, srv)
	if err != nil {
		disconnect(subs, time.Second)
		return result{}, err
	}
	start := time.Now()
	disconnect(subs, 10*time.Second)
	after, drained, err := b.drain(ctx, srv, before, start)
	if err != nil {
		return result{}, err
	}
	return b.idleResult(n, subs, before, held, after, drained), nil
}

// footprint is what the server holds at one moment.
type footprint struct {
	rssKiB                 int64
	goroutines             float64
	heapInuse, stackInuse  float64
	subscriptions, sockets float64
}

// baseline starts a server with a store of its own and reads its footprint
// once the start's garbage has settled, as the end's will: what the
// scenarios that check the server returns to where it started compare
// with. The caller stops the server.
func (b *bench) baseline(ctx context.Context, name string) (*serverProcess, fixture, footprint, error) {
	srv, err := b.startServer(ctx)
	if err != nil {
		return nil, fixture{}, footprint{}, err
	}
	f, err := b.seedStore(ctx, srv, name)
	if err != nil {
		srv.stop()
		return nil, fixture{}, footprint{}, err
	}
	time.Sleep(time.Second)
	before, err := b.footprint(ctx, srv)
	if err != nil {
		srv.stop()
		return nil, fixture{}, footprint{}, err
	}
	return srv, f, before, nil
}

// drain waits up to 30 s for the server's goroutines to come back to
// within goroutineSlack of before's, then reads its footprint. drained is
// the time from start until the goroutines came back (or the wait gave up).
func (b *bench) drain(ctx context.Context, srv *serverProcess, before footprint, start time.Time) (after footprint, drained time.Duration, err error) {
	goroutines, _ := srv.waitMetric(ctx, "go_goroutines", 30*time.Second, func(v float64) bool { return v <= before.goroutines+goroutineSlack })
	drained = time.Since(start)
	if after, err = b.footprint(ctx, srv); err != nil {
		return footprint{}, 0, err
	}
	after.goroutines = goroutines
	return after, drained, nil
}

func (b *bench) footprint(ctx context.Context, srv *serverProcess) (footprint, error) {
	m, err := srv.metrics(ctx)
	if err != nil {
		return footprint{}, err
	}
	rss, err := srv.rssKiB()
	fp := footprint{rssKiB: rss, goroutines: m["go_goroutines"], heapInuse: m["go_memstats_heap_inuse_bytes"],
		stackInuse: m["go_memstats_stack_inuse_bytes"], subscriptions: m["leafly_subscriptions"], sockets: m["leafly_websocket_connections"]}
	fmt.Fprintf(b.out, "  server: VmRSS %s KiB, %s goroutines, %s subscriptions\n", count(int(rss)), count(int(fp.goroutines)), count(int(fp.subscriptions)))
	return fp, err
}

func (b *bench) idleResult(n int, subs []*subscriber, before, held, after footprint, drained time.Duration) result {
	failed, firstErr := failures(subs)
	r := newResult("idle-subscribers", b.cfg.db, fmt.Sprintf("%s idle subscribers, %s settle", count(n), b.cfg.settle),
		window{errors: failed, firstErr: firstErr})
	r.Throughput = 0
	perSub := float64(held.rssKiB-before.rssKiB) / float64(n)
	heap := (held.heapInuse - before.heapInuse) / 1024 / float64(n)
	stack := (held.stackInuse - before.stackInuse) / 1024 / float64(n)
	perGoroutines := (held.goroutines - before.goroutines) / float64(n)
	r.detail("VmRSS %s → %s KiB: %.1f KiB per subscriber (Go heap in use %.1f KiB, stacks %.1f KiB)",
		count(int(before.rssKiB)), count(int(held.rssKiB)), perSub, heap, stack)
	r.detail("goroutines %s → %s (%.1f per subscriber) → %s %s after disconnecting",
		count(int(before.goroutines)), count(int(held.goroutines)), perGoroutines, count(int(after.goroutines)), drained.Round(10*time.Millisecond))
	r.detail("VmRSS after disconnecting %s KiB", count(int(after.rssKiB)))
	r.Values = map[string]float64{"rssBeforeKiB": float64(before.rssKiB), "rssHeldKiB": float64(held.rssKiB), "rssAfterKiB": float64(after.rssKiB),
		"kibPerSubscriber": perSub, "heapKiBPerSubscriber": heap, "stackKiBPerSubscriber": stack,
		"goroutinesBefore": before.goroutines, "goroutinesHeld": held.goroutines, "goroutinesAfter": after.goroutines}
	r.goal("≤ 30 KiB per subscriber", perSub <= 30)
	r.goal("goroutines back to baseline", after.goroutines <= before.goroutines+goroutineSlack)
	return r
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// goroutineSlack is how far above its baseline the server's goroutine count
// may be after the subscribers leave: its background jobs (River's
// periodic work) come and go on their own, while a leak would be per
// subscriber, thousands.
const goroutineSlack = 20
