package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunSmoke runs every scenario at toy sizes against the real server:
// it checks the program works, not the numbers.
func TestRunSmoke(t *testing.T) {
	for name, args := range smokeDatabases(t) {
		t.Run(name, func(t *testing.T) {
			results, stdout := runResults(t, append(args, "-scenario", "all", "-duration", "300ms", "-warmup", "100ms", "-orders", "20",
				"-page-orders", "120", "-subscribers", "3,5", "-events", "5", "-event-interval", "10ms",
				"-idle", "10", "-settle", "100ms", "-cycles", "20", "-cycle-workers", "2", "-cross-subscribers", "2", "-cross-events", "5",
				"-webhook-orders", "2", "-webhook-subscribers", "2", "-webhook-interval", "10ms", "-resume-updates", "10", "-resume-runs", "2"))
			assertResults(t, name, results, stdout)
		})
	}
}

// smokeDatabases are the -db flags of the smoke tests: the embedded
// database, and PostgreSQL when TEST_DATABASE_URL is set.
func smokeDatabases(t *testing.T) map[string][]string {
	if testing.Short() {
		t.Skip("builds and starts the server: skipped with -short")
	}
	dbs := map[string][]string{"sqlite": {"-db", "sqlite"}}
	if url := os.Getenv("TEST_DATABASE_URL"); url != "" {
		dbs["postgres"] = []string{"-db", "postgres", "-database-url", url}
	}
	return dbs
}

// runResults runs the program with args and -json, and returns the results
// it wrote and what it printed.
func runResults(t *testing.T, args []string) ([]result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "results.json")
	var stdout strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, append(args, "-json", out), func(string) string { return "" }, &stdout); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Results []result }
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	return file.Results, stdout.String()
}

func assertResults(t *testing.T, db string, results []result, stdout string) {
	t.Helper()
	want := []string{"order-by-id", "orders-page", "fanout", "fanout", "fanout-updates", "fanout-updates", "idle-subscribers", "connect-cycles"}
	if db == "postgres" {
		want = append(want, "cross-replica", "cross-replica") // skipped on SQLite: one process
	}
	want = append(want, "webhook", "resume")
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d:\n%s", len(results), len(want), stdout)
	}
	for i, r := range results {
		if r.Scenario != want[i] {
			t.Errorf("result %d is %s, want %s", i, r.Scenario, want[i])
		}
		if r.Errors != 0 {
			t.Errorf("%s: %d errors, first %q", r.Scenario, r.Errors, r.FirstError)
		}
		if r.Scenario != "idle-subscribers" && r.Samples == 0 {
			t.Errorf("%s: no samples", r.Scenario)
		}
	}
	for _, r := range results[2:6] {
		if r.Values["delivered"] != r.Values["expected"] {
			t.Errorf("%s %s: delivered %v of %v", r.Scenario, r.Load, r.Values["delivered"], r.Values["expected"])
		}
	}
	if idle := results[6]; idle.Values["goroutinesAfter"] > idle.Values["goroutinesBefore"]+goroutineSlack {
		t.Errorf("idle-subscribers: goroutines %v after, %v before", idle.Values["goroutinesAfter"], idle.Values["goroutinesBefore"])
	}
	for _, r := range results[7:] {
		switch r.Scenario {
		case "connect-cycles":
			if r.Values["cycles"] != 20 || r.Values["goroutinesAfter"] > r.Values["goroutinesBefore"]+goroutineSlack {
				t.Errorf("connect-cycles: %v cycles, goroutines %v after, %v before", r.Values["cycles"], r.Values["goroutinesAfter"], r.Values["goroutinesBefore"])
			}
		case "cross-replica", "webhook":
			if r.Values["delivered"] != r.Values["expected"] || r.Values["expected"] == 0 {
				t.Errorf("%s %s: delivered %v of %v", r.Scenario, r.Load, r.Values["delivered"], r.Values["expected"])
			}
		}
		if r.Scenario == "resume" && (r.Samples != 2 || r.Values["replayed"] != 20) {
			t.Errorf("resume: %d resumes, %v updates replayed; want 2 and 20", r.Samples, r.Values["replayed"])
		}
		if r.Scenario == "webhook" && r.Values["webhooksAccepted"] != 4 {
			t.Errorf("webhook: the server accepted %v webhooks, want 4 (2 orders packed and closed)", r.Values["webhooksAccepted"])
		}
	}
	if !strings.Contains(stdout, "| scenario | db | load |") {
		t.Errorf("no results table in the output:\n%s", stdout)
	}
}

func TestParseFlags(t *testing.T) {
	env := func(string) string { return "" }
	cases := map[string]struct {
		args []string
		ok   bool
	}{
		"Defaults":        {nil, true},
		"List":            {[]string{"-scenario", "fanout,order-by-id", "-subscribers", "10,20"}, true},
		"UnknownScenario": {[]string{"-scenario", "nope"}, false},
		"BadSubscribers":  {[]string{"-subscribers", "10,x"}, false},
		"BadDB":           {[]string{"-db", "mysql"}, false},
		"ZeroDuration":    {[]string{"-duration", "0s"}, false},
		"NewScenarios":    {[]string{"-scenario", "cross-replica,webhook,connect-cycles", "-cross-subscribers", "1,100,1000"}, true},
		"BadCross":        {[]string{"-cross-subscribers", "0"}, false},
		"ZeroCrossEvents": {[]string{"-cross-events", "0"}, false},
		"ZeroCycles":      {[]string{"-cycles", "0"}, false},
		"ZeroHookOrders":  {[]string{"-webhook-orders", "0"}, false},
		"Updates":         {[]string{"-scenario", "fanout-updates,resume", "-resume-updates", "50", "-resume-runs", "3"}, true},
		"ZeroResumeRuns":  {[]string{"-resume-runs", "0"}, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseFlags(c.args, env, &strings.Builder{})
			if (err == nil) != c.ok {
				t.Errorf("parseFlags(%q) = %v, want ok %v", c.args, err, c.ok)
			}
		})
	}
	cfg, _ := parseFlags(nil, env, &strings.Builder{})
	if len(cfg.scenarios) != 9 || cfg.clients != 32 || cfg.pageOrders != 100_000 || cfg.idle != 10_000 || cfg.subscribers[0] != 1000 {
		t.Errorf("defaults: %+v", cfg)
	}
	if len(cfg.cross.subscribers) != 1 || cfg.cross.subscribers[0] != 1000 || cfg.cross.events != 200 || cfg.cycles.cycles != 10_000 || cfg.cycles.workers != 4 ||
		cfg.webhook.orders != 50 || cfg.webhook.subscribers != 1 || cfg.webhook.interval != 100*time.Millisecond {
		t.Errorf("defaults of the cross-replica, connect-cycles and webhook flags: %+v %+v %+v", cfg.cross, cfg.cycles, cfg.webhook)
	}
	if cfg.resume.updates != 1000 || cfg.resume.runs != 5 {
		t.Errorf("defaults of the resume flags: %+v", cfg.resume)
	}
}
