// Command loadtest measures the order service the way BENCHMARKS.md reports
// it: it builds the server, starts it as a child process on a database of its
// own, seeds data, drives one or more scenarios and prints a table of results
// against the goals.
//
// Usage, from the module root:
//
//	go run ./cmd/loadtest -scenario all -db postgres
//	go run ./cmd/loadtest -scenario order-by-id -db sqlite
//	go run ./cmd/loadtest -scenario fanout -subscribers 1000,5000,10000
//	go run ./cmd/loadtest -scenario idle-subscribers -idle 10000 -json results.json
//	go run ./cmd/loadtest -scenario cross-replica -cross-subscribers 1,100,1000
//	go run ./cmd/loadtest -scenario fanout-updates,resume -db postgres
//	go run ./cmd/loadtest -scenario rolling-restart -restart-clients 1000
//	go run ./cmd/loadtest -scenario stores -stores 1000 -store-subscribers 10
//
// Scenarios (-scenario takes a comma list, or all):
//
//   - order-by-id: -clients (32) HTTP keep-alive clients ask for random
//     orders of a store holding -orders (1,000) orders, in a closed loop,
//     for -warmup then -duration. Reports req/s and p50/p99/max latency.
//   - orders-page: -page-clients (8) clients page a store of -page-orders
//     (100,000) orders 50 at a time, from the first page (one request in
//     ten) or after a random cursor collected by walking the whole list
//     once. Reports p50/p99/max. Both build their requests once
//     (orders-page splices the cursor in), send them over a minimal
//     HTTP/1.1 client of their own (one kept-alive connection per client,
//     not net/http's) and check replies with bytes (the id asked for, 50
//     cursors), not a JSON decode, so the program's own CPU per request,
//     which the report shows, stays small. A reply that is not HTTP as
//     that client reads it fails the scenario.
//   - fanout: for each size of -subscribers (1,000), that many
//     graphql-transport-ws subscribers of one store's orderStatusChanged;
//     once the server's leafly_subscriptions gauge shows them all, -events
//     (50) mutations -event-interval (100ms) apart each change one order's
//     status. Latency runs from just before a mutation is sent to each
//     subscriber's receipt of its event; every event must reach everyone.
//   - fanout-updates: the fanout with orderUpdated subscribers (each status
//     change is one update, CREATED or STATUS_CHANGED): same flags, same
//     report, same goals.
//   - idle-subscribers: the server's resident memory (VmRSS) before and
//     after -idle (10,000) subscribers connect and -settle (5s) passes,
//     per subscriber; then every subscriber disconnects and the server's
//     goroutine count must return to where it started.
//   - connect-cycles: -cycles (10,000) cycles of connect, connection_init,
//     connection_ack, subscribe to orderStatusChanged and disconnect, in
//     rounds of -cycle-workers (4) concurrent connections. graphql-transport-ws
//     does not acknowledge a subscribe, so a round disconnects once the
//     server's leafly_subscriptions gauge counts all of it (-cycle-early:
//     at the pong to a ping sent after the subscribe, before the
//     subscription is set up), half with a close frame and half by
//     dropping the socket, and the next starts once the gauge is back to 0.
//     Reports cycles/s, dial to established p50/p99/max and VmRSS before
//     and after; the server's go_goroutines must return to where it started.
//   - cross-replica (PostgreSQL only; skipped on SQLite): two servers,
//     replicas A and B, on the same database. For each size of
//     -cross-subscribers (1,000), that many subscribers of one store's
//     orderStatusChanged on B; then the fanout's status changes,
//     -event-interval apart, -cross-events (200, rounded up to whole
//     orders) sent to B (same replica) and as many sent to A (cross
//     replica, through LISTEN/NOTIFY), one order each in turn after one
//     warm-up order each.
//     Reports p50/p99 of both paths and what crossing adds at p99.
//   - webhook: a store set up on the sandbox as for orders-burst; its
//     -webhook-orders (50) orders become sales (CONFIRMED), then, every
//     -webhook-interval (100ms), a staff action in the sandbox packs each
//     sale and then closes each, which sends the signed sale.update
//     webhook that moves the order to READY and then PICKED_UP. Latency
//     runs from just before the staff action to the receipt of the event
//     by each of -webhook-subscribers (1) subscribers; all must arrive.
//   - resume: an orderUpdated subscriber receives one live update and
//     leaves. Then, -resume-runs (5) times, -resume-updates (1,000)
//     updates are made while it is away (the fanout's mutations, back to
//     back), and it connects again and subscribes with after set to the
//     last cursor it received. Reports p50/p99/max of the time from its
//     subscribe message to the last replayed update (goal: ≤ 1 s); each
//     replay must be exactly the missed updates, in order, none twice.
//   - orders-burst (only when named, not part of all: it takes minutes): a
//     store set up on a Lightspeed sandbox as a manager would (OAuth, menu sync, setup, enable) takes a burst of orders from
//     -burst-clients (16) MARKETPLACE clients and -burst-shoppers (5)
//     returning shoppers. First -burst-real (150) orders with the sandbox's
//     limit at 350 requests per 5 minutes (one register): orders per minute
//     sustained from 30s after the first submit, against the ceiling the
//     limit allows at the measured calls per order (less the sales feed's
//     periodic reads), and 429s. Then
//     -burst-raised (500) orders with the limit at -burst-raised-limit
//     (100,000): submitOrder to CONFIRMED latency on an orderStatusChanged
//     subscription, orders per minute, 429s. Every order must be exactly
//     one sale.
//   - outage (only when named: it lasts -outage-length): a store set up
//     on the sandbox as for orders-burst, with the server's default
//     ORDER_POS_DEADLINE and intervals. Lightspeed (the sandbox) answers
//     every request with 503 for -outage-length (10m); -outage-orders
//     (100) orders are submitted as it starts. Reports, from the orders'
//     call trails and the store's alerts: the time from the first failed
//     call to the alert, the Lightspeed requests made during the outage
//     (by route), and the time from recovery to the first and the last
//     order sent and to the alert's resolution. One alert, one sale per
//     order.
//   - rolling-restart (only when named; PostgreSQL only, skipped on
//     SQLite): a deploy restarting two replicas in turn under load. A
//     third server, on an embedded database of its own and never
//     restarted, serves the sandbox that stands in for Lightspeed; replicas
//     A and B keep their ports across restarts and have PUBLIC_URL on a
//     load balancer in this program (each request to the next replica that
//     is not starting, to the other when a connection is refused), where
//     the OAuth redirect and the webhooks go. -restart-clients (1,000)
//     orderUpdated dashboards of one store subscribe after its order
//     list's updatesCursor, client i on A when i is even, on B when odd; a
//     client whose connection ends dials its replica again, then the
//     other, in turn (100 ms, then up to 1 s apart) and resumes after the
//     last cursor it received. Orders arrive at -restart-rate (2) a
//     second, alternately through A and B (the other when a request gets
//     no answer or a 5xx); staff pack each sale once its order is
//     CONFIRMED and close it once READY. After -restart-baseline (20s), A
//     is stopped with SIGTERM and started again, and once it is ready
//     (/readyz 200, listening for events) and -restart-settle (5s) has
//     passed, B. Checks, each failing the run (exit status 1): every
//     dashboard has every update of the event log once, in order; no order
//     submitted during the restarts took longer to be CONFIRMED (from the
//     event log) than the baseline's slowest plus 5 s; no answer with a
//     5xx from a running or draining replica (a starting replica answers
//     503 until it is ready, and is counted apart). The answers are
//     reported by kind, status and the replica's phase.
//   - stores (only when named; PostgreSQL only, skipped on SQLite): the
//     capacity model's shape (docs/CAPACITY.md). Two replicas; -stores
//     (1,000) stores, each with -store-subscribers (10) orderUpdated
//     dashboards, half on each replica; -stores-rate (5) orders a second
//     for -stores-duration (30s), each on a random store and moved through
//     PENDING, CONFIRMED, READY and PICKED_UP a second apart, the
//     mutations alternating between the replicas. Reports delivery
//     p50/p99/max (every update must reach every dashboard of its store),
//     mutation round trips, CPU per order and per replica, resident
//     memory, the database's connections by application and the load
//     average.
//
// Each scenario gets a freshly started server; one database serves the run.
// With -db postgres (the default) the program creates a database named
// loadtest_<time> through -database-url (default $LOADTEST_DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and drops it at the
// end unless -keep; with -db sqlite the server uses its embedded database in a
// temporary DATA_DIR. The server runs with LOG_LEVEL=info (its hot paths log
// at debug; info only adds the start and stop lines, and the "listening" line
// is how the program learns the server's address) and a fixed AUTH_SECRET,
// from which the program mints its tokens. GOGC, GOMEMLIMIT, GOMAXPROCS,
// GODEBUG, DB_MAX_CONNS and DEBUG_ADDR pass through to the server when set (a
// GOGC then replaces the server's own pacing of its collector, see
// README.md; with DEBUG_ADDR=127.0.0.1:6060 a scenario's server can be
// profiled while it runs, with go tool pprof on /debug/pprof/profile).
//
// Clients and server share the machine: the CPU table says how the measured
// window's CPU time split between the server, PostgreSQL (and anything else)
// and this program. The scenarios on a sandbox (orders-burst, webhook,
// outage, rolling-restart) run Lightspeed as a process of its own, another
// server on an embedded database whose sandbox stands in for Lightspeed, so
// that its work (answering the server's calls, staff actions, the webhooks
// it signs) is Lightspeed's share and not the server's, as in production. -perf DIR records the server with Linux perf during each
// measured window (perf report -i DIR/<scenario>.perf.data); -cpuprofile
// profiles this program. The program raises its open-file limit (and so the
// server's, which inherits it) for the subscriber scenarios.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/internal/drive"
)

func main() { drive.Main("loadtest", run) }

// The scenarios, in the order "all" runs them.
var scenarios = []string{"order-by-id", "orders-page", "fanout", "fanout-updates", "idle-subscribers", "connect-cycles", "cross-replica", "webhook", "resume"}

// namedScenarios run only when -scenario names them.
var namedScenarios = []string{"orders-burst", "outage", "rolling-restart", "stores"}

// config is what the flags set.
type config struct {
	scenarios     []string
	db            string
	databaseURL   string
	serverBin     string
	lightspeedBin string
	duration      time.Duration
	warmup        time.Duration
	clients       int
	orders        int
	pageClients   int
	pageOrders    int
	subscribers   []int
	events        int
	eventInterval time.Duration
	idle          int
	settle        time.Duration
	jsonPath      string
	cpuProfile    string
	perfDir       string
	keep          bool
	burst         burstConfig
	outage        outageConfig
	cross         crossConfig
	webhook       webhookConfig
	cycles        cyclesConfig
	resume        resumeConfig
	restart       restartConfig
	stores        storesConfig
}

// run parses args, runs the scenarios they ask for and prints the results.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseFlags(args, getenv, stdout)
	if err != nil {
		return err
	}
	out := drive.LockedWriter(stdout)
	if cfg.cpuProfile != "" {
		stop, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	b, err := newBench(ctx, cfg, getenv, out)
	if err != nil {
		return err
	}
	defer b.close()
	var results []result
	for _, name := range cfg.scenarios {
		rs, err := b.scenario(ctx, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, rs...)
	}
	printReport(out, b.machine, results)
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, b.machine, args, results); err != nil {
			return err
		}
	}
	return failedChecks(results)
}

// checkScenarios are the scenarios whose goals are correctness checks
// rather than performance targets: a missed one makes the run fail.
var checkScenarios = []string{"rolling-restart"}

// failedChecks returns an error naming the missed goals of checkScenarios.
func failedChecks(results []result) error {
	var missed []string
	for _, r := range results {
		for _, g := range r.Goals {
			if !g.Met && slices.Contains(checkScenarios, r.Scenario) {
				missed = append(missed, r.Scenario+": "+g.Target)
			}
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("checks failed: %s", strings.Join(missed, "; "))
	}
	return nil
}

func parseFlags(args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stdout)
	list := fs.String("scenario", "all", "comma list of "+strings.Join(append(scenarios, namedScenarios...), ", ")+", or all (all but "+strings.Join(namedScenarios, ", ")+")")
	fs.StringVar(&c.db, "db", "postgres", "postgres or sqlite")
	fs.StringVar(&c.databaseURL, "database-url", cmp.Or(getenv("LOADTEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		"PostgreSQL database through which to create (and drop) the run's database")
	fs.StringVar(&c.serverBin, "server-bin", "", "server binary to run (default: go build ./server)")
	fs.StringVar(&c.lightspeedBin, "lightspeed-bin", "", "server binary whose sandbox stands in for Lightspeed (default: the server's); give one binary to compare two servers against the same Lightspeed")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time of order-by-id and orders-page")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured load before each measured window")
	fs.IntVar(&c.clients, "clients", 32, "order-by-id: concurrent clients")
	fs.IntVar(&c.orders, "orders", 1000, "order-by-id: orders in the store")
	fs.IntVar(&c.pageClients, "page-clients", 8, "orders-page: concurrent clients")
	fs.IntVar(&c.pageOrders, "page-orders", 100_000, "orders-page: orders in the store")
	subs := fs.String("subscribers", "1000", "fanout and fanout-updates: comma list of subscriber counts, one run each")
	fs.IntVar(&c.events, "events", 50, "fanout and fanout-updates: status changes to publish")
	fs.DurationVar(&c.eventInterval, "event-interval", 100*time.Millisecond, "fanout and fanout-updates: time between status changes")
	fs.IntVar(&c.idle, "idle", 10_000, "idle-subscribers: subscribers to hold")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "idle-subscribers: wait before reading memory")
	fs.StringVar(&c.jsonPath, "json", "", "also write the results to this JSON file")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of this program to this file")
	fs.StringVar(&c.perfDir, "perf", "", "record the server with perf during each measured window into this directory")
	fs.BoolVar(&c.keep, "keep", false, "keep the run's database (and SQLite directory) afterwards")
	c.burst.register(fs)
	c.outage.register(fs)
	c.cross.register(fs)
	c.webhook.register(fs)
	c.cycles.register(fs)
	c.resume.register(fs)
	c.restart.register(fs)
	c.stores.register(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.scenarios, err = scenarioList(*list); err != nil {
		return c, err
	}
	if c.subscribers, err = intList(*subs); err != nil {
		return c, fmt.Errorf("-subscribers: %w", err)
	}
	return c, c.check()
}

func (c config) check() error {
	switch {
	case c.db != "postgres" && c.db != "sqlite":
		return fmt.Errorf("-db %q: want postgres or sqlite", c.db)
	case c.duration <= 0 || c.warmup < 0 || c.settle < 0 || c.eventInterval < 0:
		return fmt.Errorf("-duration must be positive; -warmup, -settle and -event-interval not negative")
	case c.clients < 1 || c.pageClients < 1 || c.orders < 1 || c.pageOrders < 1 || c.events < 1 || c.idle < 1:
		return fmt.Errorf("-clients, -page-clients, -orders, -page-orders, -events and -idle must be at least 1")
	}
	return firstError(c.burst.check(), c.outage.check(), c.cross.check(), c.webhook.check(), c.cycles.check(), c.resume.check(), c.restart.check(), c.stores.check())
}

func scenarioList(s string) ([]string, error) {
	if s == "all" {
		return scenarios, nil
	}
	var list []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(scenarios, name) && !slices.Contains(namedScenarios, name) {
			return nil, fmt.Errorf("-scenario: unknown scenario %q (want %s, or all)", name, strings.Join(append(scenarios, namedScenarios...), ", "))
		}
		list = append(list, name)
	}
	return list, nil
}

func intList(s string) ([]int, error) {
	var list []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive whole number", f)
		}
		list = append(list, n)
	}
	return list, nil
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
