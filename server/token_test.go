package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/sandbox"
)

// Lightspeed's token lifecycle end to end: access tokens refused before
// their expiry are renewed, not declared invalid; a store whose renewal was
// refused recovers once one works; and no Lightspeed call holds a database
// transaction, so a slow Lightspeed delays nobody else.

// tokens steers the sandbox's access tokens (POST /control/tokens).
func (sb lsSandbox) tokens(body map[string]any) {
	sb.t.Helper()
	sb.must(http.MethodPost, "/control/tokens", "", body)
}

// refreshes returns how many refreshes the demo retailer answered, and how
// many times a refresh token was presented again after a refresh used it.
func (sb lsSandbox) refreshes() (rotated, replayed int) {
	sb.t.Helper()
	out := sb.must(http.MethodGet, "/control/stats?domain_prefix="+sandbox.DemoPrefix, "", nil)
	st := path(out, "data", sandbox.DemoPrefix)
	return int(path(st, "refreshes").(float64)), int(path(st, "refresh_replays").(float64))
}

// healthyWithoutAlert checks the store stayed healthy and raised no alert.
func (st lsStore) healthyWithoutAlert(t *testing.T) {
	t.Helper()
	if h, alerts := st.health(t); h != "HEALTHY" || len(alerts) != 0 {
		t.Errorf("health %s, alerts %v; want HEALTHY and none", h, alerts)
	}
}

// TestRevokedAccessTokenIsRenewed: Lightspeed stops taking the store's
// access token long before its expiry; the next order renews it once and
// goes through, with no alert.
func TestRevokedAccessTokenIsRenewed(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		before, _ := sb.refreshes()
		sb.tokens(map[string]any{"revoke_access": true})
		id := st.shopperOrder(t, "REVOKED-1", "revoked@example.com", anyItems(menu, 1), nil)
		st.waitPos(t, id, "SENT")
		st.healthyWithoutAlert(t)
		if n := len(sb.sales("REVOKED-1")); n != 1 {
			t.Errorf("%d sales, want 1", n)
		}
		if after, replayed := sb.refreshes(); after != before+1 || replayed != 0 {
			t.Errorf("%d refreshes and %d replayed refresh tokens, want 1 and 0", after-before, replayed)
		}
	})
}

// TestShortLivedTokensKeepOrdersFlowing: every access token stops working
// three seconds after it is issued, though it announces a day.
// Rounds of orders, sent concurrently, each start with a dead token: every
// order is one sale, no alert, no refresh token presented twice.
func TestShortLivedTokensKeepOrdersFlowing(t *testing.T) {
	t.Parallel()
	const rounds, perRound = 3, 3
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		before, _ := sb.refreshes()
		sb.tokens(map[string]any{"access_works_ms": 3000, "revoke_access": true})
		for r := range rounds {
			var ids []string
			for i := range perRound {
				email := fmt.Sprintf("short-%d-%d@example.com", r, i)
				ids = append(ids, st.shopperOrder(t, fmt.Sprintf("SHORT-%d-%d", r, i), email, anyItems(menu, 1), nil))
			}
			for _, id := range ids {
				st.waitPosWithin(t, id, "SENT", 60*time.Second)
			}
			st.waitTokenDead(t, sb)
		}
		st.healthyWithoutAlert(t)
		for r := range rounds {
			for i := range perRound {
				if n := len(sb.sales(fmt.Sprintf("SHORT-%d-%d", r, i))); n != 1 {
					t.Errorf("SHORT-%d-%d: %d sales, want 1", r, i, n)
				}
			}
		}
		after, replayed := sb.refreshes()
		t.Logf("%d orders took %d refreshes", rounds*perRound, after-before)
		if after-before < rounds || replayed != 0 {
			t.Errorf("%d refreshes and %d replayed refresh tokens, want at least %d and none", after-before, replayed, rounds)
		}
	})
}

// waitTokenDead waits until Lightspeed refuses the store's stored access
// token.
func (st lsStore) waitTokenDead(t *testing.T, sb lsSandbox) {
	t.Helper()
	db := st.s.Storage(t)
	waitFor(t, "the access token to stop working", 30*time.Second, func() bool {
		c, err := db.Credentials(context.Background(), st.ID)
		if err != nil {
			t.Fatal(err)
		}
		status, _ := sb.do(http.MethodGet, "/"+sandbox.DemoPrefix+"/api/2026-07/retailer", openToken(t, c.AccessToken), nil)
		return status == http.StatusUnauthorized
	})
}

// TestCredentialsInvalidRecoversByProbe: Lightspeed refuses the store's
// token and then, once, its refresh: the store is CREDENTIALS_INVALID and
// the order NOT_SENT. The health probe renews the tokens later, which
// works: the store is healthy, the alert resolved, the order sent.
func TestCredentialsInvalidRecoversByProbe(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_PROBE_INTERVAL": "500ms"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		sb.fault(map[string]any{"status": 400, "count": 1, "path": "/token", "method": "POST"})
		sb.tokens(map[string]any{"revoke_access": true})
		id := st.shopperOrder(t, "PROBE-1", "probe@example.com", anyItems(menu, 1), nil)
		o := st.waitPos(t, id, "NOT_SENT")
		if path(o, "posSync", "errorCode") != "CREDENTIALS_INVALID" {
			t.Errorf("errorCode %v, want CREDENTIALS_INVALID", path(o, "posSync", "errorCode"))
		}
		// The probe may have recovered the store already: the alert, not
		// the health, shows it was CREDENTIALS_INVALID.
		st.waitHealth(t, "HEALTHY")
		waitFor(t, "the alert to be resolved", 10*time.Second, func() bool {
			_, alerts := st.health(t)
			return len(alerts) == 1 && path(alerts[0], "kind") == "CREDENTIALS_INVALID" && path(alerts[0], "resolvedAt") != nil
		})
		st.waitPosWithin(t, id, "SENT", 30*time.Second)
		if n := len(sb.sales("PROBE-1")); n != 1 {
			t.Errorf("%d sales after recovery, want 1", n)
		}
	})
}

// quickCall is how long a call that touches no Lightspeed may take while
// another store waits on a slow Lightspeed: far below the 10s of the wait,
// with room for a loaded machine.
const quickCall = 3 * time.Second

// TestSlowLightspeedDelaysNobodyElse: while one store's order waits 10s on
// a customer search (or a store's token renewal waits 5s), another store's
// submitOrder and order(id) answer at once. Tokens announce a minute, less
// than the service renews ahead, so every use renews them.
func TestSlowLightspeedDelaysNobodyElse(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		sb.tokens(map[string]any{"access_ttl_ms": 60_000})
		st, menu := enabledStore(t, s)
		other := newFixture(t, s)

		for _, slow := range []struct {
			name, method, path, prefix, email string
			latencyMs                         int
		}{
			{"CustomerSearch", "GET", "/search", "SLOWSEARCH", "slow-search@example.com", 10_000},
			{"TokenRenewal", "POST", "/token", "SLOWTOKEN", "slow-token@example.com", 5_000},
		} {
			t.Run(slow.name, func(t *testing.T) {
				sb.resetCalls()
				sb.fault(map[string]any{"latency_ms": slow.latencyMs, "count": 1, "path": slow.path, "method": slow.method})
				id := st.shopperOrder(t, slow.prefix+"-1", slow.email, anyItems(menu, 1), nil)
				call := slow.method + " " + slow.path
				waitFor(t, call+" to start", 20*time.Second, func() bool {
					calls, _ := sb.calls()
					return calls[call] > 0
				})
				otherStoreAnswers(t, s, other, slow.prefix+"-OTHER")
				st.waitPos(t, id, "SENT")
			})
		}
		st.healthyWithoutAlert(t)
	})
}

// otherStoreAnswers submits and reads an order of another store, each
// within quickCall.
func otherStoreAnswers(t *testing.T, s *testServer, f fixture, leaflyID string) {
	t.Helper()
	start := time.Now()
	id := f.submit(t, s, leaflyID)
	if d := time.Since(start); d > quickCall {
		t.Errorf("another store's submitOrder took %s, want under %s", d.Round(time.Millisecond), quickCall)
	}
	start = time.Now()
	s.MustDo(t, f.Staff, `query($id: ID!) { order(id: $id) { id status } }`, map[string]any{"id": id})
	if d := time.Since(start); d > quickCall {
		t.Errorf("another store's order(id) took %s, want under %s", d.Round(time.Millisecond), quickCall)
	}
}
