package main

import (
	"slices"
	"strings"
	"testing"
)

// restartSmokeArgs and storesSmokeArgs size rolling-restart and stores for
// a smoke test.
var (
	restartSmokeArgs = []string{"-restart-clients", "6", "-restart-rate", "4", "-restart-baseline", "2s", "-restart-settle", "500ms"}
	storesSmokeArgs  = []string{"-stores", "5", "-store-subscribers", "2", "-stores-rate", "4", "-stores-duration", "1s"}
)

// TestReplicaScenariosSmoke runs the two-replica scenarios that run only
// when named at toy sizes on PostgreSQL: rolling-restart restarts both
// replicas under a few dashboards and a short stream of orders (every
// dashboard every update once, no order much later than before, no 5xx);
// stores streams orders over a few stores (every update to every dashboard
// of its store). On SQLite both are skipped and report nothing.
func TestReplicaScenariosSmoke(t *testing.T) {
	scenarios := map[string]struct {
		args  []string
		check func(r result) bool
	}{
		"rolling-restart": {restartSmokeArgs,
			func(r result) bool {
				return r.Values["exact"] == 6 && r.Values["updates"] >= 5*4 && r.Values["orders"] >= 8
			}},
		"stores": {storesSmokeArgs,
			func(r result) bool {
				return r.Values["expected"] == 4*4*2 && r.Values["delivered"] == r.Values["expected"]
			}},
	}
	for db, dbArgs := range smokeDatabases(t) {
		for scenario, c := range scenarios {
			t.Run(db+"/"+scenario, func(t *testing.T) {
				t.Parallel()
				results, stdout := runResults(t, append(append(dbArgs, "-scenario", scenario), c.args...))
				if db == "sqlite" {
					if len(results) != 0 || !strings.Contains(stdout, "skipped") {
						t.Errorf("on SQLite: %d results, want none and a skip:\n%s", len(results), stdout)
					}
					return
				}
				if len(results) != 1 {
					t.Fatalf("%d results, want 1:\n%s", len(results), stdout)
				}
				r := results[0]
				assertGoalsMet(t, r, stdout)
				if r.Errors != 0 || !c.check(r) {
					t.Errorf("values %v, %d errors (first %q):\n%s", r.Values, r.Errors, r.FirstError, stdout)
				}
			})
		}
	}
}

// TestReplicaScenariosInOneRun runs stores and then rolling-restart in one
// run, on one database. The stores scenario's servers set up the sandbox's
// demo store; when rolling-restart starts, that sandbox is gone, so the demo
// store's menu syncs fail and stay queued: rolling-restart retires it, as
// the scenarios with a sandbox of their own do, instead of waiting for the
// queue to empty.
func TestReplicaScenariosInOneRun(t *testing.T) {
	for db, dbArgs := range smokeDatabases(t) {
		if db != "postgres" {
			continue // both scenarios are skipped on SQLite
		}
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			args := slices.Concat(dbArgs, []string{"-scenario", "stores,rolling-restart"}, storesSmokeArgs, restartSmokeArgs)
			results, stdout := runResults(t, args)
			if len(results) != 2 {
				t.Fatalf("%d results, want 2:\n%s", len(results), stdout)
			}
			for _, r := range results {
				assertGoalsMet(t, r, stdout)
			}
		})
	}
}

// assertGoalsMet fails the test for each goal r missed.
func assertGoalsMet(t *testing.T, r result, stdout string) {
	t.Helper()
	for _, g := range r.Goals {
		if !g.Met {
			t.Errorf("goal %q missed:\n%s", g.Target, stdout)
		}
	}
}

func TestReplicaScenarioFlags(t *testing.T) {
	env := func(string) string { return "" }
	cfg, err := parseFlags([]string{"-scenario", "rolling-restart,stores"}, env, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.restart; c.clients != 1000 || c.rate != 2 || c.baseline.Seconds() != 20 || c.settle.Seconds() != 5 {
		t.Errorf("rolling-restart defaults: %+v", c)
	}
	if c := cfg.stores; c.stores != 1000 || c.subscribers != 10 || c.rate != 5 || c.duration.Seconds() != 30 {
		t.Errorf("stores defaults: %+v", c)
	}
	for _, bad := range [][]string{{"-restart-clients", "0"}, {"-restart-rate", "0"}, {"-restart-baseline", "0s"}, {"-restart-settle", "-1s"},
		{"-stores", "0"}, {"-store-subscribers", "0"}, {"-stores-rate", "0"}, {"-stores-duration", "0s"}} {
		if _, err := parseFlags(bad, env, &strings.Builder{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	all, _ := parseFlags(nil, env, &strings.Builder{})
	for _, named := range []string{"rolling-restart", "stores"} {
		if strings.Contains(strings.Join(all.scenarios, ","), named) {
			t.Errorf("all includes %s", named)
		}
	}
}

// TestFailedChecks: a missed goal of rolling-restart fails the run; a
// missed performance goal of another scenario does not.
func TestFailedChecks(t *testing.T) {
	missed := []goal{{"x", false}}
	if err := failedChecks([]result{{Scenario: "fanout", Goals: missed}}); err != nil {
		t.Errorf("fanout's missed goal failed the run: %v", err)
	}
	if err := failedChecks([]result{{Scenario: "rolling-restart", Goals: missed}}); err == nil {
		t.Error("rolling-restart's missed goal did not fail the run")
	}
}
