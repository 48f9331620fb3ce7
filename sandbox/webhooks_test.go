package sandbox_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// hook is one webhook request as the receiver saw it.
type hook struct {
	header http.Header
	raw    []byte
}

// payload decodes the form's payload field.
func (h hook) payload(t *testing.T) map[string]any {
	t.Helper()
	form, err := url.ParseQuery(string(h.raw))
	if err != nil {
		t.Fatalf("webhook body is not form-encoded: %v", err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
		t.Fatalf("payload is not JSON: %v (%q)", err, form.Get("payload"))
	}
	return p
}

// receiver records webhooks and fails the first `failures` of them with 500.
type receiver struct {
	mu       sync.Mutex
	failures int
	got      []hook
	srv      *httptest.Server
}

func newReceiver(t *testing.T, failures int) *receiver {
	rc := &receiver{failures: failures}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, hook{header: r.Header.Clone(), raw: raw})
		if len(rc.got) <= rc.failures {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) hooks() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.got...)
}

// verify checks X-Signature as a client should: HMAC-SHA256 over the raw body.
func verify(t *testing.T, h hook, encode func([]byte) string) {
	t.Helper()
	sig := h.header.Get("X-Signature")
	parts := map[string]string{}
	for _, kv := range strings.Split(sig, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		parts[k] = v
	}
	mac := hmac.New(sha256.New, []byte(clientSecret))
	mac.Write(h.raw)
	if parts["algorithm"] != "HMAC-SHA256" || !hmac.Equal([]byte(parts["signature"]), []byte(encode(mac.Sum(nil)))) {
		t.Fatalf("X-Signature %q does not verify over the raw body", sig)
	}
}

func TestWebhookDeliverySignatureAndRetry(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	rc := newReceiver(t, 1)
	sub := map[string]any{"url": rc.srv.URL + "/hooks/lightspeed", "active": true, "type": "sale.update"}
	r := e.api("POST", "/webhooks", tk, sub)
	expectStatus(t, "subscribe", r, http.StatusCreated)
	expectStatus(t, "same type and url", e.api("POST", "/webhooks", tk, sub), http.StatusConflict)
	expectStatus(t, "bad type", e.api("POST", "/webhooks", tk, map[string]any{"url": rc.srv.URL, "active": true, "type": "sale.create"}), http.StatusBadRequest)

	id := uuid.NewString()
	expectStatus(t, "create sale", e.api("POST", "/sales", tk, e.pickupSale(id, "LEAFLY-5005")), http.StatusOK)
	waitFor(t, "a retried delivery", func() bool { return len(rc.hooks()) == 2 })

	hs := rc.hooks()
	if string(hs[0].raw) != string(hs[1].raw) {
		t.Fatalf("the retry sent a different body")
	}
	h := hs[1]
	if ct := h.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
	verify(t, h, hex.EncodeToString)
	form, _ := url.ParseQuery(string(h.raw))
	if form.Get("domain_prefix") != "demo" || form.Get("environment") != "sandbox" {
		t.Errorf("form = %v", form)
	}
	p := h.payload(t)
	if p["id"] != id || p["status"] != "AWAITING_PICKUP" || p["state"] != "pending" || p["source_id"] != "LEAFLY-5005" ||
		p["retailer_id"] != e.demo.ID || len(p["register_sale_products"].([]any)) != 1 {
		t.Fatalf("payload = %v", p)
	}
	waitFor(t, "stats", func() bool {
		w := e.stats()["webhooks"].(map[string]any)
		return num(w["attempts"]) == 2 && num(w["delivered"]) == 1
	})
}

func TestWebhookSilentEditSwitchesAndDelete(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	rc := newReceiver(t, 0)
	sub := e.api("POST", "/webhooks", tk, map[string]any{"url": rc.srv.URL, "active": true, "type": "sale.update"}).data()
	id := uuid.NewString()
	e.api("POST", "/sales", tk, e.pickupSale(id, "LEAFLY-6006"))
	waitFor(t, "the create webhook", func() bool { return len(rc.hooks()) == 1 })

	r := e.do("POST", "/control/webhooks", "", map[string]any{"signature_encoding": "base64", "legacy_only": true})
	expectStatus(t, "control webhooks", r, http.StatusOK)
	expectStatus(t, "silent edit", e.do("POST", "/demo/staff/sales/"+id+"/edit", "", nil), http.StatusOK)
	expectStatus(t, "staff pack", e.do("POST", "/demo/staff/sales/"+id+"/pack", "", nil), http.StatusOK)
	expectStatus(t, "staff close", e.do("POST", "/demo/staff/sales/"+id+"/close", "", nil), http.StatusOK)
	waitFor(t, "pack and close webhooks", func() bool { return len(rc.hooks()) == 3 })

	statuses := map[string]bool{}
	for _, h := range rc.hooks()[1:] {
		verify(t, h, base64.StdEncoding.EncodeToString)
		p := h.payload(t)
		if _, has := p["state"]; has {
			t.Errorf("legacy_only payload carries state: %v", p)
		}
		statuses[p["status"].(string)] = true
	}
	if !statuses["AWAITING_PICKUP"] || !statuses["PICKED_UP_CLOSED"] {
		t.Errorf("statuses after pack and close = %v, want AWAITING_PICKUP and PICKED_UP_CLOSED", statuses)
	}

	expectStatus(t, "delete webhook", e.api("DELETE", "/webhooks/"+sub["id"].(string), tk, nil), http.StatusOK)
	expectStatus(t, "delete again", e.api("DELETE", "/webhooks/"+sub["id"].(string), tk, nil), http.StatusNotFound)
	e.do("POST", "/demo/staff/sales/"+id+"/void", "", nil)
	if n := len(e.api("GET", "/webhooks", tk, nil).list()); n != 0 {
		t.Fatalf("%d webhooks left after delete", n)
	}
	if n := len(rc.hooks()); n != 3 {
		t.Fatalf("%d webhooks received, want 3 (none after the subscription was deleted)", n)
	}
}

func TestWebhookFromPersonalTokenIsUnsigned(t *testing.T) {
	e := MustEnv(t)
	rc := newReceiver(t, 0)
	e.api("POST", "/webhooks", "lsxs_pt_demo", map[string]any{"url": rc.srv.URL, "active": true, "type": "sale.update"})
	e.api("POST", "/sales", "lsxs_pt_demo", e.pickupSale(uuid.NewString(), "LEAFLY-7007"))
	waitFor(t, "a delivery", func() bool { return len(rc.hooks()) == 1 })
	if sig := rc.hooks()[0].header.Get("X-Signature"); sig != "" {
		t.Fatalf("personal-token webhook signed: %q", sig)
	}
}
