package gqlws_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/gqlws"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 5 * time.Second

// counters records OnOpen/OnClose calls. dialed counts the client handshakes
// that succeeded: the server calls OnOpen just after writing the handshake
// response, so the client may see the connection before OnOpen runs.
type counters struct {
	live, opened, closed, dialed atomic.Int64
}

// hook wires the counters into opts.
func (c *counters) hook(opts gqlws.Options) gqlws.Options {
	opts.OnOpen = func() { c.live.Add(1); c.opened.Add(1) }
	opts.OnClose = func() { c.live.Add(-1); c.closed.Add(1) }
	return opts
}

// waitIdle waits until every dialed connection has been opened and closed.
func (c *counters) waitIdle(t *testing.T) {
	t.Helper()
	waitFor(t, "all connections closed", func() bool {
		return c.opened.Load() >= c.dialed.Load() && c.closed.Load() == c.opened.Load()
	})
	if live := c.live.Load(); live != 0 {
		t.Errorf("%d connections still counted as live", live)
	}
}

// harness is a gqlgen test server served through a gqlws.Transport.
type harness struct {
	counters
	impl *gqlws.Implementation
	gql  *testserver.TestServer
	http *httptest.Server
}

// newTransportHarness serves a gqlgen test server through a gqlws.Transport
// accepting with opts, as the service does: within Scope, under wrap (when
// not nil) and Detach.
func newTransportHarness(t *testing.T, opts gqlws.Options, tr gqlws.Transport, wrap func(http.Handler) http.Handler) *harness {
	t.Helper()
	h := &harness{gql: testserver.New()}
	h.impl = gqlws.New(h.hook(opts))
	tr.Implementation = h.impl
	h.gql.AddTransport(tr)
	var root http.Handler = gqlws.Scope(h.gql)
	if wrap != nil {
		root = wrap(root)
	}
	h.http = httptest.NewServer(gqlws.Detach(root))
	t.Cleanup(func() {
		h.waitIdle(t)
		h.http.Close()
	})
	return h
}

func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// dial opens a client connection, counts it in cnt (if not nil) and closes it
// when the test ends.
func dial(t *testing.T, srv *httptest.Server, cnt *counters, subprotocols ...string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: subprotocols, HandshakeTimeout: waitTimeout}
	c, resp, err := d.Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	if cnt != nil {
		cnt.dialed.Add(1)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dial opens a client connection to the harness.
func (h *harness) dial(t *testing.T, subprotocols ...string) *websocket.Conn {
	t.Helper()
	return dial(t, h.http, &h.counters, subprotocols...)
}

// dialAcked dials n graphql-transport-ws clients, has each one's
// connection_init acknowledged, and waits until OnOpen has counted them all.
func (h *harness) dialAcked(t *testing.T, n int) []*websocket.Conn {
	t.Helper()
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		clients[i] = h.dial(t, "graphql-transport-ws")
		send(t, clients[i], msg{Type: "connection_init"})
		expectMsg(t, clients[i], "connection_ack", "")
	}
	waitFor(t, "all connections open", func() bool { return h.live.Load() == int64(n) })
	return clients
}

// msg is a message of either GraphQL websocket protocol.
type msg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func send(t *testing.T, c *websocket.Conn, m msg) {
	t.Helper()
	if err := c.SetWriteDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteJSON(m); err != nil {
		t.Fatalf("send %s: %v", m.Type, err)
	}
}

// read returns the next message whose type is not in skip.
func read(t *testing.T, c *websocket.Conn, skip ...string) msg {
	t.Helper()
	for {
		if err := c.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
			t.Fatal(err)
		}
		var m msg
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("read: %v", err)
		}
		if !slices.Contains(skip, m.Type) {
			return m
		}
	}
}

// expectMsg reads the next message (skipping "ka") and checks its type and id.
func expectMsg(t *testing.T, c *websocket.Conn, typ, id string) msg {
	t.Helper()
	m := read(t, c, "ka")
	if m.Type != typ || m.ID != id {
		t.Fatalf("got message %q id %q payload %s, want %q id %q", m.Type, m.ID, m.Payload, typ, id)
	}
	return m
}

// readUntilError discards messages until the connection fails.
func readUntilError(t *testing.T, c *websocket.Conn) error {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			return err
		}
	}
}

// expectClose reads until the server's close frame, checks it and closes the
// client connection.
func expectClose(t *testing.T, c *websocket.Conn, code int, reason string) {
	t.Helper()
	err := readUntilError(t, c)
	_ = c.Close()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v, want close frame %d %q", err, code, reason)
	}
	if ce.Code != code || ce.Text != reason {
		t.Fatalf("got close %d %q, want %d %q", ce.Code, ce.Text, code, reason)
	}
}

// closeNormally performs the client side of a normal close.
func closeNormally(t *testing.T, c *websocket.Conn) {
	t.Helper()
	frame := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := c.WriteControl(websocket.CloseMessage, frame, time.Now().Add(waitTimeout)); err != nil {
		t.Fatalf("write close: %v", err)
	}
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func payload(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func subscription() map[string]any {
	return map[string]any{"query": "subscription { name }"}
}
