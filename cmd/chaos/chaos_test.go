package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/internal/drive"
)

// TestChaosShort is the chaos run at CI size: 100 orders, one SIGKILL of
// the service, one lost Lightspeed answer, staff changes in the sandbox, no
// PostgreSQL restart (other packages' tests share the server). It needs PostgreSQL: TEST_DATABASE_URL
// names a database through which it creates (and drops) its own.
func TestChaosShort(t *testing.T) {
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
		}
		t.Skip("TEST_DATABASE_URL is not set: skipping the short chaos run (see README.md)")
	}
	if testing.Short() {
		t.Skip("builds and starts the server and kills it: skipped with -short")
	}
	cfg := config{orders: 100, kills: 1, pgRestart: false, lostAnswers: 1, seed: time.Now().UnixNano(), databaseURL: admin,
		timeout: 3 * time.Minute, clients: 4, rate: 20, logs: t.TempDir()}
	var out strings.Builder
	start := time.Now()
	rep, err := chaosRun(context.Background(), cfg, drive.LockedWriter(&out))
	t.Logf("chaos run in %s (replay with go run ./cmd/chaos -orders 100 -kills 1 -pg-restart=false -lost-answers 1 -rate 20 -seed %d):\n%s",
		time.Since(start).Round(time.Second), cfg.seed, out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !rep.ok() {
		t.Errorf("a check failed (table above)")
	}
	kinds := map[string]int{}
	for _, e := range rep.events {
		if e.err != nil {
			t.Errorf("%s: %v", e.kind, e.err)
		}
		kinds[e.kind]++
	}
	if kinds["kill"] != 1 || kinds["lost-answer"] != 1 || len(rep.events) != 2 || rep.incarnations != 2 {
		t.Errorf("disruptions %v, %d incarnations of the service: want one kill and a restart, one lost answer", kinds, rep.incarnations)
	}
	if rep.staffChanges == 0 {
		t.Error("staff changed no sale in Lightspeed")
	}
}

// goodRun is a made-up run of three orders where everything went right:
// L-0 left alone, L-1 packed then closed, L-2 voided.
func goodRun() observations {
	obs := observations{leaflyIDs: []string{"L-0", "L-1", "L-2"}, accepted: map[string]string{},
		expected: map[string]string{"L-1": "PICKED_UP", "L-2": "CANCELED"}, sales: []drive.Sale{}}
	histories := map[string][]string{
		"L-0": {"PENDING", "CONFIRMED"},
		"L-1": {"PENDING", "CONFIRMED", "READY", "PICKED_UP"},
		"L-2": {"PENDING", "CONFIRMED", "CANCELED"},
	}
	for i, id := range obs.leaflyIDs {
		orderID, saleID := fmt.Sprintf("o%d", i), fmt.Sprintf("s%d", i)
		obs.accepted[id] = orderID
		var o orderView
		o.ID, o.LeaflyOrderID, o.PosSync.State, o.PosSync.SaleID = orderID, id, "SENT", &saleID
		h := histories[id]
		o.Status = h[len(h)-1]
		for j, s := range h {
			o.StatusHistory = append(o.StatusHistory, struct{ Status string }{s})
			kind := "order_status"
			if j == 0 {
				kind = "new_order"
			}
			obs.notes = append(obs.notes, notification{ID: kind + ":" + orderID + ":" + s, Kind: kind, OrderID: orderID, LeaflyID: id, Status: s})
		}
		obs.orders = append(obs.orders, o)
		var sale drive.Sale
		sale.ID, sale.Source.ID = saleID, &obs.leaflyIDs[i]
		obs.sales = append(obs.sales, sale)
	}
	return obs
}

// TestChecksCatchFailures feeds the checks a good run, then runs with one
// thing wrong each: the check it concerns must fail (others may follow).
func TestChecksCatchFailures(t *testing.T) {
	failed := func(obs observations) []string {
		var names []string
		for _, c := range evaluate(obs) {
			if !c.ok() {
				names = append(names, c.name)
			}
		}
		return names
	}
	if f := failed(goodRun()); len(f) != 0 {
		t.Fatalf("a good run failed %q", f)
	}
	cases := map[string]struct {
		spoil func(*observations)
		check string
	}{
		"NeverAccepted": {func(o *observations) { delete(o.accepted, "L-0") }, "orders accepted"},
		"SecondOrder": {func(o *observations) {
			dup := o.orders[0]
			dup.ID = "o9"
			o.orders = append(o.orders, dup)
		}, "exactly one service order"},
		"RetryAnsweredAnother": {func(o *observations) { o.mismatch = []string{"L-1: o1 then o7"} }, "exactly one service order"},
		"SecondSale": {func(o *observations) {
			dup := o.sales[1]
			dup.ID = "s9"
			o.sales = append(o.sales, dup)
		}, "exactly one Lightspeed sale"},
		"NoSale":  {func(o *observations) { o.sales = o.sales[1:] }, "exactly one Lightspeed sale"},
		"NotSent": {func(o *observations) { o.orders[0].PosSync.State = "QUEUED" }, "order in the POS"},
		"ForeignSale": {func(o *observations) {
			o.sales = append(o.sales, drive.Sale{ID: "x", Source: drive.SaleSource{ID: new("X-1")}})
		}, "sales of no order"},
		"LostChange": {func(o *observations) { o.orders[1].Status = "READY" }, "staff changes in Lightspeed"},
		"MovedAlone": {func(o *observations) { o.orders[0].Status = "READY" }, "orders staff left alone"},
		"RedeliveredStrict": {func(o *observations) {
			o.strictNotify = true
			o.notes = append(o.notes, o.notes[1])
		}, "redeliveries"},
		"TwoNotificationsOneChange": {func(o *observations) {
			n := o.notes[1]
			n.ID = "other"
			o.notes = append(o.notes, n)
		}, "shopper notifications"},
		"NewOrderRedeliveredStrict": {func(o *observations) {
			o.strictNotify = true
			o.notes = append(o.notes, o.notes[0])
		}, "redeliveries"},
		"TwoNewOrderNotifications": {func(o *observations) {
			n := o.notes[0]
			n.ID = "other"
			o.notes = append(o.notes, n)
		}, "new-order notifications"},
		"NotNotified": {func(o *observations) { o.notes = o.notes[1:] }, "new-order notifications"},
		"NotifiedForNothing": {func(o *observations) {
			o.notes = append(o.notes, notification{Kind: "order_status", OrderID: "o0", Status: "READY"})
		}, "notifications of no status change"},
		"BadSignature": {func(o *observations) { o.refused = 1 }, "notifications of no status change"},
		"JobsLeft":     {func(o *observations) { o.pending = 2 }, "delivery jobs left"},
	}
	t.Run("RedeliveredReported", func(t *testing.T) {
		obs := goodRun()
		obs.notes = append(obs.notes, obs.notes[1], obs.notes[0])
		if f := failed(obs); len(f) != 0 {
			t.Errorf("redeliveries failed %q without -strict-notify", f)
		}
		for _, c := range evaluate(obs) {
			if strings.HasPrefix(c.name, "redeliveries") && (c.got != 2 || !c.info) {
				t.Errorf("%+v: want 2 redeliveries reported", c)
			}
		}
	})
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			obs := goodRun()
			c.spoil(&obs)
			f := failed(obs)
			if !slices.ContainsFunc(f, func(n string) bool { return strings.HasPrefix(n, c.check) }) {
				t.Errorf("failed %q; want %q among them", f, c.check)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	for seed := range uint64(50) {
		window := 100 * time.Second
		events := schedule(rand.New(rand.NewPCG(seed, 0)), 3, true, 2, window)
		var kills, restarts, lost int
		for i, e := range events {
			if e.at < window/10 || e.at > window*9/10 || (i > 0 && e.at <= events[i-1].at) {
				t.Fatalf("seed %d: %+v: want increasing moments within the middle 80%% of the window", seed, events)
			}
			switch e.kind {
			case "kill":
				kills++
			case "pg-restart":
				restarts++
			case "lost-answer":
				lost++
			}
		}
		if kills != 3 || restarts != 1 || lost != 2 {
			t.Fatalf("seed %d: %d kills, %d restarts, %d lost answers", seed, kills, restarts, lost)
		}
	}
}

func TestPlans(t *testing.T) {
	counts := map[string]int{}
	for i := range 10_000 {
		counts[fmt.Sprint(planFor(7, i))]++
	}
	if alone := counts["[]"]; alone < 3000 || alone > 4000 {
		t.Errorf("%d of 10000 orders left alone, want about 35%%: %v", alone, counts)
	}
	if fmt.Sprint(planFor(7, 42)) != fmt.Sprint(planFor(7, 42)) {
		t.Error("plans are not repeatable from the seed")
	}
}

func TestParseFlags(t *testing.T) {
	env := func(k string) string {
		if k == "CHAOS_DATABASE_URL" {
			return "postgres://x@127.0.0.1/y"
		}
		return ""
	}
	cfg, err := parseFlags(nil, env, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.orders != 1000 || cfg.kills != 3 || !cfg.pgRestart || cfg.seed == 0 || cfg.databaseURL != "postgres://x@127.0.0.1/y" {
		t.Errorf("defaults %+v", cfg)
	}
	cfg, _ = parseFlags(nil, func(string) string { return "" }, &strings.Builder{})
	if cfg.databaseURL != "postgres://postgres@127.0.0.1:5432/test?sslmode=disable" {
		t.Errorf("default database URL %q", cfg.databaseURL)
	}
	for _, bad := range [][]string{{"-orders", "0"}, {"-kills", "-1"}, {"-lost-answers", "-1"}, {"-rate", "0"}, {"-timeout", "0s"}, {"extra"}} {
		if _, err := parseFlags(bad, env, &strings.Builder{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDisruptionsMustHappen: a run whose chaos did not happen fails.
func TestDisruptionsMustHappen(t *testing.T) {
	events := []event{{kind: "kill"}, {kind: "pg-restart"}, {kind: "lost-answer"}}
	if c := disrupted(events, 0, nil); !c.ok() {
		t.Errorf("all carried out: %+v", c)
	}
	events[1].err = fmt.Errorf("pg_ctlcluster: permission denied")
	if c := disrupted(events, 0, nil); c.ok() {
		t.Errorf("a failed PostgreSQL restart passed: %+v", c)
	}
	events[1].err = nil
	if c := disrupted(events, 1, nil); c.ok() {
		t.Errorf("an unused lost-answer fault passed: %+v", c)
	}
	if c := disrupted(events, 0, fmt.Errorf("sandbox down")); c.ok() {
		t.Errorf("unknown faults passed: %+v", c)
	}
}

// TestResumedCheck: a kill whose interrupted orders took longer than the
// goal fails the check; one cut short by the next kill within the goal,
// or with nothing interrupted, passes.
func TestResumedCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		e    event
		ok   bool
	}{
		{"WithinGoal", event{kind: "kill", interrupted: 7, resumed: 12 * time.Second}, true},
		{"NothingInterrupted", event{kind: "kill"}, true},
		{"OverGoal", event{kind: "kill", interrupted: 7, resumed: 31 * time.Second}, false},
		{"CutShortWithinGoal", event{kind: "kill", interrupted: 2, resumed: 5 * time.Second, resumeErr: errCutShort}, true},
		{"CutShortOverGoal", event{kind: "kill", interrupted: 2, resumed: 40 * time.Second, resumeErr: errCutShort}, false},
		{"NotMeasured", event{kind: "kill", resumeErr: fmt.Errorf("interrupted orders: connection refused")}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := resumed([]event{c.e, {kind: "pg-restart"}})
			if got.ok() != c.ok || got.want != 1 {
				t.Errorf("check %+v: ok %v, want %v (one kill)", got, got.ok(), c.ok)
			}
		})
	}
}
