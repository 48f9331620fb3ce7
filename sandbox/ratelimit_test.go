package sandbox_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	e := MustEnv(t)
	tk := "lsxs_pt_demo"
	r := e.api("GET", "/outlets", tk, nil)
	if got := r.header.Get("X-RateLimit-Limit"); got != "650" { // 2 registers × 300 + 50
		t.Fatalf("X-RateLimit-Limit = %q, want 650", got)
	}
	if got := r.header.Get("X-RateLimit-Remaining"); got != "649" {
		t.Fatalf("X-RateLimit-Remaining = %q, want 649", got)
	}

	expectStatus(t, "lower the limit", e.do("POST", "/control/rate_limit", "",
		map[string]any{"domain_prefix": "demo", "limit": 3, "window_seconds": 60}), http.StatusOK)
	for i := 2; i >= 0; i-- {
		r := e.api("GET", "/outlets", tk, nil)
		expectStatus(t, "within the limit", r, http.StatusOK)
		if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(i) {
			t.Fatalf("X-RateLimit-Remaining = %q, want %d", got, i)
		}
	}
	r = e.api("GET", "/outlets", tk, nil)
	expectStatus(t, "over the limit", r, http.StatusTooManyRequests)
	body := r.json()
	if body["error"] != "Too Many Requests" || body["message"] != "Rate limiting enforced" {
		t.Errorf("429 body = %s", r.body)
	}
	retry, err := http.ParseTime(r.header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After %q is not an HTTP-date: %v", r.header.Get("Retry-After"), err)
	}
	if want := e.clock.Now().Add(60 * time.Second); !retry.Equal(want) {
		t.Errorf("Retry-After = %v, want the window's end %v", retry, want)
	}
	if _, err := strconv.Atoi(r.header.Get("Retry-After")); err == nil {
		t.Errorf("Retry-After is seconds, want an HTTP-date")
	}
	if num(e.stats()["rate_limited"]) != 1 {
		t.Errorf("stats rate_limited = %v, want 1", e.stats()["rate_limited"])
	}

	e.clock.Advance(61 * time.Second)
	expectStatus(t, "after Retry-After", e.api("GET", "/outlets", tk, nil), http.StatusOK)

	expectStatus(t, "restore", e.do("POST", "/control/rate_limit", "", map[string]any{"domain_prefix": "demo"}), http.StatusOK)
	if got := e.api("GET", "/outlets", tk, nil).header.Get("X-RateLimit-Limit"); got != "650" {
		t.Errorf("after restoring: limit %q, want 650", got)
	}
}
