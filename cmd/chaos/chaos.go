package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
	"github.com/leafly/lightspeed-orders/internal/wait"
)

// authSecret signs the tokens of the victim; the program mints its own.
const authSecret = "chaos-secret-chaos-secret-chaos-secret!!"

// tokens mints the program's tokens, valid for the whole run.
var tokens = drive.NewTokens(authSecret, "chaos")

// passThrough are the variables handed on to the servers when set.
var passThrough = []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"}

// Settings of the victim that shape the run: JOB_TIMEOUT at its default, so
// River's rescuer (jobs running twice that long) is not what runs a killed
// process's jobs again, but the restarted process reclaiming them and the
// sends it was making right after commit (jobs.Liveness); how long a lost Lightspeed answer is waited for (within
// JOB_TIMEOUT, as in production) and how often the sales feed is read.
const (
	victimJobTimeout        = "1m"
	victimLightspeedTimeout = "3s"
	victimReconcile         = "15s"
)

// report is what a run measured.
type report struct {
	checks       []check
	events       []event
	incarnations int // of the victim
	staffChanges int // orders staff changed in Lightspeed
}

func (r *report) ok() bool {
	for _, c := range r.checks {
		if !c.ok() {
			return false
		}
	}
	return len(r.checks) > 0
}

// event is one planned disruption and what it did.
type event struct {
	kind string        // "kill", "pg-restart" or "lost-answer"
	at   time.Duration // planned, since the first submission
	did  time.Duration // when it happened
	down time.Duration // until the victim (or PostgreSQL) was back
	err  error
	// A kill's interrupted orders (their send was under way) and the
	// time from the victim answering again to the last of them SENT.
	interrupted int
	resumed     time.Duration
	resumeErr   error
}

// schedule spreads the kills, the PostgreSQL restart and the lost answers
// over the middle 80% of the submitting window, one per slot, in an order
// and at moments the seed picks.
func schedule(r *mrand.Rand, kills int, pgRestart bool, lostAnswers int, window time.Duration) []event {
	var kinds []string
	for range kills {
		kinds = append(kinds, "kill")
	}
	if pgRestart {
		kinds = append(kinds, "pg-restart")
	}
	for range lostAnswers {
		kinds = append(kinds, "lost-answer")
	}
	r.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	slot := window * 8 / 10 / time.Duration(max(len(kinds), 1))
	events := make([]event, len(kinds))
	for i, k := range kinds {
		at := window/10 + time.Duration(i)*slot + time.Duration(r.Float64()*0.8*float64(slot))
		events[i] = event{kind: k, at: at}
	}
	return events
}

// victim is the server process under test, one incarnation after another,
// always on the same port.
type victim struct {
	bin, logs string
	env       []string
	out       io.Writer
	echo      bool

	mu           sync.Mutex
	p            *process
	starts       int // attempts, naming the log files
	incarnations int // processes that started
	warnings     int64
	errors       int64
}

// start starts a new incarnation, trying again for a minute (PostgreSQL
// may be restarting).
func (v *victim) start(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	deadline := time.Now().Add(time.Minute)
	for {
		v.starts++
		p, err := startProcess(ctx, "victim", v.bin, v.env, filepath.Join(v.logs, fmt.Sprintf("victim-%d.log", v.starts)), v.out, v.echo)
		if err == nil {
			v.p = p
			v.incarnations++
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(v.out, "  victim did not start, trying again: %v\n", truncate(err.Error(), 300))
		time.Sleep(time.Second)
	}
}

// end kills (crash) or stops the current incarnation and counts its log.
func (v *victim) end(crash bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.p == nil {
		return
	}
	if crash {
		v.p.kill()
	} else {
		v.p.stop()
	}
	v.warnings += v.p.warnings.Load()
	v.errors += v.p.errors.Load()
	v.p = nil
}

// chaosRun runs the whole scenario and prints its report.
func chaosRun(ctx context.Context, cfg config, out io.Writer) (rep *report, err error) {
	started := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	rng := mrand.New(mrand.NewPCG(uint64(cfg.seed), 0))
	fmt.Fprintf(out, "chaos: seed %d, %d orders at %g/s from %d clients, %d kills, PostgreSQL restart %v, %d lost answers, timeout %s\n",
		cfg.seed, cfg.orders, cfg.rate, cfg.clients, cfg.kills, cfg.pgRestart, cfg.lostAnswers, cfg.timeout)

	tmp, err := os.MkdirTemp("", "chaos-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	logs, tempLogs := cfg.logs, cfg.logs == ""
	if tempLogs {
		if logs, err = os.MkdirTemp("", "chaos-logs-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	defer func() {
		if tempLogs && err == nil && rep.ok() {
			os.RemoveAll(logs)
			return
		}
		fmt.Fprintf(out, "server logs: %s\n", logs)
	}()

	var cluster *pgCluster
	if cfg.pgRestart {
		if cluster, err = localCluster(ctx, cfg.databaseURL); err != nil {
			return nil, err
		}
	}
	db, err := newDatabase(ctx, cfg.databaseURL)
	if err != nil {
		return nil, err
	}
	defer func() {
		if derr := db.drop(); derr != nil {
			fmt.Fprintf(out, "warning: %v\n", derr)
		}
	}()
	bin := cfg.serverBin
	if bin == "" {
		if bin, err = drive.BuildServer(ctx, tmp, out); err != nil {
			return nil, err
		}
	}
	recv, err := startReceiver()
	if err != nil {
		return nil, err
	}
	defer recv.close()

	base := []string{"AUTH_SECRET=" + authSecret, "LOG_LEVEL=info", "SANDBOX_DEMO=false", "MENU_SYNC_INTERVAL=1h", "SHUTDOWN_TIMEOUT=10s"}
	for _, name := range passThrough {
		if v := os.Getenv(name); v != "" {
			base = append(base, name+"="+v)
		}
	}
	host, err := startProcess(ctx, "host", bin, append(base, "HTTP_ADDR=127.0.0.1:0", "DATA_DIR="+filepath.Join(tmp, "host")),
		filepath.Join(logs, "host.log"), out, cfg.verbose)
	if err != nil {
		return nil, err
	}
	defer host.stop()
	sb := drive.Sandbox{URL: host.url + "/sandbox", HTTP: drive.NewHTTPClient(8, 30*time.Second)}
	// The run is about failures, not Lightspeed's rate limit: raise it out
	// of the way before the victim learns it from the headers.
	if err := sb.SetRateLimit(ctx, 1_000_000, 5*time.Minute); err != nil {
		return nil, err
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	v := &victim{bin: bin, logs: logs, out: out, echo: cfg.verbose, env: append(base,
		"HTTP_ADDR=127.0.0.1:"+portString(port), "PUBLIC_URL=http://127.0.0.1:"+portString(port),
		"DATABASE_URL="+db.url, "DATA_DIR="+filepath.Join(tmp, "victim"), "SANDBOX=true",
		"ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key),
		"LIGHTSPEED_API_URL="+host.url+"/sandbox/{domain_prefix}", "LIGHTSPEED_CONNECT_URL="+host.url+"/sandbox/connect",
		"JOB_TIMEOUT="+victimJobTimeout, "LIGHTSPEED_TIMEOUT="+victimLightspeedTimeout, "LIGHTSPEED_RECONCILE_INTERVAL="+victimReconcile,
		"NOTIFY_WEBHOOK_URL="+recv.url, "NOTIFY_WEBHOOK_SECRET="+notifySecret)}
	if err := v.start(ctx); err != nil {
		return nil, err
	}
	defer v.end(false)
	victimURL := "http://127.0.0.1:" + portString(port)
	fmt.Fprintf(out, "host (sandbox) %s, victim %s on %s, notifications to %s\n", host.url, victimURL, db.name, recv.url)

	admin := drive.GraphQL{URL: victimURL + "/query", Token: tokens.Mint(domain.RoleAdmin), HTTP: drive.NewHTTPClient(2, 60*time.Second)}
	st, err := drive.ConnectStore(ctx, admin, tokens, "Chaos Dispensary")
	if err != nil {
		return nil, fmt.Errorf("set up the store: %w", err)
	}
	fmt.Fprintf(out, "store %s connected by OAuth, menu synced (%d items), integration enabled\n", st.ID, len(st.Menu))

	// The run.
	prefix := fmt.Sprintf("CHAOS-%d", cfg.seed%1_000_000)
	ids := make([]string, cfg.orders)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	window := time.Duration(float64(cfg.orders) / cfg.rate * float64(time.Second))
	events := schedule(rng, cfg.kills, cfg.pgRestart, cfg.lostAnswers, window)
	sub := newSubmissions(cfg.orders)
	crew := newStaff(sb, cfg.seed)
	market := drive.GraphQL{URL: victimURL + "/query", Token: tokens.Mint(domain.RoleMarketplace), HTTP: drive.NewHTTPClient(cfg.clients, 10*time.Second)}
	fmt.Fprintf(out, "submitting %d orders over about %s; disruptions planned at %s\n", cfg.orders, window.Round(time.Second), plannedAt(events))

	t0 := time.Now()
	chaosDone := make(chan struct{})
	watches := &resumes{db: db}
	go func() {
		defer close(chaosDone)
		disrupt(ctx, t0, events, rng, v, cluster, sb, watches, out)
	}()
	submitAll(ctx, market, st, ids, cfg.clients, cfg.rate, t0, sub, func(i int) { crew.take(ctx, i, ids[i]) })
	accepted, retried, calls, failures := sub.summary()
	fmt.Fprintf(out, "submitted in %s: %d of %d accepted, %d submitOrder calls, %d orders retried; failed calls: %s\n",
		sub.done.Round(100*time.Millisecond), accepted, cfg.orders, calls, retried, failures)
	<-chaosDone
	crew.wait()
	planned, made, waits, refused := crew.summary()
	fmt.Fprintf(out, "staff done at %s: %d sales planned for, actions %s, %d lookups before the sale existed, %d refused\n",
		time.Since(t0).Round(100*time.Millisecond), planned, made, waits, len(refused))
	for _, r := range refused {
		fmt.Fprintf(out, "  refused: %s\n", r)
	}

	// Settle, then check.
	obs := observations{leaflyIDs: ids, accepted: map[string]string{}, expected: crew.expectations(), strictNotify: cfg.strict}
	sub.mu.Lock()
	for i, id := range sub.orderID {
		if id != "" {
			obs.accepted[ids[i]] = id
		}
	}
	obs.mismatch = append(obs.mismatch, sub.mismatch...)
	sub.mu.Unlock()
	settleStart := time.Now()
	_, how := settle(ctx, &obs, admin, st.ID, db, recv)
	settledAt := time.Since(t0)
	watchEnd, endWatches := context.WithTimeout(ctx, 5*time.Second)
	watches.wait(watchEnd)
	endWatches()
	fmt.Fprintf(out, "%s after %s more (%s since the first submission)\n", how,
		time.Since(settleStart).Round(100*time.Millisecond), settledAt.Round(100*time.Millisecond))

	final, cancelFinal := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancelFinal()
	if obs.orders, err = readOrders(final, admin, st.ID); err != nil {
		return nil, fmt.Errorf("read the orders at the end: %w", err)
	}
	if obs.sales, _, err = sb.Sales(final, ""); err != nil {
		return nil, fmt.Errorf("read the sales at the end: %w", err)
	}
	if obs.sales == nil {
		obs.sales = []drive.Sale{}
	}
	obs.notes, obs.refused = recv.snapshot()
	if obs.pending, err = db.pendingDeliveries(final); err != nil {
		obs.pending = -1
	}
	stats, _ := sb.Stats(final)
	unused, ferr := unusedFaults(final, sb)
	v.end(false)

	rep = &report{checks: append([]check{disrupted(events, unused, ferr), resumed(events)}, evaluate(obs)...), events: events,
		incarnations: v.incarnations, staffChanges: len(obs.expected)}
	fmt.Fprintf(out, "\n## Chaos run: seed %d, %d orders, %d kills, PostgreSQL restart %v, %d lost answers\n\n",
		cfg.seed, cfg.orders, cfg.kills, cfg.pgRestart, cfg.lostAnswers)
	fmt.Fprintln(out, "| disruption | planned | happened | back after | interrupted orders SENT (after back) |")
	fmt.Fprintln(out, "|---|---:|---:|---:|---|")
	for _, e := range events {
		back := e.down.Round(10 * time.Millisecond).String()
		if e.kind == "lost-answer" {
			back = "-"
		}
		if e.err != nil {
			back = "error: " + e.err.Error()
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s |\n", e.kind, e.at.Round(100*time.Millisecond), e.did.Round(100*time.Millisecond), back,
			e.resumedCell())
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "- submitting: %s for %d orders, %d submitOrder calls, %d orders retried, %d accepted orders submitted again on purpose; failed calls: %s\n",
		sub.done.Round(100*time.Millisecond), cfg.orders, calls, retried, sub.repeats, failures)
	fmt.Fprintf(out, "- staff: actions %s on %d sales\n", made, len(obs.expected))
	fmt.Fprintf(out, "- Lightspeed (sandbox): %d API requests, %d 429s; webhooks: %d attempts, %d delivered, %d abandoned\n",
		stats.Total, stats.RateLimited, stats.Webhooks.Attempts, stats.Webhooks.Delivered, stats.Webhooks.Abandoned)
	fmt.Fprintf(out, "- notifications received: %d deliveries (%s)\n", len(obs.notes), kindCounts(obs.notes))
	fmt.Fprintf(out, "- victim: %d incarnations, %d WARN and %d ERROR log lines\n", v.incarnations, v.warnings, v.errors)
	fmt.Fprintf(out, "- %s, %s after the first submission (%s after the last); whole run %s\n\n", how,
		settledAt.Round(100*time.Millisecond), (settledAt - sub.done).Round(100*time.Millisecond), time.Since(started).Round(time.Second))
	printChecks(out, rep.checks)
	return rep, nil
}

// disrupted is the check that the chaos happened: every planned
// disruption carried out, every lost-answer fault used by a sale creation.
func disrupted(events []event, unusedFaults int, err error) check {
	c := check{name: "planned disruptions carried out (kills, PostgreSQL restart, lost answers)", want: len(events)}
	for _, e := range events {
		if e.err == nil {
			c.got++
		} else {
			c.example("%s at %s: %v", e.kind, e.at.Round(100*time.Millisecond), e.err)
		}
	}
	if err != nil {
		c.got = -1
		c.example("read the sandbox's faults: %v", err)
	} else if unusedFaults > 0 {
		c.got -= unusedFaults
		c.example("%d lost-answer faults never met a sale creation", unusedFaults)
	}
	return c
}

// unusedFaults counts the sandbox's faults still waiting for a request.
func unusedFaults(ctx context.Context, sb drive.Sandbox) (int, error) {
	var out struct{ Data []json.RawMessage }
	_, err := sb.Call(ctx, http.MethodGet, "/control/faults", nil, &out)
	return len(out.Data), err
}

// disrupt carries out the planned disruptions at their moments. A killed
// victim stays down 0.5 to 3 s (a supervisor's restart delay) so that
// submissions and webhooks meet a closed port; the orders it was sending
// are watched until SENT. A lost answer is a sandbox fault on the next sale
// creation: Lightspeed makes the sale and the service's call hangs until it
// times out.
func disrupt(ctx context.Context, t0 time.Time, events []event, r *mrand.Rand, v *victim, cluster *pgCluster, sb drive.Sandbox,
	watches *resumes, out io.Writer) {
	for i := range events {
		e := &events[i]
		if !wait.Sleep(ctx, time.Until(t0.Add(e.at))) {
			e.err = ctx.Err()
			return
		}
		e.did = time.Since(t0)
		start := time.Now()
		switch e.kind {
		case "kill":
			watches.next()
			v.end(true)
			ids, ierr := watches.db.interrupted(ctx)
			e.interrupted = len(ids)
			pause := time.Duration(500+r.IntN(2500)) * time.Millisecond
			fmt.Fprintf(out, "  %s: victim killed (SIGKILL), restarting in %s\n", e.did.Round(100*time.Millisecond), pause)
			wait.Sleep(ctx, pause)
			e.err = v.start(ctx)
			e.down = time.Since(start)
			if e.err == nil {
				fmt.Fprintf(out, "  %s: victim back after %s, %d orders were being sent\n", time.Since(t0).Round(100*time.Millisecond),
					e.down.Round(10*time.Millisecond), len(ids))
				e.resumeErr = ierr
				if ierr == nil {
					watches.watch(ctx, e, ids, time.Now())
				}
			}
		case "pg-restart":
			fmt.Fprintf(out, "  %s: restarting %s\n", e.did.Round(100*time.Millisecond), cluster)
			e.down, e.err = cluster.restart(ctx)
			if e.err == nil {
				fmt.Fprintf(out, "  %s: PostgreSQL back after %s\n", time.Since(t0).Round(100*time.Millisecond), e.down.Round(10*time.Millisecond))
			}
		case "lost-answer":
			_, e.err = sb.Call(ctx, http.MethodPost, "/control/faults", map[string]any{"domain_prefix": drive.DemoPrefix,
				"method": "POST", "path": "/sales", "after": true, "timeout": true, "count": 1}, nil)
			if e.err == nil {
				fmt.Fprintf(out, "  %s: Lightspeed will lose its answer to the next sale creation\n", e.did.Round(100*time.Millisecond))
			}
		}
		if e.err != nil {
			fmt.Fprintf(out, "  %s: %s failed: %v\n", time.Since(t0).Round(100*time.Millisecond), e.kind, e.err)
		}
	}
}

// settle waits until the run has settled: every order in the POS with the
// status staff gave it (CONFIRMED when left alone), every notification its
// history calls for received, and no delivery job left in the victim's
// queue. It stops waiting when nothing has changed for quietFor with no
// delivery job left (what is missing then is lost: the sales feed is read
// every 15 s), or 20 s before ctx ends, leaving time for the checks.
func settle(ctx context.Context, obs *observations, admin drive.GraphQL, storeID string, db *database, recv *receiver) (bool, string) {
	deadline := time.Now().Add(time.Hour)
	if d, ok := ctx.Deadline(); ok {
		deadline = d.Add(-20 * time.Second)
	}
	last, since := "", time.Now()
	for time.Now().Before(deadline) {
		done, state := settledNow(ctx, obs, admin, storeID, db, recv)
		if done {
			return true, "settled"
		}
		if state != last || state == "" {
			last, since = state, time.Now()
		} else if time.Since(since) > quietFor {
			return false, fmt.Sprintf("gave up: nothing changed for %s and no delivery job is left", quietFor)
		}
		if !wait.Sleep(ctx, 3*time.Second) {
			break
		}
	}
	return false, "gave up: -timeout"
}

// quietFor is how long settle waits for a change that does not come.
const quietFor = 2 * time.Minute

// settledNow reports whether the run has settled and, when no delivery job
// is left, a fingerprint of what it saw ("" otherwise).
func settledNow(ctx context.Context, obs *observations, admin drive.GraphQL, storeID string, db *database, recv *receiver) (bool, string) {
	orders, err := readOrders(ctx, admin, storeID)
	if err != nil {
		return false, ""
	}
	pending, err := db.pendingDeliveries(ctx)
	if err != nil || pending > 0 {
		return false, ""
	}
	notes, _ := recv.snapshot()
	received := map[string]bool{}
	for _, n := range notes {
		status := n.Status
		if n.Kind == "new_order" {
			status = ""
		}
		received[noteKey(n.Kind, n.OrderID, status)] = true
	}
	h := fnv.New64a()
	fmt.Fprint(h, len(notes))
	done := len(orders) >= len(obs.leaflyIDs)
	for _, o := range orders {
		fmt.Fprint(h, o.ID, o.Status, o.PosSync.State, len(o.StatusHistory))
		want := "CONFIRMED"
		if s, ok := obs.expected[o.LeaflyOrderID]; ok {
			want = s
		}
		if o.PosSync.State != "SENT" || o.Status != want || !received[noteKey("new_order", o.ID, "")] {
			done = false
		}
		for j, h := range o.StatusHistory {
			if j > 0 && !received[noteKey("order_status", o.ID, h.Status)] {
				done = false
			}
		}
	}
	return done, fmt.Sprintf("%x", h.Sum64())
}

func plannedAt(events []event) string {
	if len(events) == 0 {
		return "(none)"
	}
	s := ""
	for i, e := range events {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %s", e.kind, e.at.Round(100*time.Millisecond))
	}
	return s
}

func kindCounts(notes []notification) string {
	counts := map[string]int{}
	for _, n := range notes {
		counts[n.Kind]++
	}
	s := ""
	for _, k := range []string{"new_order", "order_status"} {
		s += fmt.Sprintf("%s ×%d, ", k, counts[k])
		delete(counts, k)
	}
	for k, n := range counts {
		s += fmt.Sprintf("%s ×%d, ", k, n)
	}
	return s[:len(s)-2]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
