package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// latencies are the durations of one measurement's operations.
type latencies []time.Duration

// summary is the distribution of latencies.
type summary struct {
	N                   int
	Mean, P50, P99, Max time.Duration
}

func (l latencies) summary() summary {
	if len(l) == 0 {
		return summary{}
	}
	s := slices.Clone(l)
	slices.Sort(s)
	var total time.Duration
	for _, d := range s {
		total += d
	}
	return summary{N: len(s), Mean: total / time.Duration(len(s)), P50: rank(s, 0.50), P99: rank(s, 0.99), Max: s[len(s)-1]}
}

// rank returns the nearest-rank q-quantile of sorted.
func rank(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// window is what a closed-loop load measured.
type window struct {
	lat      latencies
	errors   int
	firstErr error
	elapsed  time.Duration
	cpu      cpuShare
	// serverMean is the mean time the server itself spent on an operation
	// (its leafly_graphql_operation_duration_seconds histogram).
	serverMean time.Duration
}

// throughput is the successful operations per second.
func (w window) throughput() float64 { return float64(len(w.lat)) / w.elapsed.Seconds() }

// drive runs op, a query of a root field, in closed loops, one per worker:
// for -warmup unmeasured, then for -duration measured (with the CPU use, the
// server's own timing and, with -perf, a perf recording of the server).
func (b *bench) drive(ctx context.Context, srv *serverProcess, name, field string, workers int, op func(context.Context, *rand.Rand) error) (window, error) {
	if b.cfg.warmup > 0 {
		fmt.Fprintf(b.out, "  warming up for %s\n", b.cfg.warmup)
		loop(ctx, workers, b.cfg.warmup, op)
	}
	stopPerf, err := b.perf(srv, name)
	if err != nil {
		return window{}, err
	}
	fmt.Fprintf(b.out, "  measuring for %s with %d clients\n", b.cfg.duration, workers)
	m0, err := srv.metrics(ctx)
	if err != nil {
		return window{}, err
	}
	before := sampleCPU(srv)
	w := loop(ctx, workers, b.cfg.duration, op)
	w.cpu = sampleCPU(srv).since(before)
	if err := stopPerf(); err != nil {
		return w, err
	}
	m1, err := srv.metrics(ctx)
	if err != nil {
		return w, err
	}
	n0, s0 := operationSeconds(m0, field)
	n1, s1 := operationSeconds(m1, field)
	if n1 > n0 {
		w.serverMean = time.Duration((s1 - s0) / (n1 - n0) * float64(time.Second))
	}
	return w, ctx.Err()
}

// loop calls op from each of workers goroutines, one call after another,
// until d has passed.
func loop(ctx context.Context, workers int, d time.Duration, op func(context.Context, *rand.Rand) error) window {
	start := time.Now()
	deadline := start.Add(d)
	each := make([]window, workers)
	var wg sync.WaitGroup
	for i := range each {
		wg.Go(func() {
			w, rnd := &each[i], rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t := time.Now()
				if err := op(ctx, rnd); err != nil {
					w.errors++
					if w.firstErr == nil {
						w.firstErr = err
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t))
			}
		})
	}
	wg.Wait()
	all := window{elapsed: time.Since(start)}
	for _, w := range each {
		all.lat = append(all.lat, w.lat...)
		all.errors += w.errors
		if all.firstErr == nil {
			all.firstErr = w.firstErr
		}
	}
	return all
}

// perf starts recording the server when -perf is set; the returned function
// stops it.
func (b *bench) perf(srv *serverProcess, name string) (func() error, error) {
	if b.cfg.perfDir == "" {
		return func() error { return nil }, nil
	}
	if err := os.MkdirAll(b.cfg.perfDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(b.cfg.perfDir, fmt.Sprintf("%s-%s.perf.data", name, b.cfg.db))
	fmt.Fprintf(b.out, "  recording the server into %s\n", path)
	return srv.startPerf(path)
}
