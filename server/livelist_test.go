package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// A live order list, as the README's recipe keeps one: the list read with
// its updatesCursor, orderUpdated subscribed after it and merged by order
// id, resumed after a reconnect with the last cursor received.

const liveListQuery = `query($s: ID!, $after: String) { orders(storeId: $s, first: 100, after: $after) {
	updatesCursor edges { node { id status posSync { state } } } pageInfo { hasNextPage endCursor } } }`

// shownOrder is what the test compares of an order.
type shownOrder struct{ Status, PosState string }

// liveList is the recipe's client over a real websocket.
type liveList struct {
	t              *testing.T
	s              *testServer
	token, storeID string
	orders         map[string]shownOrder
	cursor         string // the last update's cursor, or the list's updatesCursor
	updates        []update
	c              *wsClient
	completions    int // subscriptions the server completed (a slow subscriber dropped)
}

// loadOrders reads every page of the store's orders, and the first page's
// updatesCursor.
func loadOrders(t *testing.T, s *testServer, token, storeID string) (map[string]shownOrder, string) {
	t.Helper()
	orders := map[string]shownOrder{}
	var cursor string
	vars := map[string]any{"s": storeID}
	for page := 0; ; page++ {
		conn := path(s.MustDo(t, token, liveListQuery, vars), "orders")
		if page == 0 {
			cursor = str(path(conn, "updatesCursor"))
		}
		edges, _ := path(conn, "edges").([]any)
		for _, e := range edges {
			orders[str(path(e, "node", "id"))] = shownOrder{str(path(e, "node", "status")), str(path(e, "node", "posSync", "state"))}
		}
		if path(conn, "pageInfo", "hasNextPage") != true {
			return orders, cursor
		}
		vars["after"] = path(conn, "pageInfo", "endCursor")
	}
}

// load reads the list and remembers its updatesCursor.
func (l *liveList) load() {
	l.orders, l.cursor = loadOrders(l.t, l.s, l.token, l.storeID)
	if l.cursor == "" {
		l.t.Fatal("the order list has no updatesCursor")
	}
}

// subscribe opens a websocket and subscribes after the last cursor.
func (l *liveList) subscribe() {
	l.c = subscribeUpdates(l.t, l.s, l.token, l.storeID, l.cursor)
}

// read merges the next update, within d: the update's order replaces the
// list's copy or joins the list (it is unfiltered). A subscription the
// server completes is resumed with the last cursor.
func (l *liveList) read(d time.Duration) (update, error) {
	deadline := time.Now().Add(d)
	for {
		_ = l.c.conn.SetReadDeadline(deadline)
		var m wsMessage
		if err := l.c.conn.ReadJSON(&m); err != nil {
			return update{}, err
		}
		switch m.Type {
		case "next":
			return l.merge(m.Payload)
		case "complete":
			l.completions++
			l.c.conn.Close()
			l.subscribe()
		case "ka", "ping", "pong":
		default:
			return update{}, fmt.Errorf("got %s %s, want next", m.Type, m.Payload)
		}
	}
}

func (l *liveList) merge(payload json.RawMessage) (update, error) {
	var p struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal(payload, &p); err != nil || len(p.Errors) > 0 {
		return update{}, fmt.Errorf("next payload %s: %v", payload, err)
	}
	o := path(p.Data, "orderUpdated")
	u := update{Cursor: str(path(o, "cursor")), Kind: str(path(o, "kind")), OrderID: str(path(o, "order", "id")),
		Status: str(path(o, "order", "status")), PosState: str(path(o, "order", "posSync", "state"))}
	l.orders[u.OrderID] = shownOrder{u.Status, u.PosState}
	l.cursor = u.Cursor
	l.updates = append(l.updates, u)
	return u, nil
}

// readN merges n updates, within d.
func (l *liveList) readN(n int, d time.Duration) {
	l.t.Helper()
	deadline := time.Now().Add(d)
	for range n {
		if _, err := l.read(time.Until(deadline)); err != nil {
			l.t.Fatalf("reading %d updates: %v (after %d in all)", n, err, len(l.updates))
		}
	}
}

// until merges updates until done holds for one, within d.
func (l *liveList) until(d time.Duration, what string, done func(update) bool) {
	l.t.Helper()
	deadline := time.Now().Add(d)
	for {
		u, err := l.read(time.Until(deadline))
		if err != nil {
			l.t.Fatalf("waiting for %s: %v (after %d updates)", what, err, len(l.updates))
		}
		if done(u) {
			return
		}
	}
}

// churn creates orders and moves them along from several goroutines, one
// order per ticket the test hands out, while another goroutine cancels or
// readies each new order at the same time as its creator moves it. With
// several servers (replicas), the goroutines take turns.
type churn struct {
	t       *testing.T
	servers []*testServer
	f       fixture
	tickets chan struct{}
	created chan string
	done    atomic.Int64
	wg      sync.WaitGroup
}

func startChurn(t *testing.T, servers []*testServer, f fixture, workers, total int) *churn {
	ch := &churn{t: t, servers: servers, f: f, tickets: make(chan struct{}, total), created: make(chan string, total)}
	var creators sync.WaitGroup
	for w := range workers {
		creators.Add(1)
		go func() {
			defer creators.Done()
			for i := 0; ; i++ {
				if _, ok := <-ch.tickets; !ok {
					return
				}
				ch.order(ch.servers[w%len(ch.servers)], fmt.Sprintf("LIVE-%d-%d", w, i), i%2 == 0)
				ch.done.Add(1)
			}
		}()
	}
	ch.wg.Add(2)
	go func() {
		defer ch.wg.Done()
		creators.Wait()
		close(ch.created)
	}()
	go func() {
		defer ch.wg.Done()
		for i := 0; ; i++ {
			id, ok := <-ch.created
			if !ok {
				return
			}
			s := ch.servers[i%len(ch.servers)]
			if i%4 == 0 {
				ch.act(s, `mutation($id: ID!) { cancelOrder(id: $id, reason: DISPENSARY) { id } }`, id)
			} else {
				ch.act(s, `mutation($id: ID!) { setOrderStatus(id: $id, status: READY) { id } }`, id)
			}
		}
	}()
	return ch
}

// allow lets n more orders be created.
func (ch *churn) allow(n int) {
	for range n {
		ch.tickets <- struct{}{}
	}
}

// finish waits until every order allowed is created and moved.
func (ch *churn) finish() {
	close(ch.tickets)
	ch.wg.Wait()
}

// order submits an order and moves it to CONFIRMED, READY and, when
// pickUp, PICKED_UP.
func (ch *churn) order(s *testServer, leaflyID string, pickUp bool) {
	r := s.Do(ch.t, ch.f.Market, submitOrderMutation, map[string]any{"input": ch.f.orderInput(leaflyID)})
	if len(r.Errors) > 0 {
		ch.t.Errorf("submit %s: %+v", leaflyID, r.Errors)
		return
	}
	id := str(path(r.Data, "submitOrder", "id"))
	ch.created <- id
	moves := []string{"CONFIRMED", "READY"}
	if pickUp {
		moves = append(moves, "PICKED_UP")
	}
	for _, status := range moves {
		ch.act(s, `mutation($id: ID!, $st: OrderStatus!) { setOrderStatus(id: $id, status: $st) { id } }`, id, "st", status)
	}
}

// act runs a staff mutation on order id; CONFLICT (the other goroutine
// moved the order first) is expected.
func (ch *churn) act(s *testServer, mutation, id string, vars ...string) {
	v := map[string]any{"id": id}
	for i := 0; i+1 < len(vars); i += 2 {
		v[vars[i]] = vars[i+1]
	}
	if r := s.Do(ch.t, ch.f.Staff, mutation, v); len(r.Errors) > 0 && r.Code() != "CONFLICT" {
		ch.t.Errorf("%s on %s: %+v", mutation, id, r.Errors)
	}
}

// waitDone waits until n orders are created and moved.
func (ch *churn) waitDone(n int) {
	ch.t.Helper()
	waitFor(ch.t, fmt.Sprintf("%d orders changed", n), 60*time.Second, func() bool { return ch.done.Load() >= int64(n) })
}

// TestLiveOrderList: a client lists a store's orders and keeps the list live
// with orderUpdated after the list's updatesCursor while 200 orders are
// created and change status from several goroutines; it disconnects twice
// during the changes and resumes with its last cursor. In the end its list
// equals the database's, and it received the store's updates in order.
func TestLiveOrderList(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		keepLive(t, s, []*testServer{s}, newFixture(t, s))
	})
}

// TestLiveOrderListAcrossReplicas is TestLiveOrderList with the changes made
// through two replicas, the client's and another: the client's replica
// publishes its own changes at once and hears of the other's a little
// later, out of the store's order, and still delivers them in order.
func TestLiveOrderListAcrossReplicas(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "DATA_DIR": t.TempDir(), "SANDBOX": "true"}
	a := startProcess(t, env)
	b := startProcess(t, env)
	keepLive(t, b, []*testServer{a, b}, newFixture(t, a))
}

// keepLive runs a live list on s while the churn goes on through servers,
// and checks it against the database.
func keepLive(t *testing.T, s *testServer, servers []*testServer, f fixture) {
	const total = 200
	ch := startChurn(t, servers, f, 4, total)
	ch.allow(60)
	ch.waitDone(20)

	l := &liveList{t: t, s: s, token: f.Staff, storeID: f.StoreID}
	l.load()
	listed := len(l.orders)
	l.subscribe()
	l.readN(40, 60*time.Second)
	for _, more := range []int{60, 60} {
		l.c.conn.Close()
		done := int(ch.done.Load())
		ch.allow(more)
		ch.waitDone(done + 10)
		l.subscribe()
		l.readN(40, 60*time.Second)
	}
	ch.allow(total - 180)
	ch.finish()
	if t.Failed() {
		t.FailNow()
	}
	last := f.submit(t, s, "LIVE-LAST")
	l.until(60*time.Second, "the last order's creation", func(u update) bool { return u.OrderID == last })

	want, _ := loadOrders(t, s, f.Staff, f.StoreID)
	if len(want) != total+1 {
		t.Errorf("the database lists %d orders, want %d", len(want), total+1)
	}
	if !maps.Equal(l.orders, want) {
		t.Errorf("the live list differs from the database: %s", diffOrders(l.orders, want))
	}
	checkIncreasing(t, l.updates)
	t.Logf("listed %d orders, merged %d updates over 3 subscriptions (%d completed by the server)", listed, len(l.updates), l.completions)
}

// diffOrders describes how got differs from want.
func diffOrders(got, want map[string]shownOrder) string {
	var b strings.Builder
	for id, w := range want {
		if g, ok := got[id]; !ok || g != w {
			fmt.Fprintf(&b, "\n  %s: got %v (present %v), want %v", id, g, ok, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			fmt.Fprintf(&b, "\n  %s: got %v, not in the database", id, g)
		}
	}
	return b.String()
}

// TestUpdatesCursor: the list's updatesCursor of a store without updates
// resumes from the beginning, and a quiet store's stays usable beyond the
// replay window, since no update after it is older.
func TestUpdatesCursor(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		busy := newFixture(t, s)
		busy.submit(t, s, "BUSY-1")

		t.Run("EmptyStore", func(t *testing.T) {
			f := newFixture(t, s)
			orders, cursor := loadOrders(t, s, f.Staff, f.StoreID)
			if len(orders) != 0 {
				t.Fatalf("a new store lists %d orders", len(orders))
			}
			busy.submit(t, s, "BUSY-2")
			id := f.submit(t, s, "FIRST-1")
			c := subscribeUpdates(t, s, f.Staff, f.StoreID, cursor)
			if u := c.nextUpdate(30 * time.Second); u.OrderID != id || u.Kind != "CREATED" {
				t.Errorf("first update after an empty store's cursor: %v, want %s CREATED", u, id)
			}
		})
		t.Run("QuietStore", func(t *testing.T) {
			f := newFixture(t, s)
			f.submit(t, s, "QUIET-1")
			f.submit(t, s, "QUIET-2")
			ageUpdates(t, s, f.StoreID, 30*24*time.Hour)
			_, cursor := loadOrders(t, s, f.Staff, f.StoreID)
			id := f.submit(t, s, "QUIET-3")
			c := subscribeUpdates(t, s, f.Staff, f.StoreID, cursor)
			if u := c.nextUpdate(30 * time.Second); u.OrderID != id || u.Kind != "CREATED" {
				t.Errorf("first update after a quiet store's cursor: %v, want %s CREATED", u, id)
			}
		})
	})
}
