package main

import (
	"strings"
	"testing"
)

// TestOrdersBurstSmoke runs orders-burst at toy sizes against the real
// server and its sandbox: it checks the program works, not the numbers.
func TestOrdersBurstSmoke(t *testing.T) {
	for name, args := range smokeDatabases(t) {
		t.Run(name, func(t *testing.T) {
			results, stdout := runResults(t, append(args, "-scenario", "orders-burst", "-burst-real", "4", "-burst-raised", "12",
				"-burst-clients", "3", "-burst-shoppers", "2"))
			if len(results) != 2 {
				t.Fatalf("%d results, want 2 (real and raised limit):\n%s", len(results), stdout)
			}
			for i, want := range []float64{4, 12} {
				r := results[i]
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

// TestOutageSmoke runs the outage scenario briefly on the embedded
// database: one alert, every order one sale, and the figures filled in.
func TestOutageSmoke(t *testing.T) {
	args := smokeDatabases(t)["sqlite"]
	results, stdout := runResults(t, append(args, "-scenario", "outage", "-outage-length", "2s", "-outage-orders", "3", "-burst-clients", "3"))
	if len(results) != 1 {
		t.Fatalf("%d results, want 1:\n%s", len(results), stdout)
	}
	r := results[0]
	assertGoalsMet(t, r, stdout)
	if r.Values["alerts"] != 1 || r.Values["callsDuringOutage"] < 1 || r.Values["recoveryToLastSentMs"] <= 0 {
		t.Errorf("values %v: want one alert, some calls during the outage, the orders sent after it", r.Values)
	}
}
