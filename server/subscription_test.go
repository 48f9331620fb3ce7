package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

const statusSubscription = `subscription($s: ID!) { orderStatusChanged(storeId: $s) { previousStatus status source occurredAt order { id status store { id } } } }`

// wsClient is a graphql-transport-ws client on a real websocket.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialWS opens a websocket to the server with the given subprotocol and
// sends connection_init with the token.
func dialWS(t testing.TB, s *testServer, subprotocol, token string) *wsClient {
	t.Helper()
	c := dialRaw(t, s, subprotocol)
	c.send(initMessage("Bearer " + token))
	return c
}

// ackedWS opens a graphql-transport-ws websocket with the token and waits
// for the server to acknowledge it.
func ackedWS(t testing.TB, s *testServer, token string) *wsClient {
	t.Helper()
	c := dialWS(t, s, "graphql-transport-ws", token)
	c.expect("connection_ack")
	return c
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	if err := c.conn.WriteJSON(m); err != nil {
		c.t.Fatalf("write %s: %v", m.Type, err)
	}
}

// read returns the next message other than keep-alives, within 10s.
func (c *wsClient) read() (wsMessage, error) {
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m wsMessage
		if err := c.conn.ReadJSON(&m); err != nil {
			return m, err
		}
		if m.Type != "ka" && m.Type != "ping" && m.Type != "pong" {
			return m, nil
		}
	}
}

func (c *wsClient) expect(typ string) wsMessage {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if m.Type != typ {
		c.t.Fatalf("got %s %s, want %s", m.Type, m.Payload, typ)
	}
	return m
}

// subscribe starts a subscription; the server acknowledged the connection.
func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: payload})
}

// next reads the next event of a subscription as decoded data.
func (c *wsClient) next() map[string]any {
	c.t.Helper()
	m := c.expect("next")
	var p struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("next payload %s: %v", m.Payload, err)
	}
	return p.Data
}

// subscribed waits until the server holds n subscriptions, so that events
// published afterwards reach them.
func subscribed(t testing.TB, s *testServer, n int) {
	t.Helper()
	waitFor(t, "subscriptions to register", 10*time.Second, func() bool {
		resp, err := http.Get(s.URL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			k, err := resp.Body.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				break
			}
		}
		return strings.Contains(b.String(), "\nleafly_subscriptions "+itoa(n)+"\n")
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSubscriptionEndToEnd(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		c := ackedWS(t, s, f.Staff)
		c.subscribe("1", statusSubscription, map[string]any{"s": f.StoreID})
		subscribed(t, s, 1)

		id := f.submit(t, s, "WS-1")
		ev := c.next()
		if got := path(ev, "orderStatusChanged", "status"); got != "PENDING" {
			t.Errorf("first event status %v, want PENDING", got)
		}
		if got := path(ev, "orderStatusChanged", "previousStatus"); got != nil {
			t.Errorf("first event previousStatus %v, want null", got)
		}
		s.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: READY) { status } }`, map[string]any{"id": id})
		ev = c.next()
		want := map[string]any{"previousStatus": "PENDING", "status": "READY", "source": "DASHBOARD"}
		for k, v := range want {
			if got := path(ev, "orderStatusChanged", k); got != v {
				t.Errorf("%s = %v, want %v", k, got, v)
			}
		}
		if got := path(ev, "orderStatusChanged", "order", "id"); got != id {
			t.Errorf("order.id = %v, want %s", got, id)
		}
		c.send(wsMessage{ID: "1", Type: "complete"})
		subscribed(t, s, 0)
	})
}

func TestSubscriptionRefusals(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	t.Run("BadToken", func(t *testing.T) {
		c := dialWS(t, s, "graphql-transport-ws", "forged")
		_, err := c.read()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4403 || !strings.Contains(ce.Text, "token") {
			t.Fatalf("got %v, want close 4403 with a reason naming the token", err)
		}
	})
	t.Run("ForeignStore", func(t *testing.T) {
		c := ackedWS(t, s, f.Stranger)
		c.subscribe("1", statusSubscription, map[string]any{"s": f.StoreID})
		m := c.expect("next")
		if !strings.Contains(string(m.Payload), `"code":"NOT_FOUND"`) || strings.Contains(string(m.Payload), `"data":{`) {
			t.Errorf("error payload %s, want NOT_FOUND", m.Payload)
		}
	})
	t.Run("Marketplace", func(t *testing.T) {
		c := ackedWS(t, s, f.Market)
		c.subscribe("1", statusSubscription, map[string]any{"s": f.StoreID})
		if m := c.expect("next"); !strings.Contains(string(m.Payload), `"code":"FORBIDDEN"`) {
			t.Errorf("error payload %s, want FORBIDDEN", m.Payload)
		}
	})
	t.Run("DisallowedOrigin", func(t *testing.T) {
		d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}
		_, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/query", http.Header{"Origin": {"https://evil.example"}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial from a foreign origin: err %v, response %v; want 403", err, resp)
		}
	})
}

func TestLegacyGraphQLWS(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	c := dialWS(t, s, "graphql-ws", f.Manager)
	c.expect("connection_ack")
	payload, _ := json.Marshal(map[string]any{"query": statusSubscription, "variables": map[string]any{"s": f.StoreID}})
	c.send(wsMessage{ID: "a", Type: "start", Payload: payload})
	subscribed(t, s, 1)
	f.submit(t, s, "LEGACY-1")
	m := c.expect("data")
	if !strings.Contains(string(m.Payload), `"status":"PENDING"`) {
		t.Errorf("data payload %s, want the PENDING event", m.Payload)
	}
}

// TestEventCrossesReplicas runs two server processes on one PostgreSQL
// database: a change committed through A reaches a subscriber connected to B.
func TestEventCrossesReplicas(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "DATA_DIR": t.TempDir(), "SANDBOX": "true"}
	a := startProcess(t, env)
	b := startProcess(t, env)
	f := newFixture(t, a)
	c := ackedWS(t, b, f.Staff)
	c.subscribe("1", statusSubscription, map[string]any{"s": f.StoreID})
	subscribed(t, b, 1)
	id := f.submit(t, a, "CROSS-1")
	ev := c.next()
	if got := path(ev, "orderStatusChanged", "order", "id"); got != id {
		t.Fatalf("replica B received order %v, want %s", got, id)
	}
}

// TestShutdownWithLiveSubscribers stops a server holding subscriptions:
// clients get a close frame and run returns cleanly.
func TestShutdownWithLiveSubscribers(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		var clients []*wsClient
		for range 5 {
			c := ackedWS(t, s, f.Staff)
			c.subscribe("1", statusSubscription, map[string]any{"s": f.StoreID})
			clients = append(clients, c)
		}
		subscribed(t, s, 5)
		s.Stop(t)
		for i, c := range clients {
			var err error
			for err == nil {
				_, err = c.read()
			}
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Errorf("client %d: %v, want a going-away close frame", i, err)
			}
		}
	})
}

// TestSubscriptionAccess runs every subscription of the matrix as every
// role on the fixture's store, over both subprotocols and both databases:
// allowed roles hold a live subscription, the others get FORBIDDEN or
// NOT_FOUND and nothing else.
func TestSubscriptionAccess(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		live := 0 // the connections stay open until the test ends
		for _, sub := range []struct{ protocol, start, event string }{
			{"graphql-transport-ws", "subscribe", "next"},
			{"graphql-ws", "start", "data"},
		} {
			for _, op := range subscriptionOperations {
				for role, token := range matrixRoles(t, s, f) {
					c := dialWS(t, s, sub.protocol, token)
					c.expect("connection_ack")
					payload, _ := json.Marshal(map[string]any{"query": op.query, "variables": op.vars(f, "")})
					c.send(wsMessage{ID: "1", Type: sub.start, Payload: payload})
					if slices.Contains(op.allow, role) {
						live++
						subscribed(t, s, live)
						continue
					}
					m := c.expect(sub.event)
					p := string(m.Payload)
					if !strings.Contains(p, `"code":"FORBIDDEN"`) && !strings.Contains(p, `"code":"NOT_FOUND"`) || strings.Contains(p, `"data":{`) {
						t.Errorf("%s %s as %s: payload %s, want FORBIDDEN or NOT_FOUND and no data", sub.protocol, op.name, role, p)
					}
				}
			}
		}
	})
}
