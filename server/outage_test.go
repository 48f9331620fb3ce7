package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// When Lightspeed fails: health, one alert per incident, the dashboard
// fallback and recovery, driven by the sandbox's fault injection.

const healthQuery = `query($id: ID!) { store(id: $id) { orderIntegration { health } } alerts(storeId: $id) { kind resolvedAt } }`

// health reads the store's integration health and its alerts.
func (st lsStore) health(t *testing.T) (string, []any) {
	t.Helper()
	data := st.s.MustDo(t, st.Manager, healthQuery, map[string]any{"id": st.ID})
	return str(path(data, "store", "orderIntegration", "health")), path(data, "alerts").([]any)
}

func (st lsStore) waitHealth(t *testing.T, want string) []any {
	t.Helper()
	var alerts []any
	waitFor(t, "health "+want, 60*time.Second, func() bool {
		var h string
		h, alerts = st.health(t)
		return h == want
	})
	return alerts
}

func TestPartnerOutageThenRecovery(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"ORDER_POS_DEADLINE": "2s", "LIGHTSPEED_PROBE_INTERVAL": "500ms"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		c := dialWS(t, s, "graphql-transport-ws", st.Manager)
		c.expect("connection_ack")
		c.subscribe("1", `subscription($s: ID!) { alertRaised(storeId: $s) { kind message } }`, map[string]any{"s": st.ID})
		subscribed(t, s, 1)

		sb.fault(map[string]any{"status": 503, "duration": "1h"})
		untouched := st.shopperOrder(t, "OUT-1", "out@example.com", anyItems(menu, 1), nil)
		handled := st.shopperOrder(t, "OUT-2", "out@example.com", anyItems(menu, 1), nil)
		st.waitHealth(t, "PARTNER_OUTAGE")
		if ev := c.next(); path(ev, "alertRaised", "kind") != "PARTNER_OUTAGE" {
			t.Errorf("alertRaised %v, want PARTNER_OUTAGE", ev)
		}
		for _, id := range []string{untouched, handled} {
			o := st.waitPosWithin(t, id, "NOT_SENT", 60*time.Second)
			if path(o, "posSync", "errorCode") != "PARTNER_OUTAGE" {
				t.Errorf("errorCode %v, want PARTNER_OUTAGE", path(o, "posSync", "errorCode"))
			}
		}
		data := s.MustDo(t, st.Staff, `query($id: ID!) { order(id: $id) { actionable } }`, map[string]any{"id": handled})
		if path(data, "order", "actionable") != true {
			t.Error("a NOT_SENT order is not actionable")
		}
		s.MustDo(t, st.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { status } }`, map[string]any{"id": handled})
		if _, alerts := st.health(t); len(alerts) != 1 {
			t.Errorf("alerts %v, want one for the incident", alerts)
		}

		sb.must(http.MethodDelete, "/control/faults", "", nil)
		st.waitHealth(t, "HEALTHY")
		waitFor(t, "the alert to be resolved", 10*time.Second, func() bool {
			_, alerts := st.health(t)
			return len(alerts) == 1 && path(alerts[0], "resolvedAt") != nil
		})
		st.waitPosWithin(t, untouched, "SENT", 30*time.Second)
		if n := len(sb.sales("OUT-1")); n != 1 {
			t.Errorf("untouched order: %d sales, want 1", n)
		}
		if n := len(sb.sales("OUT-2")); n != 0 {
			t.Errorf("order handled on the dashboard: %d sales, want none", n)
		}
		r := s.Do(t, st.Staff, `mutation($id: ID!) { retryOrderSync(id: $id) { id } }`, map[string]any{"id": handled})
		errorWith(t, r, "CONFLICT", "already handled")
	})
}

// TestTimeoutsAreAnOutage: Lightspeed stops answering. Requests give up
// after LIGHTSPEED_TIMEOUT and count as outage failures; the order keeps
// the trail of its timed-out calls and is sent once Lightspeed answers again.
func TestTimeoutsAreAnOutage(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_TIMEOUT": "300ms", "ORDER_POS_DEADLINE": "1h", "LIGHTSPEED_PROBE_INTERVAL": "500ms"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		sb.fault(map[string]any{"timeout": true, "duration": "1h"})
		id := st.shopperOrder(t, "SLOW-1", "slow@example.com", anyItems(menu, 1), nil)
		st.waitHealth(t, "PARTNER_OUTAGE")
		waitFor(t, "one PARTNER_OUTAGE alert", 10*time.Second, func() bool {
			_, alerts := st.health(t)
			return len(alerts) == 1 && path(alerts[0], "kind") == "PARTNER_OUTAGE"
		})
		q := `query($id: ID!) { order(id: $id) { posCalls { status durationMs error } } }`
		calls := path(st.s.MustDo(t, st.Manager, q, map[string]any{"id": id}), "order", "posCalls").([]any)
		if len(calls) == 0 {
			t.Fatal("no Lightspeed call in the order's trail")
		}
		for _, c := range calls {
			if path(c, "status") != float64(0) || path(c, "error") == nil {
				t.Errorf("timed-out call %v: want status 0 and an error", c)
			}
			if ms := path(c, "durationMs").(float64); ms < 250 || ms > 5000 {
				t.Errorf("timed-out call took %vms, want about LIGHTSPEED_TIMEOUT (300ms)", ms)
			}
		}
		sb.must(http.MethodDelete, "/control/faults", "", nil)
		st.waitHealth(t, "HEALTHY")
		st.waitPosWithin(t, id, "SENT", 60*time.Second)
		if n := len(sb.sales("SLOW-1")); n != 1 {
			t.Errorf("%d sales after the timeouts, want 1", n)
		}
	})
}

func TestSingleBlipIsNoOutage(t *testing.T) {
	t.Parallel()
	s := startLightspeedServer(t, database{"sqlite", map[string]string{"DATA_DIR": t.TempDir()}}, nil)
	sb := sandboxOf(t, s)
	st, menu := enabledStore(t, s)
	sb.fault(map[string]any{"status": 502, "count": 1, "path": "/sales", "method": "POST"})
	id := st.shopperOrder(t, "BLIP-1", "blip@example.com", anyItems(menu, 1), nil)
	st.waitPos(t, id, "SENT")
	if h, alerts := st.health(t); h != "HEALTHY" || len(alerts) != 0 {
		t.Errorf("after one 502: health %s, alerts %v; want HEALTHY and none", h, alerts)
	}
}

func TestCredentialsRevokedThenReconnected(t *testing.T) {
	t.Parallel()
	s := startLightspeedServer(t, database{"sqlite", map[string]string{"DATA_DIR": t.TempDir()}}, nil)
	sb := sandboxOf(t, s)
	st, menu := enabledStore(t, s)
	sb.fault(map[string]any{"revoke": true})
	id := st.shopperOrder(t, "CRED-1", "cred@example.com", anyItems(menu, 1), nil)
	o := st.waitPos(t, id, "NOT_SENT")
	if path(o, "posSync", "errorCode") != "CREDENTIALS_INVALID" {
		t.Errorf("errorCode %v, want CREDENTIALS_INVALID", path(o, "posSync", "errorCode"))
	}
	st.waitHealth(t, "CREDENTIALS_INVALID")
	st.connectOAuth(t)
	st.waitHealth(t, "HEALTHY")
	st.waitPos(t, id, "SENT")
	if n := len(sb.sales("CRED-1")); n != 1 {
		t.Errorf("%d sales after reconnecting, want 1", n)
	}
}

func TestRateLimitStormRaisesNoAlert(t *testing.T) {
	t.Parallel()
	s := startLightspeedServer(t, database{"sqlite", map[string]string{"DATA_DIR": t.TempDir()}}, nil)
	sb := sandboxOf(t, s)
	st, menu := enabledStore(t, s)
	sb.resetCalls()
	// Retry-After is an HTTP date, whole seconds: 2s ahead is at least 1s.
	sb.fault(map[string]any{"status": 429, "count": 3, "path": "/sales", "method": "POST", "retry_after_ms": 2000})
	id := st.shopperOrder(t, "STORM-1", "storm@example.com", anyItems(menu, 1), nil)
	st.waitPosWithin(t, id, "SENT", 60*time.Second)
	if h, alerts := st.health(t); h != "HEALTHY" || len(alerts) != 0 {
		t.Errorf("after a 429 storm: health %s, alerts %v; want HEALTHY and none", h, alerts)
	}
	if calls, _ := sb.calls(); calls["POST /sales"] != 4 {
		t.Errorf("%d POST /sales for three 429s, want 4", calls["POST /sales"])
	}
	q := `query($id: ID!) { order(id: $id) { posCalls { at method path status } } }`
	var last time.Time
	for _, c := range path(st.s.MustDo(t, st.Manager, q, map[string]any{"id": id}), "order", "posCalls").([]any) {
		if path(c, "method") != "POST" || path(c, "path") != "/sales" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, str(path(c, "at")))
		if err != nil {
			t.Fatal(err)
		}
		if !last.IsZero() && at.Sub(last) < 900*time.Millisecond {
			t.Errorf("POST /sales %s after a 429 whose Retry-After was at least 1s ahead", at.Sub(last))
		}
		last = at
	}
}

// TestKilledDuringOutage kills the process during a partner outage and
// restarts it: no order is lost and none is sent twice.
func TestKilledDuringOutage(t *testing.T) {
	t.Parallel()
	url, host, sb := sandboxHost(t)
	p := lightspeedProcess(t, host, url)
	st, menu := enabledStore(t, p)
	sb.fault(map[string]any{"status": 503, "duration": "1h"})
	var ids []string
	for i := range 3 {
		ids = append(ids, st.shopperOrder(t, fmt.Sprintf("KILL-%d", i), "kill@example.com", anyItems(menu, 1), nil))
	}
	st.waitHealth(t, "PARTNER_OUTAGE")
	p.Crash(t)
	st.s = lightspeedProcess(t, host, url)
	sb.must(http.MethodDelete, "/control/faults", "", nil)
	for i, id := range ids {
		st.waitPosWithin(t, id, "SENT", 90*time.Second)
		if n := len(sb.sales(fmt.Sprintf("KILL-%d", i))); n != 1 {
			t.Errorf("KILL-%d: %d sales, want 1", i, n)
		}
	}
}
