package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The cross-replica scenario: what carrying an event from one replica to
// another through PostgreSQL LISTEN/NOTIFY adds to a subscriber's latency.
//
// Two servers, replicas A and B, run on the run's database. N subscribers
// of one store's orderStatusChanged connect to B. The status changes (the
// fanout's submitOrder then setOrderStatus to CONFIRMED, READY and
// PICKED_UP) go, one order at a time, alternately to B (same replica: B's
// hub delivers at once) and to A (cross replica: A notifies, B's listener
// reads the event back from the event log and delivers it), so both paths
// are measured on the same subscribers, interleaved, in the same run.

// crossConfig is what the cross-replica flags set.
type crossConfig struct {
	subscribers intsFlag
	events      int
}

func (c *crossConfig) register(fs *flag.FlagSet) {
	c.subscribers = intsFlag{1000}
	fs.Var(&c.subscribers, "cross-subscribers", "cross-replica: comma list of subscriber counts, one run each (-cross-events status changes per path, -event-interval apart)")
	fs.IntVar(&c.events, "cross-events", 200, "cross-replica: status changes per path; a p99 over fewer is decided by one slow event")
}

func (c crossConfig) check() error {
	if c.events < 1 {
		return fmt.Errorf("-cross-events must be at least 1")
	}
	return nil
}

// intsFlag is a comma list of positive whole numbers.
type intsFlag []int

func (f *intsFlag) String() string {
	parts := make([]string, len(*f))
	for i, n := range *f {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (f *intsFlag) Set(s string) error {
	list, err := intList(s)
	if err != nil {
		return err
	}
	*f = list
	return nil
}

// The two paths, and which replica each one's mutations go to.
const (
	pathSame  = 0 // mutations to B, where the subscribers are
	pathCross = 1 // mutations to A
)

var pathNames = [2]string{"same replica", "cross replica"}

// crossWarmOrders are the orders (one per path) sent first and left out of
// the figures: they warm up both paths (A's and B's connections and
// statements, B's reading of the event log).
const crossWarmOrders = 2

// crossPath is the path of step i: orders alternate between the paths, so
// that each path gets whole lifecycles (submitOrder and setOrderStatus in
// the same mix).
func crossPath(i int) int { return (i / len(lifecycle)) % 2 }

// crossReplica runs the scenario for each size of -cross-subscribers. It
// needs PostgreSQL: on SQLite there is one process and nothing to cross.
func (b *bench) crossReplica(ctx context.Context) ([]result, error) {
	if b.db.url == "" {
		fmt.Fprintf(b.out, "  skipped: replicas share events through PostgreSQL; run with -db postgres\n")
		return nil, nil
	}
	var rs []result
	for _, n := range b.cfg.cross.subscribers {
		r, err := b.crossRun(ctx, n)
		if err != nil {
			return rs, err
		}
		rs = append(rs, r...)
	}
	return rs, nil
}

// crossRun measures both paths with n subscribers on replica B.
func (b *bench) crossRun(ctx context.Context, n int) ([]result, error) {
	fmt.Fprintf(b.out, "  -- %s on replica B\n", plural(n, "subscriber"))
	replicaA, err := b.startServer(ctx)
	if err != nil {
		return nil, err
	}
	defer replicaA.stop()
	replicaB, err := b.startServer(ctx)
	if err != nil {
		return nil, err
	}
	defer replicaB.stop()
	if err := b.awaitListeners(ctx, 2); err != nil {
		return nil, err
	}
	f, err := b.seedStore(ctx, replicaA, fmt.Sprintf("cross-replica-%d", n))
	if err != nil {
		return nil, err
	}
	warm := crossWarmOrders * len(lifecycle)
	// Whole lifecycles per path: -cross-events rounded up to one.
	perPath := (b.cfg.cross.events + len(lifecycle) - 1) / len(lifecycle) * len(lifecycle)
	steps := planSteps(warm+2*perPath, fmt.Sprintf("CROSS-%d-%d", n, time.Now().UnixNano()))
	l := &listener{steps: map[string]int{}, base: time.Now()}
	for i, s := range steps {
		l.steps[s.leaflyID+"/"+string(s.status)] = i
	}
	subs, err := b.subscribe(ctx, replicaB, f, statusSubscription, n, l)
	if err != nil {
		return nil, err
	}
	stopPerf, err := b.perf(replicaA, fmt.Sprintf("cross-replica-%d-A", n))
	if err != nil {
		disconnect(subs, time.Second)
		return nil, err
	}
	stopPerfB, err := b.perf(replicaB, fmt.Sprintf("cross-replica-%d-B", n))
	if err != nil {
		_ = stopPerf()
		disconnect(subs, time.Second)
		return nil, err
	}
	fmt.Fprintf(b.out, "  %d warm-up changes, then %d through B (same replica) and %d through A (cross replica), one order each in turn\n",
		warm, perPath, perPath)
	before := sampleCPU(replicaA, replicaB)
	cpuA0, _ := processCPU(strconv.Itoa(replicaA.pid))
	cpuB0, _ := processCPU(strconv.Itoa(replicaB.pid))
	// Replica A takes the cross path's mutations, B the same path's.
	srvs := []*serverProcess{pathSame: replicaB, pathCross: replicaA}
	sent, took, err := b.publishVia(ctx, srvs, crossPath, f, steps, l.base, b.cfg.eventInterval)
	if err == nil {
		l.await(int64(n*len(steps)), 15*time.Second)
	}
	cpu := sampleCPU(replicaA, replicaB).since(before)
	cpuA1, _ := processCPU(strconv.Itoa(replicaA.pid))
	cpuB1, _ := processCPU(strconv.Itoa(replicaB.pid))
	perfErr := firstError(stopPerf(), stopPerfB())
	dropped, _ := replicaB.metric(ctx, "leafly_subscription_events_dropped_total")
	reconnects, _ := replicaB.metric(ctx, "leafly_event_listener_reconnects_total")
	disconnect(subs, 5*time.Second)
	if err != nil || perfErr != nil {
		return nil, fmt.Errorf("publish: %w", firstError(err, perfErr))
	}
	rs := b.crossResults(n, subs, sent, took, warm)
	rs[pathCross].CPU = cpu
	if s := rs[pathSame].Samples + rs[pathCross].Samples; s > 0 && cpu.Seconds > 0 {
		rs[pathCross].detail("CPU, both paths: replica A %.2f cores, replica B %.2f cores; %s", (cpuA1-cpuA0)/cpu.Seconds,
			(cpuB1-cpuB0)/cpu.Seconds, cpu.perOp(s, "delivery"))
	}
	for i := range rs {
		rs[i].Values["droppedSubscribers"], rs[i].Values["listenerReconnects"] = dropped, reconnects
		if dropped > 0 || reconnects > 0 {
			rs[i].detail("replica B dropped %.0f subscribers as slow; its listener reconnected %.0f times", dropped, reconnects)
		}
	}
	return rs, nil
}

// awaitListeners waits until n event listeners (one per replica) hold their
// LISTEN connection to the run's database: a notification sent before a
// replica listens never reaches it.
func (b *bench) awaitListeners(ctx context.Context, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var listening int
		err := b.store.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name LIKE 'events-listener %' AND query ILIKE 'listen %'`).Scan(&listening)
		if err != nil {
			return fmt.Errorf("read pg_stat_activity: %w", err)
		}
		if listening >= n {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d of %d event listeners listening after 30s", listening, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crossResults turns the subscribers' receipts into two rows, the same
// path's and the cross path's, leaving out the warm-up steps.
func (b *bench) crossResults(n int, subs []*subscriber, sent []time.Duration, took latencies, warm int) []result {
	var lat, mutations [2]latencies
	var expected, duplicates [2]int
	for i := warm; i < len(sent); i++ {
		expected[crossPath(i)] += n
		mutations[crossPath(i)] = append(mutations[crossPath(i)], took[i])
	}
	unexpected := 0
	for _, s := range subs {
		seen := make([]bool, len(sent))
		for _, d := range s.got {
			if seen[d.step] {
				if d.step >= warm {
					duplicates[crossPath(d.step)]++
				}
				continue
			}
			seen[d.step] = true
			if d.step >= warm {
				lat[crossPath(d.step)] = append(lat[crossPath(d.step)], d.at-sent[d.step])
			}
		}
		unexpected += s.unexpected
	}
	failed, firstErr := failures(subs)
	rs := make([]result, 2)
	for p := range rs {
		replica := "B"
		if p == pathCross {
			replica = "A"
		}
		load := fmt.Sprintf("%s on replica B × %d events via %s (%s), %s apart", plural(n, "subscriber"), len(mutations[p]), replica,
			pathNames[p], b.cfg.eventInterval)
		r := newResult("cross-replica", b.cfg.db, load, window{lat: lat[p], errors: failed + duplicates[p] + unexpected, firstErr: firstErr})
		r.Throughput = 0
		m := mutations[p].summary()
		r.detail("%s: delivered %s/%s (%.2f%%)", pathNames[p], count(len(lat[p])), count(expected[p]), 100*float64(len(lat[p]))/float64(max(expected[p], 1)))
		r.detail("mutation round trip on %s p50 %.2f ms, p99 %.2f ms", replica, ms(m.P50), ms(m.P99))
		if duplicates[p]+unexpected+failed > 0 {
			r.detail("%d duplicate and %d unexpected events, %d subscribers failed", duplicates[p], unexpected, failed)
		}
		r.Values = map[string]float64{"subscribers": float64(n), "delivered": float64(len(lat[p])), "expected": float64(expected[p]),
			"mutationP50Ms": ms(m.P50), "mutationP99Ms": ms(m.P99), "cross": float64(p)}
		r.goal("100% delivered", len(lat[p]) == expected[p])
		rs[p] = r
	}
	same, cross := &rs[pathSame], &rs[pathCross]
	extra50, extra99 := cross.P50-same.P50, cross.P99-same.P99
	cross.Values["sameP50Ms"], cross.Values["sameP99Ms"] = same.P50, same.P99
	cross.Values["extraP50Ms"], cross.Values["extraP99Ms"] = extra50, extra99
	cross.Detail = append([]string{fmt.Sprintf("cross replica adds %+.2f ms at p50 and %+.2f ms at p99 (same replica: p50 %.2f ms, p99 %.2f ms)",
		extra50, extra99, same.P50, same.P99)}, cross.Detail...)
	cross.goal("cross-replica adds ≤ 5 ms p99", cross.Samples > 0 && same.Samples > 0 && extra99 <= 5)
	return rs
}
