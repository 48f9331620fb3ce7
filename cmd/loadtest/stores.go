package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

// The stores scenario: the capacity model's shape (docs/CAPACITY.md) at
// the size one machine can take. Two replicas, A and B, on the run's
// PostgreSQL database; -stores stores, each watched by
// -store-subscribers orderUpdated dashboards, spread over both replicas
// (dashboard j of store s on A when s+j is even); a steady stream of
// -stores-rate orders a second for -stores-duration, each on a random
// store and moved through its whole lifecycle (submitOrder, then
// setOrderStatus to CONFIRMED, READY and PICKED_UP, storesStepGap apart),
// its mutations alternating between the replicas. Every update must reach every
// dashboard of its store. No POS: the stores are not connected to
// Lightspeed, whose per-retailer limit is the model's separate ceiling.

// storesConfig is what the stores flags set.
type storesConfig struct {
	stores      int
	subscribers int
	rate        float64
	duration    time.Duration
}

func (c *storesConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.stores, "stores", 1000, "stores: stores seeded")
	fs.IntVar(&c.subscribers, "store-subscribers", 10, "stores: orderUpdated dashboards per store, half on each replica")
	fs.Float64Var(&c.rate, "stores-rate", 5, "stores: orders a second, each on a random store, each 4 updates")
	fs.DurationVar(&c.duration, "stores-duration", 30*time.Second, "stores: how long orders are submitted")
}

func (c storesConfig) check() error {
	if c.stores < 1 || c.subscribers < 1 || c.rate <= 0 || c.duration <= 0 {
		return fmt.Errorf("-stores and -store-subscribers must be at least 1, -stores-rate and -stores-duration positive")
	}
	return nil
}

// storesStepGap is the time between an order's mutations. An update
// carries its order as it is when delivered, so a dashboard told of a new
// order after it was confirmed sees it CONFIRMED twice: the gap, far longer
// than a delivery, keeps each update's status its own.
const storesStepGap = time.Second

// storesSeeders is how many stores are seeded at the same time.
const storesSeeders = 8

// stores runs the scenario. It needs PostgreSQL: replicas share a
// database only there.
func (b *bench) stores(ctx context.Context) ([]result, error) {
	if b.db.url == "" {
		fmt.Fprintf(b.out, "  skipped: replicas share a database only on PostgreSQL; run with -db postgres\n")
		return nil, nil
	}
	c := b.cfg.stores
	var replicas [2]*serverProcess
	for i := range replicas {
		srv, err := b.startServer(ctx)
		if err != nil {
			return nil, err
		}
		defer srv.stop()
		replicas[i] = srv
	}
	if err := b.awaitListeners(ctx, 2); err != nil {
		return nil, err
	}
	start := time.Now()
	fixtures, err := b.seedStores(ctx, replicas[0], c.stores)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "  %s seeded in %s\n", plural(c.stores, "store"), time.Since(start).Round(10*time.Millisecond))

	orders := int(c.rate * c.duration.Seconds())
	prefix := fmt.Sprintf("STORES-%d", time.Now().UnixNano())
	plan := make([]int, orders) // the store of each order
	l := &listener{steps: map[string]int{}, base: time.Now()}
	for i := range plan {
		plan[i] = rand.IntN(c.stores)
		for k, status := range lifecycle {
			l.steps[fmt.Sprintf("%s-%d/%s", prefix, i, status)] = i*len(lifecycle) + k
		}
	}
	subs, err := b.subscribeStores(ctx, replicas, fixtures, l)
	if err != nil {
		return nil, err
	}
	defer func() { disconnect(subs, 5*time.Second) }()
	connections, err := b.connections(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "  %s orders a second for %s: %s, %d updates; database connections before: %s\n", strconv.FormatFloat(c.rate, 'g', 3, 64),
		c.duration, plural(orders, "order"), orders*len(lifecycle), connections)
	load0 := loadAverage()
	before := sampleCPU(replicas[0], replicas[1])
	cpuA0, _ := processCPU(strconv.Itoa(replicas[0].pid))
	cpuB0, _ := processCPU(strconv.Itoa(replicas[1].pid))
	s := b.streamOrders(ctx, replicas, fixtures, plan, prefix, l.base)
	expected := int64(orders * len(lifecycle) * c.subscribers)
	l.await(expected, 30*time.Second)
	cpu := sampleCPU(replicas[0], replicas[1]).since(before)
	cpuA1, _ := processCPU(strconv.Itoa(replicas[0].pid))
	cpuB1, _ := processCPU(strconv.Itoa(replicas[1].pid))
	load1 := loadAverage()
	peak, err := b.connections(ctx)
	if err != nil {
		return nil, err
	}
	var rss [2]int64
	for i, srv := range replicas {
		rss[i], _ = srv.rssKiB()
	}
	all := subs
	disconnect(subs, 5*time.Second)
	subs = nil

	var lat latencies
	duplicates, unexpected := 0, 0
	for _, sub := range all {
		seen := map[int]bool{}
		for _, d := range sub.got {
			if seen[d.step] {
				duplicates++
				continue
			}
			seen[d.step] = true
			lat = append(lat, d.at-s.sent[d.step])
		}
		unexpected += sub.unexpected
	}
	failed, firstErr := failures(all)
	if firstErr == nil {
		firstErr = s.firstErr
	}
	load := fmt.Sprintf("%s × %d orderUpdated dashboards over 2 replicas, %.3g orders/s (4 updates each) for %s", plural(c.stores, "store"),
		c.subscribers, c.rate, c.duration)
	r := newResult("stores", b.cfg.db, load, window{lat: lat, errors: failed + duplicates + unexpected + s.errors, firstErr: firstErr})
	r.Throughput = float64(orders-s.errors) / c.duration.Seconds()
	r.CPU = cpu
	m := s.took.summary()
	r.detail("delivered %s/%s (%.2f%%); %d duplicate, %d unexpected, %d dashboards failed, %d orders failed", count(len(lat)), count(int(expected)),
		100*float64(len(lat))/float64(max(expected, 1)), duplicates, unexpected, failed, s.errors)
	r.detail("mutation round trip p50 %.2f ms, p99 %.2f ms", ms(m.P50), ms(m.P99))
	if cpu.Seconds > 0 && orders > 0 {
		r.detail("%s; replica A %.2f cores, replica B %.2f cores", cpu.perOp(orders, "order (4 updates, each to its store's dashboards)"),
			(cpuA1-cpuA0)/cpu.Seconds, (cpuB1-cpuB0)/cpu.Seconds)
	}
	r.detail("resident memory: replica A %d MiB, replica B %d MiB", rss[0]>>10, rss[1]>>10)
	r.detail("database connections before the stream %s, at its end %s", connections, peak)
	r.detail("machine load average (1 min) %s at the start, %s at the end", load0, load1)
	r.Values["delivered"], r.Values["expected"] = float64(len(lat)), float64(expected)
	r.Values["mutationP50Ms"], r.Values["mutationP99Ms"] = ms(m.P50), ms(m.P99)
	r.Values["rssAKiB"], r.Values["rssBKiB"] = float64(rss[0]), float64(rss[1])
	r.goal("100% delivered", int64(len(lat)) == expected && duplicates == 0)
	return []result{r}, nil
}

// seedStores seeds n stores, storesSeeders at a time.
func (b *bench) seedStores(ctx context.Context, srv *serverProcess, n int) ([]fixture, error) {
	fixtures := make([]fixture, n)
	err := forEach(ctx, n, storesSeeders, func(i int) error {
		f, err := b.seedStore(ctx, srv, fmt.Sprintf("stores-%d", i))
		fixtures[i] = f
		return err
	})
	return fixtures, err
}

// subscribeStores connects -store-subscribers dashboards to each store,
// dialParallelism at a time, dashboard j of store s to replica (s+j)%2,
// and waits until the replicas count them all.
func (b *bench) subscribeStores(ctx context.Context, replicas [2]*serverProcess, fixtures []fixture, l *listener) ([]*subscriber, error) {
	k := b.cfg.stores.subscribers
	n := len(fixtures) * k
	start := time.Now()
	d := subscriberDialer()
	subs := make([]*subscriber, n)
	err := forEach(ctx, n, dialParallelism, func(i int) error {
		store, j := i/k, i%k
		srv := replicas[(store+j)%2]
		token := b.tokens.As(fmt.Sprintf("dashboard-%d-%d", store, j)).Mint(domain.RoleStoreStaff, fixtures[store].StoreID)
		s, err := dialSubscriber(ctx, d, "ws"+strings.TrimPrefix(srv.url, "http")+"/query", token, fixtures[store].StoreID, updatesSubscription)
		if err != nil {
			return fmt.Errorf("dashboard %d of store %d: %w", j, store, err)
		}
		subs[i] = s
		go s.read(l)
		return nil
	})
	if err == nil {
		err = awaitSubscriptions(ctx, replicas[:], n, 2*time.Minute)
	}
	if err != nil {
		disconnect(compact(subs), time.Second)
		return nil, err
	}
	fmt.Fprintf(b.out, "  %s subscribed (%d per store, half on each replica) in %s\n", plural(n, "dashboard"), k, time.Since(start).Round(10*time.Millisecond))
	return subs, nil
}

// connections counts the run database's connections by application name.
func (b *bench) connections(ctx context.Context) (string, error) {
	rows, err := b.store.SQL().QueryContext(ctx, `SELECT coalesce(nullif(split_part(application_name, ' ', 1), ''), 'unnamed'), count(*)
		FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return "", fmt.Errorf("read pg_stat_activity: %w", err)
	}
	defer rows.Close()
	var parts []string
	total := 0
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, n))
		total += n
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", ")), rows.Err()
}

// loadAverage is the machine's one-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// storeStream is what streamOrders did: when each step was sent (since
// base), each mutation's round trip and the orders that failed.
type storeStream struct {
	sent     []time.Duration
	took     latencies
	errors   int
	firstErr error
}

// streamOrders submits the planned orders at -stores-rate, each in a
// goroutine of its own that moves it through its lifecycle storesStepGap
// apart,
// the mutations alternating between the replicas.
func (b *bench) streamOrders(ctx context.Context, replicas [2]*serverProcess, fixtures []fixture, plan []int, prefix string, base time.Time) *storeStream {
	var clients [2]drive.GraphQL
	for i, srv := range replicas {
		clients[i] = srv.client(b.tokens.Mint(domain.RoleAdmin), 32)
	}
	s := &storeStream{sent: make([]time.Duration, len(plan)*len(lifecycle))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i, store := range plan {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / b.cfg.stores.rate * float64(time.Second)))))
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			id := fmt.Sprintf("%s-%d", prefix, i)
			var orderID string
			var took latencies
			var err error
			for k, status := range lifecycle {
				if k > 0 {
					time.Sleep(storesStepGap)
				}
				var data struct{ SubmitOrder, SetOrderStatus struct{ ID string } }
				gql := clients[(i+k)%2]
				t := time.Now()
				s.sent[i*len(lifecycle)+k] = t.Sub(base)
				if status == domain.StatusPending {
					err = gql.Do(ctx, submitOrderMutation, map[string]any{"input": orderInput(fixtures[store], id)}, &data)
					orderID = data.SubmitOrder.ID
				} else {
					err = gql.Do(ctx, setStatusMutation, map[string]any{"id": orderID, "status": status}, &data)
				}
				if err != nil {
					err = fmt.Errorf("order %s to %s: %w", id, status, err)
					break
				}
				took = append(took, time.Since(t))
			}
			mu.Lock()
			defer mu.Unlock()
			s.took = append(s.took, took...)
			if err != nil {
				s.errors++
				if s.firstErr == nil {
					s.firstErr = err
				}
			}
		})
	}
	wg.Wait()
	return s
}
