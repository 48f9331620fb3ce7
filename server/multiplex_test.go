package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// sharedSubscription selects posCalls, which STORE_STAFF may not read: the
// same document answers each role differently.
const sharedSubscription = `subscription($s: ID!) { orderStatusChanged(storeId: $s) { status order { leaflyOrderId posCalls { path } } } }`

// sharedSubscriber is one subscription of TestSharedSubscriptions and what
// each of its events must hold.
type sharedSubscriber struct {
	name  string
	c     *wsClient
	id    string
	check func(t *testing.T, leaflyID, payload string)
}

// expectOrder reads the subscriber's next event and checks it is the one
// of the order leaflyID, as its query and role allow.
func (s *sharedSubscriber) expectOrder(t *testing.T, leaflyID string) {
	t.Helper()
	m := s.c.expect("next")
	if m.ID != s.id {
		t.Fatalf("%s: event on subscription %q, want %q: %s", s.name, m.ID, s.id, m.Payload)
	}
	s.check(t, leaflyID, string(m.Payload))
}

// TestSharedSubscriptions runs subscribers of one store that share an
// execution (same document, variables, role and stores) next to ones that
// may not (another selection, another role), while some leave and join:
// each gets every event of its subscription once, in order, exactly as its
// own query and role answer it.
func TestSharedSubscriptions(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		staff := func(t *testing.T, leaflyID, p string) {
			t.Helper()
			want := `"data":{"orderStatusChanged":{"status":"PENDING","order":{"leaflyOrderId":"` + leaflyID + `","posCalls":null}}}}`
			if !strings.HasSuffix(p, want) || !strings.Contains(p, `"code":"FORBIDDEN"`) || !strings.Contains(p, `"path":["orderStatusChanged","order","posCalls"]`) {
				t.Fatalf("staff event %s, want …%s with FORBIDDEN at posCalls", p, want)
			}
		}
		allowed := func(t *testing.T, leaflyID, p string) {
			t.Helper()
			if want := `{"data":{"orderStatusChanged":{"status":"PENDING","order":{"leaflyOrderId":"` + leaflyID + `","posCalls":[]}}}}`; p != want {
				t.Fatalf("event %s, want %s", p, want)
			}
		}
		statusOnly := func(t *testing.T, _, p string) {
			t.Helper()
			if want := `{"data":{"orderStatusChanged":{"status":"PENDING"}}}`; p != want {
				t.Fatalf("event %s, want %s", p, want)
			}
		}
		join := func(name, token, query string, check func(*testing.T, string, string)) *sharedSubscriber {
			c := dialWS(t, s, "graphql-transport-ws", token)
			c.expect("connection_ack")
			c.subscribe("1", query, map[string]any{"s": f.StoreID})
			return &sharedSubscriber{name: name, c: c, id: "1", check: check}
		}
		var subs []*sharedSubscriber
		for i := range 5 {
			subs = append(subs, join(fmt.Sprintf("staff %d", i), f.Staff, sharedSubscription, staff))
		}
		subs = append(subs,
			join("manager", f.Manager, sharedSubscription, allowed),
			join("admin", f.Admin, sharedSubscription, allowed),
			join("staff selecting status only", f.Staff, `subscription($s: ID!) { orderStatusChanged(storeId: $s) { status } }`, statusOnly))
		subscribed(t, s, len(subs))
		all := func(leaflyID string) {
			t.Helper()
			for _, sub := range subs {
				sub.expectOrder(t, leaflyID)
			}
		}
		f.submit(t, s, "MUX-1")
		all("MUX-1")

		// The first subscriber, whose subscription started the execution,
		// leaves; a new one joins it.
		first := subs[0]
		first.c.send(wsMessage{ID: "1", Type: "complete"})
		if m := first.c.expect("complete"); m.ID != "1" {
			t.Fatalf("complete of subscription %q, want 1", m.ID)
		}
		subscribed(t, s, len(subs)-1)
		subs[0] = join("staff joining", f.Staff, sharedSubscription, staff)
		subscribed(t, s, len(subs))
		f.submit(t, s, "MUX-2")
		all("MUX-2")

		// The one that left subscribes again on the same socket.
		first.id = "2"
		first.c.subscribe("2", sharedSubscription, map[string]any{"s": f.StoreID})
		subs = append(subs, first)
		subscribed(t, s, len(subs))
		for _, id := range []string{"MUX-3", "MUX-4"} {
			f.submit(t, s, id)
			all(id)
		}
	})
}

// bulkySubscription selects much of each order, so that few events fill a
// socket's buffers.
const bulkySubscription = `subscription($s: ID!) { orderStatusChanged(storeId: $s) { status order { id leaflyOrderId createdAt updatedAt
	customer { firstName lastName email phone } lines { menuItemId name quantity unitPriceCents discountedUnitPriceCents dealTitle }
	statusHistory { status source occurredAt } store { id name orderIntegration { requirements { code met message } } } } } }`

// TestSharedSubscriptionSlowSubscriber has a subscriber that does not
// read share its execution with one that reads: the reader gets each event
// at once while the other's socket backs up, and the slow one then finds
// every event in order.
func TestSharedSubscriptionSlowSubscriber(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		// The slow client's receive buffer is small, so that the server's
		// writes to it block soon.
		d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second,
			NetDial: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
				var err error
				if cerr := rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) }); cerr != nil {
					return cerr
				}
				return err
			}}).Dial}
		conn, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/query", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		slow := &wsClient{t: t, conn: conn}
		payload, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + f.Staff})
		slow.send(wsMessage{Type: "connection_init", Payload: payload})
		slow.expect("connection_ack")
		slow.subscribe("1", bulkySubscription, map[string]any{"s": f.StoreID})
		subscribed(t, s, 1)
		fast := dialWS(t, s, "graphql-transport-ws", f.Staff)
		fast.expect("connection_ack")
		fast.subscribe("1", bulkySubscription, map[string]any{"s": f.StoreID})
		subscribed(t, s, 2)

		const events = 12
		for i := 1; i <= events; i++ {
			want := fmt.Sprintf("SLOW-%d", i)
			f.submit(t, s, want)
			if got := path(fast.next(), "orderStatusChanged", "order", "leaflyOrderId"); got != want {
				t.Fatalf("fast subscriber got %v, want %s", got, want)
			}
		}
		for i := 1; i <= events; i++ {
			if got, want := path(slow.next(), "orderStatusChanged", "order", "leaflyOrderId"), fmt.Sprintf("SLOW-%d", i); got != want {
				t.Fatalf("slow subscriber's event %d is %v, want %s", i, got, want)
			}
		}
	})
}
