package main

import (
	"strings"
	"testing"
)

// TestStoresSmoke runs the stores scenario at toy sizes on PostgreSQL:
// every update reaches every dashboard of its store. On SQLite it is
// skipped and reports nothing.
func TestStoresSmoke(t *testing.T) {
	for name, args := range smokeDatabases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			results, stdout := runResults(t, append(args, "-scenario", "stores", "-stores", "5", "-store-subscribers", "2",
				"-stores-rate", "4", "-stores-duration", "1s"))
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
			if r.Errors != 0 || r.Values["expected"] != 4*4*2 || r.Values["delivered"] != r.Values["expected"] {
				t.Errorf("%d errors (first %q), delivered %v of %v; want none, all of 32", r.Errors, r.FirstError, r.Values["delivered"], r.Values["expected"])
			}
		})
	}
}

func TestStoresFlags(t *testing.T) {
	env := func(string) string { return "" }
	cfg, err := parseFlags([]string{"-scenario", "stores"}, env, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.stores; c.stores != 1000 || c.subscribers != 10 || c.rate != 5 || c.duration.Seconds() != 30 {
		t.Errorf("defaults: %+v", c)
	}
	for _, bad := range [][]string{{"-stores", "0"}, {"-store-subscribers", "0"}, {"-stores-rate", "0"}, {"-stores-duration", "0s"}} {
		if _, err := parseFlags(bad, env, &strings.Builder{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
