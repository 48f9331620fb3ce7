package main

import (
	"strings"
	"testing"
)

// TestRollingRestartSmoke restarts both replicas under a few dashboards and
// a short stream of orders on PostgreSQL: every dashboard must end with
// every update once, no order much later than before, no 5xx. On SQLite
// the scenario is skipped and reports nothing.
func TestRollingRestartSmoke(t *testing.T) {
	for name, args := range smokeDatabases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			results, stdout := runResults(t, append(args, "-scenario", "rolling-restart", "-restart-clients", "6", "-restart-rate", "4",
				"-restart-baseline", "2s", "-restart-settle", "500ms"))
			if name == "sqlite" {
				if len(results) != 0 || !strings.Contains(stdout, "skipped") {
					t.Errorf("on SQLite: %d results, want none and a skip:\n%s", len(results), stdout)
				}
				return
			}
			if len(results) != 1 {
				t.Fatalf("%d results, want 1:\n%s", len(results), stdout)
			}
			r := results[0]
			for _, g := range r.Goals {
				if !g.Met {
					t.Errorf("goal %q missed:\n%s", g.Target, stdout)
				}
			}
			if r.Values["exact"] != 6 || r.Values["updates"] < 5*4 || r.Values["orders"] < 8 || r.Errors != 0 {
				t.Errorf("values %v, %d errors: want 6 exact dashboards, at least 8 orders and their updates, no error", r.Values, r.Errors)
			}
		})
	}
}

func TestRestartFlags(t *testing.T) {
	env := func(string) string { return "" }
	cfg, err := parseFlags([]string{"-scenario", "rolling-restart"}, env, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.restart; c.clients != 1000 || c.rate != 2 || c.baseline.Seconds() != 20 || c.settle.Seconds() != 5 {
		t.Errorf("defaults: %+v", c)
	}
	for _, bad := range [][]string{{"-restart-clients", "0"}, {"-restart-rate", "0"}, {"-restart-baseline", "0s"}, {"-restart-settle", "-1s"}} {
		if _, err := parseFlags(bad, env, &strings.Builder{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if all, _ := parseFlags(nil, env, &strings.Builder{}); strings.Contains(strings.Join(all.scenarios, ","), "rolling-restart") {
		t.Error("all includes rolling-restart")
	}
}
