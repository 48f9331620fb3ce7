package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
)

// Replayed Lightspeed webhooks: acknowledged, and costing no row and no call.

// hookPoster posts signed sale.update webhooks to a store's webhook URL as
// Lightspeed does.
type hookPoster struct {
	t   *testing.T
	url string
}

// saleBody is a sale.update body for the sale; version "" leaves the
// version out of the payload (Lightspeed does not document that it has one).
func saleBody(sale, version, status string) string {
	payload := `{"id":"` + sale + `","status":"` + status + `"`
	if version != "" {
		payload += `,"version":` + version
	}
	return url.Values{"payload": {payload + "}"}, "domain_prefix": {sandbox.DemoPrefix}, "environment": {"sandbox"}}.Encode()
}

// post sends body signed with the sandbox's client secret and returns the
// answer's status (0 when it could not be sent). Safe from any goroutine.
func (p hookPoster) post(body string) int {
	m := hmac.New(sha256.New, []byte(sandboxClientSecret))
	m.Write([]byte(body))
	req, _ := http.NewRequest(http.MethodPost, p.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Signature", "signature="+hex.EncodeToString(m.Sum(nil))+",algorithm=HMAC-SHA256")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Errorf("post webhook: %v", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// postCopies posts body n times from 10 clients at once; every copy must be
// answered 200.
func (p hookPoster) postCopies(body string, n int) {
	p.t.Helper()
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Go(func() {
			for i := w; i < n; i += 10 {
				statuses <- p.post(body)
			}
		})
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != http.StatusOK {
			p.t.Fatalf("a copy of the webhook was answered %d, want 200", st)
		}
	}
}

// countRows runs a SELECT count(*) on the server's database.
func countRows(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// webhookRows counts the webhook bodies the server keeps.
func webhookRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	return countRows(t, db, `SELECT count(*) FROM lightspeed_webhooks`)
}

// waitJobsDone waits until no job is left to run.
func waitJobsDone(t *testing.T, db *sql.DB) {
	t.Helper()
	waitFor(t, "every job to have run", 20*time.Second, func() bool {
		return countRows(t, db, `SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`) == 0
	})
}

// silentStore is an enabled store whose webhook is removed in Lightspeed,
// so that the test's webhooks are the only ones, and the test's poster.
func silentStore(t *testing.T, s *testServer) (lsStore, map[string]map[string]any, hookPoster, string) {
	t.Helper()
	sb := sandboxOf(t, s)
	st, menu := enabledStore(t, s)
	token := openToken(t, st.credentials(t).AccessToken)
	for _, h := range sb.api(token, "/webhooks").([]any) {
		sb.must(http.MethodDelete, "/"+sandbox.DemoPrefix+"/api/2026-07/webhooks/"+str(path(h, "id")), token, nil)
	}
	return st, menu, hookPoster{t, s.URL + pos.WebhookPath + st.credentials(t).WebhookToken}, token
}

// saleVersion reads the sale's current version from Lightspeed.
func saleVersion(sb lsSandbox, token, sale string) int64 {
	sb.t.Helper()
	return int64(path(sb.api(token, "/sales/"+sale), "version").(float64))
}

// TestWebhookReplay posts copies and replays of signed webhooks: each is
// answered 200; a copy of a kept body, a version the order has applied and
// an implausible version cost no row and no Lightspeed call; a real newer
// version after them is still applied.
func TestWebhookReplay(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_RECONCILE_INTERVAL": "1h"})
		sb := sandboxOf(t, s)
		st, menu, hooks, token := silentStore(t, s)
		closed := st.shopperOrder(t, "REPLAY-1", "replay@example.com", anyItems(menu, 1), nil)
		closedSale := str(path(st.waitPos(t, closed, "SENT"), "posSync", "saleId"))
		created := saleVersion(sb, token, closedSale)
		pending := st.shopperOrder(t, "REPLAY-2", "replay@example.com", anyItems(menu, 1), nil)
		pendingSale := str(path(st.waitPos(t, pending, "SENT"), "posSync", "saleId"))
		waitForJobs(t, s)
		sqlDB := s.Storage(t).SQL()
		rows := webhookRows(t, sqlDB)

		// costs posts bodies and reports the rows they added and the
		// Lightspeed calls they caused once every job has run.
		costs := func(t *testing.T, post func()) (int, int) {
			t.Helper()
			sb.resetCalls()
			post()
			waitJobsDone(t, sqlDB)
			calls, total := sb.calls()
			now := webhookRows(t, sqlDB)
			added := now - rows
			rows = now
			t.Logf("%d rows, %d calls: %v", added, total, calls)
			return added, total
		}

		t.Run("CopiesOfNews", func(t *testing.T) {
			sb.staff(closedSale, "close")
			body := saleBody(closedSale, fmt.Sprint(saleVersion(sb, token, closedSale)), "CLOSED")
			added, calls := costs(t, func() { hooks.postCopies(body, 50) })
			if added != 1 || calls > 1 {
				t.Errorf("50 copies of one webhook kept %d rows and made %d Lightspeed calls, want 1 row and at most 1 call", added, calls)
			}
			st.waitStatus(t, closed, "PICKED_UP")
		})

		t.Run("CopiesWithoutVersion", func(t *testing.T) {
			body := saleBody(pendingSale, "", "AWAITING_PICKUP")
			added, _ := costs(t, func() { hooks.postCopies(body, 50) })
			if added != 1 {
				t.Errorf("50 copies of a webhook without a version kept %d rows, want 1", added)
			}
			_, calls := costs(t, func() { hooks.postCopies(body, 5) })
			if calls != 0 {
				t.Errorf("5 more copies made %d Lightspeed calls, want 0", calls)
			}
		})

		applied := saleVersion(sb, token, closedSale)
		cases := []struct{ name, sale, version string }{
			{"AppliedVersion", closedSale, fmt.Sprint(applied)},
			{"OlderVersion", closedSale, fmt.Sprint(created)},
			{"VersionZero", pendingSale, "0"},
			{"NegativeVersion", pendingSale, "-5"},
			{"VersionFarAhead", pendingSale, fmt.Sprint(applied + 1<<40 + 1)},
			{"VersionAtTheLimit", pendingSale, fmt.Sprint(int64(1<<63 - 1))},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// A body never posted before: only the version can make it a replay.
				body := saleBody(c.sale, c.version, "REPLAYED_"+c.name)
				added, calls := costs(t, func() {
					if got := hooks.post(body); got != http.StatusOK {
						t.Errorf("answered %d, want 200", got)
					}
				})
				if added != 0 || calls != 0 {
					t.Errorf("version %s kept %d rows and made %d Lightspeed calls, want none", c.version, added, calls)
				}
			})
		}

		t.Run("NewerVersionAfterReplays", func(t *testing.T) {
			sb.staff(pendingSale, "pack")
			body := saleBody(pendingSale, fmt.Sprint(saleVersion(sb, token, pendingSale)), "AWAITING_PICKUP")
			if got := hooks.post(body); got != http.StatusOK {
				t.Fatalf("answered %d, want 200", got)
			}
			st.waitStatus(t, pending, "READY")
		})
	})
}

// TestWebhookRetention keeps webhook bodies for WEBHOOK_RETENTION: a
// periodic job deletes older ones.
func TestWebhookRetention(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_RECONCILE_INTERVAL": "1h", "WEBHOOK_RETENTION": "3s"})
		st, menu, hooks, _ := silentStore(t, s)
		id := st.shopperOrder(t, "RETAIN-1", "retain@example.com", anyItems(menu, 1), nil)
		sale := str(path(st.waitPos(t, id, "SENT"), "posSync", "saleId"))
		if got := hooks.post(saleBody(sale, "", "AWAITING_PICKUP")); got != http.StatusOK {
			t.Fatalf("answered %d, want 200", got)
		}
		sqlDB := s.Storage(t).SQL()
		if n := webhookRows(t, sqlDB); n != 1 {
			t.Fatalf("%d webhook rows right after a webhook, want 1", n)
		}
		waitFor(t, "the webhook to be pruned", 30*time.Second, func() bool { return webhookRows(t, sqlDB) == 0 })
	})
}

// applySaleJobs counts the apply_sale jobs River holds, whatever their state.
func applySaleJobs(t *testing.T, db *sql.DB) int {
	t.Helper()
	return countRows(t, db, `SELECT count(*) FROM river_job WHERE kind = 'apply_sale'`)
}

// TestWebhookAppliedInline checks a webhook's sale is applied before the
// webhook is answered, with the webhook kept and the re-read in the
// order's trail, and no job; and that a failed re-read keeps the webhook
// with a job, which applies it.
func TestWebhookAppliedInline(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_RECONCILE_INTERVAL": "1h"})
		sb := sandboxOf(t, s)
		st, menu, hooks, token := silentStore(t, s)
		id := st.shopperOrder(t, "INLINE-1", "inline@example.com", anyItems(menu, 1), nil)
		sale := str(path(st.waitPos(t, id, "SENT"), "posSync", "saleId"))
		waitForJobs(t, s)
		sqlDB := s.Storage(t).SQL()
		jobs := applySaleJobs(t, sqlDB)

		rows := webhookRows(t, sqlDB)
		reads := func() int {
			return countRows(t, sqlDB, `SELECT count(*) FROM lightspeed_calls WHERE order_id = '`+id+`' AND method = 'GET'`)
		}
		read := reads()

		sb.staff(sale, "pack")
		if got := hooks.post(saleBody(sale, fmt.Sprint(saleVersion(sb, token, sale)), "AWAITING_PICKUP")); got != http.StatusOK {
			t.Fatalf("answered %d, want 200", got)
		}
		if got := st.order(t, id)["status"]; got != "READY" {
			t.Errorf("status %v once the webhook is answered, want READY", got)
		}
		if n := applySaleJobs(t, sqlDB); n != jobs {
			t.Errorf("%d apply_sale jobs after a webhook applied inline, want %d", n, jobs)
		}
		if n := webhookRows(t, sqlDB); n != rows+1 {
			t.Errorf("%d webhook rows once a webhook is applied inline, want %d", n, rows+1)
		}
		if n := reads(); n <= read {
			t.Errorf("%d GET calls in the order's trail once its webhook is answered, want more than %d", n, read)
		}

		// Lightspeed fails the re-read: the webhook is kept with a job,
		// which applies the sale.
		sb.staff(sale, "close")
		closed := saleBody(sale, fmt.Sprint(saleVersion(sb, token, sale)), "CLOSED")
		sb.fault(map[string]any{"status": 500, "path": "/sales/", "method": "GET", "count": 1})
		if got := hooks.post(closed); got != http.StatusOK {
			t.Fatalf("answered %d, want 200", got)
		}
		if n := applySaleJobs(t, sqlDB); n != jobs+1 {
			t.Errorf("%d apply_sale jobs after a failed inline application, want %d", n, jobs+1)
		}
		st.waitStatus(t, id, "PICKED_UP")
	})
}

// TestWebhookWhileSending posts webhooks of a sale while its order's send
// is still recording it (Lightspeed made the sale, its answer is slow):
// each is kept without a job, and the send, recording the sale as it finds
// it, has the sale re-read once, for the one version newer than that.
func TestWebhookWhileSending(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_RECONCILE_INTERVAL": "1h", "LIGHTSPEED_TIMEOUT": "10s"})
		sb := sandboxOf(t, s)
		st, menu, hooks, token := silentStore(t, s)
		sqlDB := s.Storage(t).SQL()
		jobs, rows := applySaleJobs(t, sqlDB), webhookRows(t, sqlDB)

		sb.fault(map[string]any{"after": true, "timeout": true, "path": "/sales", "method": "POST", "count": 1})
		id := st.shopperOrder(t, "WHILE-1", "while@example.com", anyItems(menu, 1), nil)
		var sale string
		waitFor(t, "Lightspeed to make the sale", 20*time.Second, func() bool {
			if sales := sb.sales("WHILE-1"); len(sales) == 1 {
				sale = str(sales[0]["id"])
			}
			return sale != ""
		})
		made := saleVersion(sb, token, sale)
		sb.staff(sale, "pack")
		packed := saleVersion(sb, token, sale)
		for _, v := range []int64{made, packed, packed + 3} {
			if got := hooks.post(saleBody(sale, fmt.Sprint(v), "SAVED")); got != http.StatusOK {
				t.Fatalf("webhook of version %d answered %d, want 200", v, got)
			}
		}
		if state := path(st.order(t, id), "posSync", "state"); state != "QUEUED" {
			t.Fatalf("posSync state %v once the webhooks are answered, want QUEUED (the send still waiting)", state)
		}
		if n := webhookRows(t, sqlDB); n != rows+3 {
			t.Errorf("%d webhook rows kept while the order is sent, want %d", n, rows+3)
		}
		if n := applySaleJobs(t, sqlDB); n != jobs {
			t.Errorf("%d apply_sale jobs for webhooks kept while the order is sent, want %d", n, jobs)
		}

		o := st.waitPosWithin(t, id, "SENT", 30*time.Second)
		if o["status"] != "READY" {
			t.Errorf("status %v once sent, want READY (the sale was packed)", o["status"])
		}
		waitJobsDone(t, sqlDB)
		if n := applySaleJobs(t, sqlDB); n != jobs+1 {
			t.Errorf("%d apply_sale jobs once the sale is recorded, want %d: one for the version newer than it", n, jobs+1)
		}
	})
}
