package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// The orderUpdated and storeUpdated subscriptions, end to end over real
// graphql-transport-ws clients.

const (
	orderUpdatesSubscription = `subscription($s: ID!, $after: String) { orderUpdated(storeId: $s, after: $after) {
		cursor kind occurredAt order { id status posSync { state errorCode attempts } } } }`
	storeUpdatesSubscription = `subscription($s: ID!) { storeUpdated(storeId: $s) { id name pickupEnabled
		orderIntegration { enabled health connection { authMethod } menuSync { enabled lastSyncedAt lastError } settings { outletId } }
		notificationSettings { alertEmails newOrderEmails } } }`
)

// update is one orderUpdated message, flattened.
type update struct {
	Cursor, Kind, OrderID, Status, PosState string
}

func (u update) String() string {
	return fmt.Sprintf("%s %s %s/%s", u.Kind, u.OrderID, u.Status, u.PosState)
}

// nextWithin reads the next message of a subscription, waiting up to d.
func (c *wsClient) nextWithin(d time.Duration) (map[string]any, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	for {
		var m wsMessage
		if err := c.conn.ReadJSON(&m); err != nil {
			return nil, err
		}
		if m.Type != "next" {
			if m.Type == "ka" || m.Type == "ping" || m.Type == "pong" {
				continue
			}
			return nil, fmt.Errorf("got %s %s, want next", m.Type, m.Payload)
		}
		var p struct {
			Data   map[string]any
			Errors []any
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
			return nil, fmt.Errorf("next payload %s: %v", m.Payload, err)
		}
		return p.Data, nil
	}
}

// nextUpdate reads the next orderUpdated message.
func (c *wsClient) nextUpdate(d time.Duration) update {
	c.t.Helper()
	u, err := c.readUpdate(d)
	if err != nil {
		c.t.Fatalf("waiting for an order update: %v", err)
	}
	return u
}

func (c *wsClient) readUpdate(d time.Duration) (update, error) {
	data, err := c.nextWithin(d)
	if err != nil {
		return update{}, err
	}
	u := path(data, "orderUpdated")
	return update{Cursor: str(path(u, "cursor")), Kind: str(path(u, "kind")), OrderID: str(path(u, "order", "id")),
		Status: str(path(u, "order", "status")), PosState: str(path(u, "order", "posSync", "state"))}, nil
}

// updatesUntil reads order updates until done holds for one, within d, and
// returns them all.
func (c *wsClient) updatesUntil(d time.Duration, what string, done func(update) bool) []update {
	c.t.Helper()
	deadline := time.Now().Add(d)
	var got []update
	for {
		left := time.Until(deadline)
		u, err := c.readUpdate(left)
		if err != nil {
			c.t.Fatalf("waiting for an update %s: %v; got %v", what, err, got)
		}
		got = append(got, u)
		if done(u) {
			return got
		}
	}
}

// storeUntil reads storeUpdated messages until done holds for one, within d.
func (c *wsClient) storeUntil(d time.Duration, what string, done func(store any) bool) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	var seen []any
	for {
		left := time.Until(deadline)
		data, err := c.nextWithin(left)
		if err != nil {
			c.t.Fatalf("waiting for storeUpdated %s: %v; got %v", what, err, seen)
		}
		s := path(data, "storeUpdated")
		seen = append(seen, s)
		if done(s) {
			return
		}
	}
}

// subscribeUpdates opens a websocket to s and subscribes to orderUpdated,
// after a cursor when after is not empty.
func subscribeUpdates(t testing.TB, s *testServer, token, storeID, after string) *wsClient {
	t.Helper()
	c := dialWS(t, s, "graphql-transport-ws", token)
	c.expect("connection_ack")
	vars := map[string]any{"s": storeID}
	if after != "" {
		vars["after"] = after
	}
	c.subscribe("1", orderUpdatesSubscription, vars)
	return c
}

// checkIncreasing fails unless the cursors of us increase strictly, read as
// the server reads them (they are opaque to clients).
func checkIncreasing(t testing.TB, us []update) {
	t.Helper()
	var last int64
	for i, u := range us {
		seq, err := domain.ParseOrderUpdateCursor(u.Cursor)
		if err != nil || seq <= last {
			t.Errorf("update %d (%v): cursor %q (%d, %v) does not follow the previous one (%d)", i, u, u.Cursor, seq, err, last)
		}
		last = seq
	}
}

func TestOrderUpdatedKinds(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"ORDER_POS_DEADLINE": "2s"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		c := subscribeUpdates(t, s, st.Staff, st.ID, "")
		subscribed(t, s, 1)

		sent := st.shopperOrder(t, "UPD-1", "upd@example.com", anyItems(menu, 1), nil)
		var all []update
		need := map[string]bool{"CREATED": true, "POS_SYNC_CHANGED SENT": true, "STATUS_CHANGED CONFIRMED": true}
		all = append(all, c.updatesUntil(60*time.Second, "of the sent order", func(u update) bool {
			if u.OrderID == sent {
				delete(need, u.Kind)
				delete(need, u.Kind+" "+u.PosState)
				delete(need, u.Kind+" "+u.Status)
			}
			return len(need) == 0
		})...)

		sb.fault(map[string]any{"status": 503, "duration": "1h"})
		failing := st.shopperOrder(t, "UPD-2", "upd@example.com", anyItems(menu, 1), nil)
		all = append(all, c.updatesUntil(90*time.Second, "NOT_SENT", func(u update) bool {
			return u.OrderID == failing && u.Kind == "POS_SYNC_CHANGED" && u.PosState == "NOT_SENT"
		})...)
		s.MustDo(t, st.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { status } }`, map[string]any{"id": failing})
		all = append(all, c.updatesUntil(30*time.Second, "handled on the dashboard", func(u update) bool {
			return u.OrderID == failing && u.Kind == "STATUS_CHANGED" && u.Status == "CONFIRMED"
		})...)
		checkIncreasing(t, all)

		replay := subscribeUpdates(t, s, st.Staff, st.ID, all[0].Cursor)
		for i, want := range all[1:] {
			got := replay.nextUpdate(30 * time.Second)
			if got.Cursor != want.Cursor || got.Kind != want.Kind || got.OrderID != want.OrderID {
				t.Errorf("replayed update %d = %v (cursor %s), want %v (cursor %s)", i, got, got.Cursor, want, want.Cursor)
			}
		}
	})
}

// TestOrderUpdatedRetried: retrying an order that did not reach the POS is a
// posSync change its dashboard hears of.
func TestOrderUpdatedRetried(t *testing.T) {
	t.Parallel()
	s := startLightspeedServer(t, database{"sqlite", map[string]string{"DATA_DIR": t.TempDir()}}, nil)
	sb := sandboxOf(t, s)
	st, menu := enabledStore(t, s)
	sb.fault(map[string]any{"status": 400, "count": 1, "path": "/sales", "method": "POST"})
	id := st.shopperOrder(t, "RETRY-1", "retry@example.com", anyItems(menu, 1), nil)
	st.waitPos(t, id, "NOT_SENT")
	c := subscribeUpdates(t, s, st.Staff, st.ID, "")
	subscribed(t, s, 1)
	s.MustDo(t, st.Staff, `mutation($id: ID!) { retryOrderSync(id: $id) { id } }`, map[string]any{"id": id})
	c.updatesUntil(60*time.Second, "of the retried order reaching the POS", func(u update) bool {
		return u.OrderID == id && u.Kind == "POS_SYNC_CHANGED" && u.PosState == "SENT"
	})
}

// changer makes order changes in the background: it submits orders and
// sets each READY, two updates per order, until stopped.
type changer struct {
	t    *testing.T
	s    *testServer
	f    fixture
	mu   sync.Mutex
	ids  []string
	stop chan struct{}
	done chan struct{}
}

func startChanger(t *testing.T, s *testServer, f fixture, prefix string) *changer {
	ch := &changer{t: t, s: s, f: f, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(ch.done)
		for i := 0; ; i++ {
			select {
			case <-ch.stop:
				return
			default:
			}
			id := ch.change(fmt.Sprintf("%s-%d", prefix, i))
			if id == "" {
				return
			}
			ch.mu.Lock()
			ch.ids = append(ch.ids, id)
			ch.mu.Unlock()
		}
	}()
	return ch
}

// change submits an order and sets it READY; "" when the server failed.
func (ch *changer) change(leaflyID string) string {
	r := ch.s.Do(ch.t, ch.f.Market, submitOrderMutation, map[string]any{"input": ch.f.orderInput(leaflyID)})
	id := str(path(r.Data, "submitOrder", "id"))
	if len(r.Errors) > 0 {
		ch.t.Errorf("submit %s: %v", leaflyID, r.Errors)
		return ""
	}
	r = ch.s.Do(ch.t, ch.f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: READY) { status } }`, map[string]any{"id": id})
	if len(r.Errors) > 0 {
		ch.t.Errorf("set %s READY: %v", id, r.Errors)
		return ""
	}
	return id
}

// count returns how many orders were changed so far.
func (ch *changer) count() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return len(ch.ids)
}

// finish stops the changes and returns the orders changed.
func (ch *changer) finish() []string {
	close(ch.stop)
	<-ch.done
	return ch.ids
}

// checkEveryUpdateOnce fails unless got holds, for every order of ids, its
// CREATED and its STATUS_CHANGED update exactly once.
func checkEveryUpdateOnce(t *testing.T, ids []string, got []update) {
	t.Helper()
	count := map[string]int{}
	for _, u := range got {
		count[u.OrderID+" "+u.Kind]++
	}
	for _, id := range ids {
		for _, k := range []string{"CREATED", "STATUS_CHANGED"} {
			if n := count[id+" "+k]; n != 1 {
				t.Errorf("order %s: %d %s updates, want 1", id, n, k)
			}
		}
	}
	if len(got) != 2*len(ids) {
		t.Errorf("%d updates for %d orders, want %d", len(got), len(ids), 2*len(ids))
	}
	checkIncreasing(t, got)
}

// readAll reads updates until every order of ids has both of its updates,
// then checks with a last change that nothing else is queued before it.
func readAll(t *testing.T, s *testServer, f fixture, c *wsClient, ids []string, got []update) []update {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id+" CREATED"], want[id+" STATUS_CHANGED"] = true, true
	}
	for _, u := range got {
		delete(want, u.OrderID+" "+u.Kind)
	}
	if len(want) > 0 {
		got = append(got, c.updatesUntil(60*time.Second, "of every change", func(u update) bool {
			delete(want, u.OrderID+" "+u.Kind)
			return len(want) == 0
		})...)
	}
	last := f.submit(t, s, fmt.Sprintf("LAST-%d", time.Now().UnixNano()))
	if u := c.nextUpdate(30 * time.Second); u.OrderID != last || u.Kind != "CREATED" {
		t.Errorf("after every change, update %v; want the last order's CREATED", u)
	}
	return got
}

// TestOrderUpdatedResume disconnects while orders change and resumes with
// the last cursor received while they still change: every update arrives
// once, none twice, none missing.
func TestOrderUpdatedResume(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		c := subscribeUpdates(t, s, f.Staff, f.StoreID, "")
		subscribed(t, s, 1)
		ch := startChanger(t, s, f, "RES")
		got := []update{c.nextUpdate(30 * time.Second), c.nextUpdate(30 * time.Second)}
		c.conn.Close()
		subscribed(t, s, 0)
		before := ch.count()
		waitFor(t, "changes while disconnected", 30*time.Second, func() bool { return ch.count() >= before+3 })

		c = subscribeUpdates(t, s, f.Staff, f.StoreID, got[len(got)-1].Cursor)
		waitFor(t, "changes after resuming", 30*time.Second, func() bool { return ch.count() >= before+6 })
		ids := ch.finish()
		got = readAll(t, s, f, c, ids, got)
		checkEveryUpdateOnce(t, ids, got)
	})
}

// TestOrderUpdatedAcrossReplicas: two replicas on one database. A client
// subscribed on B hears of changes made through A, disconnects, and resumes
// on A with its cursor while changes go on, missing nothing and hearing
// nothing twice.
func TestOrderUpdatedAcrossReplicas(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "DATA_DIR": t.TempDir(), "SANDBOX": "true"}
	a := startProcess(t, env)
	b := startProcess(t, env)
	f := newFixture(t, a)
	c := subscribeUpdates(t, b, f.Staff, f.StoreID, "")
	subscribed(t, b, 1)
	ch := startChanger(t, a, f, "XR")
	got := []update{c.nextUpdate(30 * time.Second), c.nextUpdate(30 * time.Second), c.nextUpdate(30 * time.Second)}
	c.conn.Close()
	subscribed(t, b, 0)
	before := ch.count()
	waitFor(t, "changes while disconnected", 30*time.Second, func() bool { return ch.count() >= before+3 })

	c = subscribeUpdates(t, a, f.Staff, f.StoreID, got[len(got)-1].Cursor)
	waitFor(t, "changes after resuming", 30*time.Second, func() bool { return ch.count() >= before+6 })
	ids := ch.finish()
	got = readAll(t, a, f, c, ids, got)
	checkEveryUpdateOnce(t, ids, got)

	sc := dialWS(t, b, "graphql-transport-ws", f.Staff)
	sc.expect("connection_ack")
	sc.subscribe("1", storeUpdatesSubscription, map[string]any{"s": f.StoreID})
	subscribed(t, b, 1)
	a.MustDo(t, f.Admin, `mutation($id: ID!) { updateStore(input: {id: $id, pickupEnabled: false}) { id } }`, map[string]any{"id": f.StoreID})
	sc.storeUntil(30*time.Second, "on replica B for a change through A", func(x any) bool { return path(x, "pickupEnabled") == false })
}

// ageUpdates moves the store's logged updates age into the past.
func ageUpdates(t *testing.T, s *testServer, storeID string, age time.Duration) {
	t.Helper()
	_, err := s.Storage(t).SQL().Exec("UPDATE events SET occurred_at = $1 WHERE store_id = $2", time.Now().Add(-age).UTC(), storeID)
	if err != nil {
		t.Fatal(err)
	}
}

// cursorRefusal subscribes to orderUpdated after a cursor and returns the
// error payload.
func cursorRefusal(t *testing.T, s *testServer, token, storeID, after string) string {
	t.Helper()
	c := dialWS(t, s, "graphql-transport-ws", token)
	c.expect("connection_ack")
	c.subscribe("1", orderUpdatesSubscription, map[string]any{"s": storeID, "after": after})
	return string(c.expect("next").Payload)
}

// TestOrderUpdatedCursorRefused: a cursor that is none, another store's, or
// one after which an update left the replay window is refused.
func TestOrderUpdatedCursorRefused(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		other := newFixture(t, s)
		c := subscribeUpdates(t, s, other.Staff, other.StoreID, "")
		subscribed(t, s, 1)
		other.submit(t, s, "OTHER-1")
		otherCursor := c.nextUpdate(30 * time.Second).Cursor

		c = subscribeUpdates(t, s, f.Staff, f.StoreID, "")
		subscribed(t, s, 2)
		f.submit(t, s, "OLD-1")
		old := c.nextUpdate(30 * time.Second).Cursor
		f.submit(t, s, "OLD-2")
		c.nextUpdate(30 * time.Second)
		ageUpdates(t, s, f.StoreID, 25*time.Hour)
		for name, cursor := range map[string]string{"Garbage": "not-a-cursor", "Empty": "", "OtherStore": otherCursor,
			"TooOld": old, "Beginning": domain.OrderUpdateCursor(0)} {
			t.Run(name, func(t *testing.T) {
				p := cursorRefusal(t, s, f.Staff, f.StoreID, cursor)
				if !strings.Contains(p, `"code":"BAD_USER_INPUT"`) || !strings.Contains(p, "reload") || strings.Contains(p, `"data":{`) {
					t.Errorf("payload %s, want BAD_USER_INPUT telling to reload and no data", p)
				}
			})
		}
	})
}

// TestStoreUpdated: a store's subscribers hear of every change of its own,
// from settings to the integration's health.
func TestStoreUpdated(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_PROBE_INTERVAL": "500ms"})
		sb := sandboxOf(t, s)
		st := newLightspeedStore(t, s)
		c := dialWS(t, s, "graphql-transport-ws", st.Staff)
		c.expect("connection_ack")
		c.subscribe("1", storeUpdatesSubscription, map[string]any{"s": st.ID})
		subscribed(t, s, 1)
		const d = 60 * time.Second

		s.MustDo(t, st.Admin, `mutation($id: ID!) { updateStore(input: {id: $id, deliveryEnabled: true, name: "Evergreen II"}) { id } }`, map[string]any{"id": st.ID})
		c.storeUntil(d, "for settings", func(x any) bool { return path(x, "name") == "Evergreen II" })
		st.connectOAuth(t)
		c.storeUntil(d, "for the connection", func(x any) bool { return path(x, "orderIntegration", "connection", "authMethod") == "OAUTH" })
		st.syncMenu(t)
		c.storeUntil(d, "for a finished menu sync", func(x any) bool { return path(x, "orderIntegration", "menuSync", "lastSyncedAt") != nil })
		sb.fault(map[string]any{"status": 503, "count": 1000})
		st.syncMenu(t)
		sb.must(http.MethodDelete, "/control/faults", "", nil)
		c.storeUntil(d, "for a failed menu sync", func(x any) bool { return path(x, "orderIntegration", "menuSync", "lastError") != nil })
		st.syncMenu(t)
		c.storeUntil(d, "for a menu sync after the failure", func(x any) bool { return path(x, "orderIntegration", "menuSync", "lastError") == nil })
		in := map[string]any{"storeId": st.ID}
		for k, v := range demoSettings(t, sb) {
			in[k] = v
		}
		s.MustDo(t, st.Manager, configureMutation, map[string]any{"input": in})
		c.storeUntil(d, "for the integration settings", func(x any) bool { return path(x, "orderIntegration", "settings", "outletId") != nil })
		s.MustDo(t, st.Manager, enableMutation, map[string]any{"id": st.ID})
		c.storeUntil(d, "for enabling", func(x any) bool { return path(x, "orderIntegration", "enabled") == true })
		waitForJobs(t, s)

		sb.fault(map[string]any{"status": 503, "duration": "1h"})
		st.shopperOrder(t, "HEALTH-1", "h@example.com", anyItems(st.menu(t), 1), nil)
		c.storeUntil(90*time.Second, "for the outage", func(x any) bool { return path(x, "orderIntegration", "health") == "PARTNER_OUTAGE" })
		sb.must(http.MethodDelete, "/control/faults", "", nil)
		c.storeUntil(90*time.Second, "for the recovery", func(x any) bool { return path(x, "orderIntegration", "health") == "HEALTHY" })

		s.MustDo(t, st.Manager, disableMutation, map[string]any{"id": st.ID})
		c.storeUntil(d, "for disabling", func(x any) bool { return path(x, "orderIntegration", "enabled") == false })
		s.MustDo(t, st.Manager, `mutation($id: ID!) { updateNotificationSettings(input: {storeId: $id, alertEmails: ["ops@example.com"], newOrderEmails: []}) { alertEmails } }`,
			map[string]any{"id": st.ID})
		c.storeUntil(d, "for notification settings", func(x any) bool {
			return fmt.Sprint(path(x, "notificationSettings", "alertEmails")) == "[ops@example.com]"
		})
	})
}

// TestEventLogPrunedAtStart: the event log's pruning (storage's
// TestPruneEvents says what it deletes) is a job every replica's queue
// runs at start and hourly.
func TestEventLogPrunedAtStart(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sqlDB := s.Storage(t).SQL()
		waitFor(t, "the event log pruned at start", 20*time.Second, func() bool {
			return countRows(t, sqlDB, `SELECT count(*) FROM river_job WHERE kind = 'prune_events' AND state = 'completed'`) > 0
		})
	})
}
