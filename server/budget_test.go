package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/sandbox"
)

// What fields that call Lightspeed while the caller waits may spend of the
// retailer's rate budget, which order sending shares: a complexity cost per
// call, a short cache of the setup options, and a reserve kept for orders.

// setupRoutes are the Lightspeed reads behind the setup options.
var setupRoutes = []string{"GET /outlets", "GET /registers", "GET /users", "GET /payment_types"}

// aliased repeats field n times under aliases, in one operation.
func aliased(op, field string, n int) string {
	var b strings.Builder
	b.WriteString(op + " {")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	return b.String() + " }"
}

// TestLightspeedFieldsCost sends many aliases of each field that calls
// Lightspeed: the complexity limit refuses them before any call.
func TestLightspeedFieldsCost(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s, sb, st := connectedStore(t, db)
		waitForJobs(t, s)
		sb.resetCalls()

		for _, tc := range []struct {
			name, op, field string
			n               int
		}{
			{"SetupOptions", "query", `lightspeedSetupOptions(storeId: "$S") { outlets { id } }`, 50},
			{"SetupOptionsTwice", "query", `lightspeedSetupOptions(storeId: "$S") { users { id } }`, 2},
			{"ConfigureTwice", "mutation", `configureOrderIntegration(input: {storeId: "$S", outletId: "o", registerId: "r",
				userId: "u", paymentTypeId: "p"}) { enabled }`, 2},
			{"EnableTwice", "mutation", `enableOrderIntegration(storeId: "$S") { enabled }`, 2},
			{"SyncMenu", "mutation", `syncMenu(storeId: "$S") { itemCount }`, 5},
			{"ConnectPersonalToken", "mutation", `connectLightspeedPersonalToken(storeId: "$S", domainPrefix: "` +
				sandbox.DemoPrefix + `", token: "` + sandbox.DemoPersonalToken + `") { enabled }`, 13},
			{"Disable", "mutation", `disableOrderIntegration(storeId: "$S") { enabled }`, 13},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.Do(t, st.Manager, aliased(tc.op, strings.ReplaceAll(tc.field, "$S", st.ID), tc.n), nil)
				errorWith(t, r, "BAD_USER_INPUT", "complexity")
			})
		}
		if calls, total := sb.calls(); total != 0 {
			t.Errorf("refused operations made %d Lightspeed calls: %v", total, calls)
		}
	})
}

// TestSetupOptionsCache loads the setup form many times at once: one set of
// Lightspeed reads serves them all, until the store connects again.
func TestSetupOptionsCache(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s, sb, st := connectedStore(t, db)
		waitForJobs(t, s)
		sb.resetCalls()
		load := func(t *testing.T) {
			opts := path(s.MustDo(t, st.Manager, setupOptionsQuery, map[string]any{"id": st.ID}), "lightspeedSetupOptions", "registers")
			if len(opts.([]any)) == 0 {
				t.Errorf("setup options without registers: %v", opts)
			}
		}
		// One load lists each of setupRoutes, a page and the empty one
		// after it.
		reads := func(t *testing.T, sets int) {
			t.Helper()
			calls, _ := sb.calls()
			for _, r := range setupRoutes {
				if calls[r] != 2*sets {
					t.Errorf("%d %s, want %d: %d set(s) of reads (calls %v)", calls[r], r, 2*sets, sets, calls)
				}
			}
		}

		t.Run("Burst", func(t *testing.T) {
			for i := range 20 {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					t.Parallel()
					load(t)
				})
			}
		})
		reads(t, 1)

		st.connectPersonalToken(t)
		load(t)
		load(t)
		t.Run("Reconnected", func(t *testing.T) { reads(t, 2) })
	})
}

// TestInteractiveReadsLeaveBudgetToOrders nearly uses up the retailer's rate
// budget: setup reads and a menu sync are refused at once, without a call,
// while orders still go out promptly.
func TestInteractiveReadsLeaveBudgetToOrders(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_RECONCILE_INTERVAL": "1h"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		other := newLightspeedStore(t, s)
		other.connectPersonalToken(t)
		waitForJobs(t, s)

		// 400 a window: the service keeps the last 12 for orders (a quarter
		// of the burst of 40, and 2 for requests in flight). Another app of
		// the retailer uses all but 14; the first order leaves 11.
		sb.must(http.MethodPost, "/control/rate_limit", "", map[string]any{"domain_prefix": sandbox.DemoPrefix, "limit": 400, "window_seconds": 600})
		for range 400 - 14 {
			sb.api(sandbox.DemoPersonalToken, "/retailer")
		}
		st.waitPos(t, st.shopperOrder(t, "BUDGET-1", "budget@example.com", anyItems(menu, 1), nil), "SENT")
		waitForJobs(t, s)
		sb.resetCalls()

		for _, tc := range []struct{ name, query string }{
			{"SetupOptions", setupOptionsQuery},
			{"SyncMenu", syncMenuMutation},
		} {
			t.Run(tc.name, func(t *testing.T) {
				began := time.Now()
				r := s.Do(t, other.Manager, tc.query, map[string]any{"id": other.ID})
				errorWith(t, r, "LIGHTSPEED_UNAVAILABLE", "kept for sending orders")
				if d := time.Since(began); d > 5*time.Second {
					t.Errorf("the refusal took %v, want it at once", d)
				}
			})
		}
		if calls, total := sb.calls(); total != 0 {
			t.Errorf("refused reads made %d Lightspeed calls: %v", total, calls)
		}

		began := time.Now()
		st.waitPos(t, st.shopperOrder(t, "BUDGET-2", "budget@example.com", anyItems(menu, 1), nil), "SENT")
		t.Logf("the next order reached Lightspeed in %v", time.Since(began))
		if menuSync := path(other.integration(t), "menuSync", "lastError"); menuSync != nil {
			t.Errorf("a refused menu sync recorded lastError %v", menuSync)
		}
	})
}

// TestOrdersFarFromTheirTurnHoldNoWorker: with a small rate budget, an
// order whose turn is more than 10 s off does not wait for it in a worker
// or in its attempt right after commit: its send goes to the job queue for
// that turn before it starts (no attempt counted, no call made), and every
// order still becomes one sale, on its first attempt.
func TestOrdersFarFromTheirTurnHoldNoWorker(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_RECONCILE_INTERVAL": "1h"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		st.waitPos(t, st.shopperOrder(t, "TURN-0", "turn@example.com", anyItems(menu, 1), nil), "SENT")
		waitForJobs(t, s)
		// 30 a window: 3 at once, then one every 11.1 s (the service's
		// window is 5 minutes). The first order's response teaches the
		// service the limit; of the five after it, three go at once.
		sb.must(http.MethodPost, "/control/rate_limit", "", map[string]any{"domain_prefix": sandbox.DemoPrefix, "limit": 30, "window_seconds": 600})
		ids := []string{st.shopperOrder(t, "TURN-1", "turn@example.com", anyItems(menu, 1), nil)}
		st.waitPos(t, ids[0], "SENT")
		for i := range 5 {
			ids = append(ids, st.shopperOrder(t, fmt.Sprintf("TURN-%d", i+2), "turn@example.com", anyItems(menu, 1), nil))
		}
		sql := s.Storage(t).SQL()
		waitFor(t, "an order's send to wait for its turn in the job queue", 30*time.Second, func() bool {
			var later int
			err := sql.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'send_order'`).Scan(&later)
			if err != nil {
				t.Fatalf("count queued sends: %v", err)
			}
			return later > 0
		})
		for i, id := range ids {
			// Waiting for the turn was no attempt: each order was sent on
			// its first.
			if o := st.waitPosWithin(t, id, "SENT", 90*time.Second); path(o, "posSync", "attempts") != float64(1) {
				t.Errorf("TURN-%d: sent after %v attempts, want 1", i+1, path(o, "posSync", "attempts"))
			}
			if n := len(sb.sales(fmt.Sprintf("TURN-%d", i+1))); n != 1 {
				t.Errorf("TURN-%d: %d sales, want 1", i+1, n)
			}
		}
	})
}
