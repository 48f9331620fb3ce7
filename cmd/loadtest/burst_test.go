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

// TestOrdersBurstSmoke runs orders-burst at toy sizes against the real
// server and its sandbox: it checks the program works, not the numbers.
func TestOrdersBurstSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server: skipped with -short")
	}
	dbs := map[string][]string{"sqlite": {"-db", "sqlite"}}
	if url := os.Getenv("TEST_DATABASE_URL"); url != "" {
		dbs["postgres"] = []string{"-db", "postgres", "-database-url", url}
	}
	for name, args := range dbs {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results.json")
			args = append(args, "-scenario", "orders-burst", "-burst-real", "4", "-burst-raised", "12",
				"-burst-clients", "3", "-burst-shoppers", "2", "-json", out)
			var stdout strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if err := run(ctx, args, func(string) string { return "" }, &stdout); err != nil {
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
			if len(file.Results) != 2 {
				t.Fatalf("%d results, want 2 (real and raised limit):\n%s", len(file.Results), stdout.String())
			}
			for i, want := range []float64{4, 12} {
				r := file.Results[i]
				if r.Scenario != "orders-burst" || r.Errors != 0 || r.Samples != int(want) {
					t.Errorf("%s: %d samples, %d errors (first %q), want %v and none", r.Load, r.Samples, r.Errors, r.FirstError, want)
				}
				if r.Values["salesExactlyOne"] != want || r.Values["rateLimited"] != 0 {
					t.Errorf("%s: %v orders of exactly one sale, %v 429s; want %v and 0", r.Load, r.Values["salesExactlyOne"], r.Values["rateLimited"], want)
				}
				if r.Values["callsPerOrderHistogram"] < 1 {
					t.Errorf("%s: %v calls per order", r.Load, r.Values["callsPerOrderHistogram"])
				}
			}
		})
	}
}

func TestBurstFlags(t *testing.T) {
	env := func(string) string { return "" }
	cfg, err := parseFlags([]string{"-scenario", "orders-burst,fanout", "-burst-real", "200"}, env, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.scenarios) != 2 || cfg.burst.real != 200 || cfg.burst.raised != 500 || cfg.burst.clients != 16 || cfg.burst.raisedLimit != 100_000 {
		t.Errorf("parsed %+v", cfg)
	}
	if _, err := parseFlags([]string{"-burst-clients", "0"}, env, &strings.Builder{}); err == nil {
		t.Error("-burst-clients 0 accepted")
	}
	if all, _ := parseFlags(nil, env, &strings.Builder{}); strings.Contains(strings.Join(all.scenarios, ","), "orders-burst") {
		t.Error("all includes orders-burst, which takes minutes")
	}
	if !canSustain(burstRun{orders: 150, limit: realLimit}) || canSustain(burstRun{orders: 4, limit: realLimit}) {
		t.Error("canSustain: want 150 orders to outlast the limiter's burst at 350 per 5 minutes, and 4 not")
	}
}
