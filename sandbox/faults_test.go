package sandbox_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFaultStatusCount(t *testing.T) {
	e := MustEnv(t)
	expectStatus(t, "add fault", e.do("POST", "/control/faults", "",
		map[string]any{"domain_prefix": "demo", "status": 503, "count": 2, "path": "/sales"}), http.StatusCreated)
	expectStatus(t, "other path unaffected", e.api("GET", "/outlets", "lsxs_pt_demo", nil), http.StatusOK)
	for i := range 2 {
		r := e.api("GET", "/sales", "lsxs_pt_demo", nil)
		expectStatus(t, "faulted call "+string(rune('1'+i)), r, http.StatusServiceUnavailable)
	}
	expectStatus(t, "after the count", e.api("GET", "/sales", "lsxs_pt_demo", nil), http.StatusOK)

	st := e.stats()
	reqs := st["requests"].(map[string]any)
	if num(reqs["GET /sales"]) != 3 || num(reqs["GET /outlets"]) != 1 || num(st["faulted"]) != 2 {
		t.Fatalf("stats = %v, want GET /sales 3, GET /outlets 1, faulted 2", st)
	}
	e.api("GET", "/sales/abc", "lsxs_pt_demo", nil)
	if n := num(e.stats()["requests"].(map[string]any)["GET /sales/{id}"]); n != 1 {
		t.Fatalf("GET /sales/{id} counted %v times, want 1 (by path template)", n)
	}
}

func TestFaultGoneForDuration(t *testing.T) {
	e := MustEnv(t)
	e.do("POST", "/control/faults", "", map[string]any{"status": 410, "duration": "1m"})
	expectStatus(t, "during", e.api("GET", "/outlets", "lsxs_pt_demo", nil), http.StatusGone)
	e.clock.Advance(time.Minute)
	expectStatus(t, "after", e.api("GET", "/outlets", "lsxs_pt_demo", nil), http.StatusOK)
}

// TestFaultLatency: the fault's latency delays the calls it counts, and no
// call after them. The latency is long enough that a loaded machine's
// slowest local call stays well under it.
func TestFaultLatency(t *testing.T) {
	e := MustEnv(t)
	const latency = time.Second
	e.do("POST", "/control/faults", "", map[string]any{"latency_ms": latency.Milliseconds(), "count": 1})
	start := time.Now()
	expectStatus(t, "slow call", e.api("GET", "/outlets", "lsxs_pt_demo", nil), http.StatusOK)
	if d := time.Since(start); d < latency {
		t.Fatalf("call took %v, want at least %v", d, latency)
	}
	start = time.Now()
	e.api("GET", "/outlets", "lsxs_pt_demo", nil)
	if d := time.Since(start); d >= latency {
		t.Fatalf("call after the fault took %v, as long as the fault's latency", d)
	}
}

func TestFaultTimeout(t *testing.T) {
	e := MustEnv(t)
	e.do("POST", "/control/faults", "", map[string]any{"timeout": true, "method": "POST", "path": "/sales"})
	req, _ := http.NewRequest("POST", e.srv.URL+"/demo/api/2026-07/sales", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer lsxs_pt_demo")
	client := &http.Client{Timeout: 200 * time.Millisecond}
	_, err := client.Do(req)
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Fatalf("hung request: err %v, want a client timeout", err)
	}
	expectStatus(t, "GET unaffected", e.api("GET", "/sales", "lsxs_pt_demo", nil), http.StatusOK)
	expectStatus(t, "clear", e.do("DELETE", "/control/faults", "", nil), http.StatusOK)
	expectStatus(t, "after clearing", e.api("POST", "/sales", "lsxs_pt_demo", e.pickupSale("", "LEAFLY-8")), http.StatusOK)
}

func TestFaultRevoke(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes)
	expectStatus(t, "before", e.api("GET", "/outlets", tk.AccessToken, nil), http.StatusOK)
	expectStatus(t, "revoke", e.do("POST", "/control/faults", "", map[string]any{"domain_prefix": "demo", "revoke": true}), http.StatusCreated)
	expectStatus(t, "OAuth token", e.api("GET", "/outlets", tk.AccessToken, nil), http.StatusUnauthorized)
	expectStatus(t, "personal token", e.api("GET", "/outlets", "lsxs_pt_demo", nil), http.StatusUnauthorized)
	r := e.form("/demo/api/1.0/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken},
		"client_id": {clientID}, "client_secret": {clientSecret}})
	expectStatus(t, "refresh after revoke", r, http.StatusBadRequest)
	fresh := e.MustOAuth(allScopes)
	expectStatus(t, "reconnected", e.api("GET", "/outlets", fresh.AccessToken, nil), http.StatusOK)
	if n := num(e.stats()["unauthorized"]); n != 2 {
		t.Errorf("stats unauthorized = %v, want 2", n)
	}
}

func TestControlRejectsBadFaults(t *testing.T) {
	e := MustEnv(t)
	for name, body := range map[string]any{
		"NotAnError":      map[string]any{"status": 200},
		"Nothing":         map[string]any{"count": 1},
		"UnknownRetailer": map[string]any{"domain_prefix": "nope", "status": 500},
		"BadDuration":     map[string]any{"status": 500, "duration": "soon"},
	} {
		t.Run(name, func(t *testing.T) {
			if r := e.do("POST", "/control/faults", "", body); r.status/100 != 4 {
				t.Fatalf("status %d, want 4xx; body %s", r.status, r.body)
			}
		})
	}
}

func TestIndexPage(t *testing.T) {
	e := MustEnv(t)
	r := e.do("GET", "/", "", nil)
	expectStatus(t, "index", r, http.StatusOK)
	for _, want := range []string{"lsxs_pt_demo", e.demo.RegisterIDs[0], "/demo/staff/sales/", "/control/faults"} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("index page lacks %q", want)
		}
	}
}

func TestFaultLatencyKeepsTheBody(t *testing.T) {
	e := MustEnv(t)
	e.do("POST", "/control/faults", "", map[string]any{"latency_ms": 20, "method": "POST"})
	r := e.api("POST", "/customers", "lsxs_pt_demo", map[string]any{"first_name": "Slow", "last_name": "Poke"})
	expectStatus(t, "create behind latency", r, http.StatusCreated)
}
