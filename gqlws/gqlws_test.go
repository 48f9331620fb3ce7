package gqlws_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/gqlws"
)

const nextPayload = `{"data":{"name":"test"}}`

// TestTransportNegotiatesSubprotocol: graphql-transport-ws is preferred when
// the client offers both subprotocols, and a client that offers none is
// served the legacy graphql-ws (whose sockets get keep-alives).
func TestTransportNegotiatesSubprotocol(t *testing.T) {
	t.Parallel()
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{}, nil)
	if got := h.dial(t, "graphql-ws", "graphql-transport-ws").Subprotocol(); got != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q, want graphql-transport-ws", got)
	}
	c := h.dial(t)
	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")
	if m := read(t, c); m.Type != "ka" {
		t.Fatalf("got %q, want the legacy protocol's ka", m.Type)
	}
}

func TestTransportOrigins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		allowed []string
		origin  string // "self" means the server's own origin
		ok      bool
	}{
		{"default no origin", nil, "", true},
		{"default same origin", nil, "self", true},
		{"default foreign origin", nil, "https://evil.example", false},
		{"listed origin", []string{"https://app.example"}, "https://app.example", true},
		{"listed origin case", []string{"HTTPS://App.Example/"}, "https://app.example", true},
		{"listed origin other scheme", []string{"https://app.example"}, "http://app.example", false},
		{"listed host", []string{"app.example:8443"}, "https://app.example:8443", true},
		{"unlisted origin", []string{"https://app.example"}, "https://evil.example", false},
		{"list keeps same origin", []string{"https://app.example"}, "self", true},
		{"list without origin", []string{"https://app.example"}, "", true},
		{"malformed origin", []string{"https://app.example"}, "://", false},
		{"wildcard", []string{gqlws.AllowAllOrigins}, "https://evil.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newTransportHarness(t, gqlws.Options{AllowedOrigins: tt.allowed}, gqlws.Transport{}, nil)
			header := http.Header{}
			switch tt.origin {
			case "":
			case "self":
				header.Set("Origin", h.http.URL)
			default:
				header.Set("Origin", tt.origin)
			}
			checkHandshake(t, h, header, tt.ok)
			if !tt.ok && h.opened.Load() != 0 {
				t.Fatal("OnOpen called for a refused connection")
			}
		})
	}
}

func checkHandshake(t *testing.T, h *harness, header http.Header, wantOK bool) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: waitTimeout}
	c, resp, err := d.Dial(wsURL(h.http), header)
	if c != nil {
		h.dialed.Add(1)
		defer c.Close()
	}
	if wantOK {
		if err != nil {
			t.Fatalf("handshake refused: %v", err)
		}
		return
	}
	if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
		t.Fatalf("got %v, want a refused handshake", err)
	}
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("got HTTP %d, want 403", resp.StatusCode)
	}
}

// TestTransportCheckHandshake sends bad upgrades to a Transport and checks
// CheckHandshake refuses each with the status the Transport answered, and
// takes a good one.
func TestTransportCheckHandshake(t *testing.T) {
	t.Parallel()
	h := newTransportHarness(t, gqlws.Options{AllowedOrigins: []string{"https://app.example"}}, gqlws.Transport{
		InitTimeout: time.Millisecond, // the accepted socket closes at once
	}, nil)
	good := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Origin": {"https://app.example"}}
	tests := []struct {
		name   string
		method string
		header http.Header
		status int // 0: accepted
	}{
		{"good", http.MethodGet, good, 0},
		{"no connection upgrade", http.MethodGet, with(good, "Connection", "keep-alive"), http.StatusBadRequest},
		{"not websocket", http.MethodGet, with(good, "Upgrade", "h2c"), http.StatusBadRequest},
		{"POST", http.MethodPost, good, http.StatusMethodNotAllowed},
		{"old version", http.MethodGet, with(good, "Sec-Websocket-Version", "8"), http.StatusBadRequest},
		{"foreign origin", http.MethodGet, with(good, "Origin", "https://evil.example"), http.StatusForbidden},
		{"no key", http.MethodGet, with(good, "Sec-Websocket-Key", ""), http.StatusBadRequest},
		{"short key", http.MethodGet, with(good, "Sec-Websocket-Key", "c2hvcnQ="), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, h.http.URL, nil)
			req.Header = tt.header
			var he *gqlws.HandshakeError
			checked := 0
			if err := h.impl.CheckHandshake(req); errors.As(err, &he) {
				checked = he.Status
			}
			resp, err := h.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			answered := resp.StatusCode
			if answered == http.StatusSwitchingProtocols {
				h.dialed.Add(1)
				answered = 0
			}
			if checked != tt.status || answered != tt.status {
				t.Errorf("CheckHandshake %d, the Transport answered %d, want %d", checked, answered, tt.status)
			}
		})
	}
}

// with returns a copy of h with name set to value (removed when empty).
func with(h http.Header, name, value string) http.Header {
	c := h.Clone()
	c.Del(name)
	if value != "" {
		c.Set(name, value)
	}
	return c
}

// TestTransportConnectionCounters: OnOpen and OnClose count every socket
// once, whether its client closes it or vanishes without a close frame.
func TestTransportConnectionCounters(t *testing.T) {
	t.Parallel()
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{InitTimeout: waitTimeout}, nil)
	const n = 10
	clients := h.dialAcked(t, n)
	for i, c := range clients {
		if i%2 == 0 {
			closeNormally(t, c)
			continue
		}
		_ = c.NetConn().Close() // vanish without a close frame
	}
	h.waitIdle(t)
	if got := h.opened.Load(); got != n {
		t.Fatalf("OnOpen called %d times, want %d", got, n)
	}
}

// TestTransportClosedWhenContextEnds: a socket never outlives its request's
// context.
func TestTransportClosedWhenContextEnds(t *testing.T) {
	t.Parallel()
	cancels := make(chan context.CancelFunc, 1)
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithCancel(r.Context())
			cancels <- cancel
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	})
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")
	(<-cancels)()
	if err := readUntilError(t, c); isTimeout(err) {
		t.Fatalf("connection left open: %v", err)
	}
	_ = c.Close()
	h.waitIdle(t)
}

// TestTransportClosedWhenPeerIgnoresClose: a peer that neither answers the
// server's close frame nor closes its socket is still disconnected, and
// counted, once CloseTimeout has passed. The bound allows a loaded machine
// 3s more (CI under -race once took 2.5s in all) and is still well under
// the next bound that would end the socket, DefaultWriteTimeout.
func TestTransportClosedWhenPeerIgnoresClose(t *testing.T) {
	t.Parallel()
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{InitTimeout: 50 * time.Millisecond}, nil)
	start := time.Now()
	h.dial(t, "graphql-transport-ws") // never reads, never closes until the test ends
	h.waitIdle(t)
	if elapsed := time.Since(start); elapsed > gqlws.CloseTimeout+3*time.Second {
		t.Fatalf("connection closed after %v", elapsed)
	}
}

// TestTransportWriteTimeout: a peer that stops reading makes a write fail
// after WriteTimeout instead of blocking the socket forever: here the
// connection_ack, too large for the socket's buffers, which the handler
// must send before it returns.
func TestTransportWriteTimeout(t *testing.T) {
	t.Parallel()
	returned := make(chan struct{})
	big := &transport.InitPayload{"pad": strings.Repeat("x", 16<<20)}
	h := newTransportHarness(t, gqlws.Options{WriteTimeout: 50 * time.Millisecond}, gqlws.Transport{
		InitFunc: func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			return ctx, big, nil
		},
	}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			close(returned)
		})
	})
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "connection_init"}) // and never read
	select {
	case <-returned:
	case <-time.After(waitTimeout):
		t.Fatal("the connection_ack write still blocks")
	}
	_ = c.Close()
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}
