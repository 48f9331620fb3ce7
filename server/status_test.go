package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
)

// Status changes made in Lightspeed flowing back to orders and subscribers.

// staff does what store staff do to a sale in Lightspeed.
func (sb lsSandbox) staff(saleID, action string) {
	sb.t.Helper()
	sb.must(http.MethodPost, "/"+sandbox.DemoPrefix+"/staff/sales/"+saleID+"/"+action, "", map[string]any{})
}

// waitStatus waits until the order's status is want.
func (st lsStore) waitStatus(t *testing.T, id, want string) map[string]any {
	t.Helper()
	var o map[string]any
	waitFor(t, "order "+id+" to be "+want, 20*time.Second, func() bool {
		o = st.order(t, id)
		return o["status"] == want
	})
	return o
}

func TestLightspeedStatusesFlowBack(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		c := dialWS(t, s, "graphql-transport-ws", st.Staff)
		c.expect("connection_ack")
		c.subscribe("1", statusSubscription, map[string]any{"s": st.ID})
		subscribed(t, s, 1)

		id := st.shopperOrder(t, "BACK-1", "back@example.com", anyItems(menu, 1), nil)
		sale := str(path(st.waitPos(t, id, "SENT"), "posSync", "saleId"))
		sb.staff(sale, "pack")
		st.waitStatus(t, id, "READY")
		sb.staff(sale, "close")
		o := st.waitStatus(t, id, "PICKED_UP")
		var got []string
		for _, h := range path(o, "statusHistory").([]any) {
			got = append(got, str(path(h, "status"))+"/"+str(path(h, "source")))
		}
		if want := "PENDING/MARKETPLACE CONFIRMED/POS READY/POS PICKED_UP/POS"; strings.Join(got, " ") != want {
			t.Errorf("history %v, want %s", got, want)
		}
		var live []string
		for len(live) < 4 {
			ev := c.next()
			live = append(live, str(path(ev, "orderStatusChanged", "status"))+"/"+str(path(ev, "orderStatusChanged", "source")))
		}
		if want := "PENDING/MARKETPLACE CONFIRMED/POS READY/POS PICKED_UP/POS"; strings.Join(live, " ") != want {
			t.Errorf("subscriber saw %v, want %s", live, want)
		}

		t.Run("CloseSkippingReady", func(t *testing.T) {
			id := st.shopperOrder(t, "BACK-2", "back@example.com", anyItems(menu, 1), nil)
			sb.staff(str(path(st.waitPos(t, id, "SENT"), "posSync", "saleId")), "close")
			o := st.waitStatus(t, id, "PICKED_UP")
			h := path(o, "statusHistory").([]any)
			if len(h) < 2 || path(h[len(h)-2], "status") != "READY" {
				t.Errorf("history %v, want READY recorded before PICKED_UP", h)
			}
		})

		t.Run("VoidCancels", func(t *testing.T) {
			id := st.shopperOrder(t, "BACK-3", "back@example.com", anyItems(menu, 1), nil)
			sb.staff(str(path(st.waitPos(t, id, "SENT"), "posSync", "saleId")), "void")
			st.waitStatus(t, id, "CANCELED")
			data := s.MustDo(t, st.Staff, `query($id: ID!) { order(id: $id) { cancelReason cancelReasonText } }`, map[string]any{"id": id})
			if path(data, "order", "cancelReason") != "DISPENSARY" || path(data, "order", "cancelReasonText") != "Canceled by dispensary" {
				t.Errorf("cancel %v, want DISPENSARY / Canceled by dispensary", path(data, "order"))
			}
		})
	})
}

// TestReconciliationCatchesMissedWebhooks removes the store's webhook in
// Lightspeed: a change made there still reaches the order within one
// reconciliation interval.
func TestReconciliationCatchesMissedWebhooks(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_RECONCILE_INTERVAL": "1s"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		token := openToken(t, st.credentials(t).AccessToken)
		hooks := sb.api(token, "/webhooks").([]any)
		if len(hooks) != 1 {
			t.Fatalf("webhooks %v, want the store's one", hooks)
		}
		for _, h := range hooks {
			sb.must(http.MethodDelete, "/"+sandbox.DemoPrefix+"/api/2026-07/webhooks/"+str(path(h, "id")), token, nil)
		}
		id := st.shopperOrder(t, "SILENT-1", "silent@example.com", anyItems(menu, 1), nil)
		sb.staff(str(path(st.waitPos(t, id, "SENT"), "posSync", "saleId")), "pack")
		st.waitStatus(t, id, "READY")
	})
}

// TestWebhookIntake posts webhooks by hand: bad ones change nothing, copies
// are harmless.
func TestWebhookIntake(t *testing.T) {
	t.Parallel()
	s := startLightspeedServer(t, database{"sqlite", map[string]string{"DATA_DIR": t.TempDir()}}, nil)
	sb := sandboxOf(t, s)
	st, menu := enabledStore(t, s)
	id := st.shopperOrder(t, "HOOK-1", "hook@example.com", anyItems(menu, 1), nil)
	sale := str(path(st.waitPos(t, id, "SENT"), "posSync", "saleId"))
	hookURL := s.URL + pos.WebhookPath + st.credentials(t).WebhookToken
	body := url.Values{"payload": {`{"id":"` + sale + `","status":"AWAITING_PICKUP"}`}, "domain_prefix": {"demo"}}.Encode()
	sign := func(b string) string {
		m := hmac.New(sha256.New, []byte(sandboxClientSecret))
		m.Write([]byte(b))
		return "signature=" + hex.EncodeToString(m.Sum(nil)) + ",algorithm=HMAC-SHA256"
	}
	post := func(u, b, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(b))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set("X-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name, url, body, sig string
		want                 int
	}{
		{"Unsigned", hookURL, body, "", http.StatusUnauthorized},
		{"WrongSignature", hookURL, body, sign(body + "x"), http.StatusUnauthorized},
		{"UnknownConnection", s.URL + pos.WebhookPath + "nobody", body, sign(body), http.StatusNotFound},
		{"Malformed", hookURL, "payload=not-json", sign("payload=not-json"), http.StatusBadRequest},
		{"OK", hookURL, body, sign(body), http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := post(c.url, c.body, c.sig); got != c.want {
				t.Errorf("status %d, want %d", got, c.want)
			}
		})
	}
	sb.staff(sale, "pack")
	st.waitStatus(t, id, "READY")
	for range 5 {
		if got := post(hookURL, body, sign(body)); got != http.StatusOK {
			t.Fatalf("copy answered %d", got)
		}
	}
	o := st.order(t, id)
	if n := len(path(o, "statusHistory").([]any)); n != 3 {
		t.Errorf("history %v after five copies of a webhook, want PENDING, CONFIRMED, READY", path(o, "statusHistory"))
	}
}

// TestReconciliationStopsAtKnownSales: the reconciliation at start reads
// the feed from its cursor; a short page of sales the service made itself,
// and so knows, is the last it reads: one call, not one more for the empty
// page after it (during a burst of orders it would chase them call by
// call with the orders' turns).
func TestReconciliationStopsAtKnownSales(t *testing.T) {
	t.Parallel()
	url, host, sb := sandboxHost(t)
	p := lightspeedProcess(t, host, url)
	st, menu := enabledStore(t, p)
	for i := range 3 {
		st.waitPos(t, st.shopperOrder(t, fmt.Sprintf("KNOWN-%d", i), "known@example.com", anyItems(menu, 1), nil), "SENT")
	}
	waitForJobs(t, p)
	p.Crash(t)
	sb.resetCalls()
	st.s = lightspeedProcess(t, host, url)
	// The periodic reconciliation runs on River's leader: the crashed
	// process's term lasts up to 15 s after its last renewal, and the new
	// process tries every 5 s (River's leader TTL and elect interval).
	waitFor(t, "the reconciliation at start", 45*time.Second, func() bool {
		calls, _ := sb.calls()
		return calls["GET /sales"] > 0
	})
	waitForJobs(t, st.s)
	if calls, _ := sb.calls(); calls["GET /sales"] != 1 {
		t.Errorf("the reconciliation read the feed %d times, want once: %v", calls["GET /sales"], calls)
	}
}
