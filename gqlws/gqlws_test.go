package gqlws_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/gqlws"
)

const nextPayload = `{"data":{"name":"test"}}`

// dialKeepAlive starts a harness that keeps connections alive every 10 ms
// and dials it with subprotocol sub, which the server must choose.
func dialKeepAlive(t *testing.T, sub string) (*harness, *websocket.Conn) {
	t.Helper()
	h := newHarness(t, gqlws.Options{}, transport.Websocket{
		InitTimeout:           waitTimeout,
		KeepAlivePingInterval: 10 * time.Millisecond,
	})
	c := h.dial(t, sub)
	if got := c.Subprotocol(); got != sub {
		t.Fatalf("subprotocol %q, want %q", got, sub)
	}
	return h, c
}

func TestGraphQLTransportWS(t *testing.T) {
	h, c := dialKeepAlive(t, "graphql-transport-ws")
	waitFor(t, "OnOpen", func() bool { return h.live.Load() == 1 })

	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")

	send(t, c, msg{Type: "ping"})
	expectMsg(t, c, "pong", "")

	send(t, c, msg{Type: "subscribe", ID: "1", Payload: payload(t, subscription())})
	for range 2 {
		h.gql.SendNextSubscriptionMessage()
		if m := expectMsg(t, c, "next", "1"); string(m.Payload) != nextPayload {
			t.Fatalf("next payload %s", m.Payload)
		}
	}
	h.gql.SendCompleteSubscriptionMessage()
	expectMsg(t, c, "complete", "1")

	closeNormally(t, c)
	h.waitIdle(t)
}

func TestLegacyGraphQLWS(t *testing.T) {
	h, c := dialKeepAlive(t, "graphql-ws")

	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")
	// Keep-alives are only sent on the legacy protocol.
	if m := read(t, c); m.Type != "ka" {
		t.Fatalf("got %q, want ka", m.Type)
	}

	send(t, c, msg{Type: "start", ID: "7", Payload: payload(t, subscription())})
	h.gql.SendNextSubscriptionMessage()
	if m := expectMsg(t, c, "data", "7"); string(m.Payload) != nextPayload {
		t.Fatalf("data payload %s", m.Payload)
	}
	send(t, c, msg{Type: "stop", ID: "7"})
	expectMsg(t, c, "complete", "7")

	send(t, c, msg{Type: "connection_terminate"})
	expectClose(t, c, websocket.CloseNormalClosure, "terminated")
	h.waitIdle(t)
}

func TestPrefersGraphQLTransportWS(t *testing.T) {
	h := newHarness(t, gqlws.Options{}, transport.Websocket{})
	c := h.dial(t, "graphql-ws", "graphql-transport-ws")
	if got := c.Subprotocol(); got != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", got)
	}
}

func TestOrigins(t *testing.T) {
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
			h := newHarness(t, gqlws.Options{AllowedOrigins: tt.allowed}, transport.Websocket{})
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

func TestInitFuncErrorCloseCode(t *testing.T) {
	for _, sub := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(sub, func(t *testing.T) {
			h := newHarness(t, gqlws.Options{}, transport.Websocket{
				InitFunc: func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
					ctx = transport.WithWebsocketCloseCode(ctx, 4403)
					return transport.AppendCloseReason(ctx, "forbidden"), nil, errors.New("bad token")
				},
			})
			c := h.dial(t, sub)
			send(t, c, msg{Type: "connection_init", Payload: payload(t, map[string]string{"token": "x"})})
			if sub == "graphql-ws" {
				m := expectMsg(t, c, "connection_error", "")
				if !strings.Contains(string(m.Payload), "bad token") {
					t.Fatalf("connection_error payload %s", m.Payload)
				}
			}
			expectClose(t, c, 4403, "forbidden")
		})
	}
}

func TestInitFuncErrorDefaultReason(t *testing.T) {
	h := newHarness(t, gqlws.Options{}, transport.Websocket{
		InitFunc: func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			return transport.WithWebsocketCloseCode(ctx, 4403), nil, errors.New("bad token")
		},
	})
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "connection_init"})
	expectClose(t, c, 4403, "terminated")
}

func TestReadLimit(t *testing.T) {
	limit := int64(256)
	h := newHarness(t, gqlws.Options{}, transport.Websocket{PayloadReadLimit: &limit})
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")

	big := map[string]any{"query": "subscription { name }", "pad": strings.Repeat("x", 4096)}
	send(t, c, msg{Type: "subscribe", ID: "1", Payload: payload(t, big)})
	expectClose(t, c, websocket.CloseMessageTooBig, "")
	h.waitIdle(t)
}

// TestInitTimeout: graphql-transport-ws closes with 4408 when
// connection_init does not come in time; the legacy protocol, which defines
// no code, keeps gqlgen's 1002.
func TestInitTimeout(t *testing.T) {
	for sub, want := range map[string]struct {
		code   int
		reason string
	}{
		"graphql-transport-ws": {gqlws.CloseInitTimeout, "Connection initialisation timeout"},
		"graphql-ws":           {websocket.CloseProtocolError, "connection initialisation timeout"},
	} {
		t.Run(sub, func(t *testing.T) {
			h := newHarness(t, gqlws.Options{}, transport.Websocket{InitTimeout: 50 * time.Millisecond})
			c := h.dial(t, sub)
			expectClose(t, c, want.code, want.reason)
			h.waitIdle(t)
		})
	}
}

// TestSubscribeBeforeInit: graphql-transport-ws closes with 4401 when
// subscribe comes before connection_init; other early messages keep
// gqlgen's 1002; the legacy protocol answers connection_error and 1002.
func TestSubscribeBeforeInit(t *testing.T) {
	for _, tc := range []struct {
		sub, typ string
		code     int
		reason   string
	}{
		{"graphql-transport-ws", "subscribe", gqlws.CloseUnauthorized, "Unauthorized"},
		{"graphql-transport-ws", "complete", websocket.CloseProtocolError, "unexpected message"},
		{"graphql-transport-ws", "not-a-type", websocket.CloseProtocolError, "decoding error"},
		{"graphql-ws", "start", websocket.CloseProtocolError, "unexpected message"},
	} {
		t.Run(tc.sub+"/"+tc.typ, func(t *testing.T) {
			h := newHarness(t, gqlws.Options{}, transport.Websocket{InitTimeout: waitTimeout})
			c := h.dial(t, tc.sub)
			send(t, c, msg{Type: tc.typ, ID: "1", Payload: payload(t, subscription())})
			if tc.sub == "graphql-ws" {
				expectMsg(t, c, "connection_error", "")
			}
			expectClose(t, c, tc.code, tc.reason)
			h.waitIdle(t)
		})
	}
}

// TestInitThenSubscribe: the first message, read whole to learn its type,
// still reaches the transport intact, and a ping before connection_init
// (graphql-transport-ws allows one at any time) gets its pong and the
// socket goes on as usual.
func TestInitThenSubscribe(t *testing.T) {
	for name, before := range map[string][]msg{"LargeInit": nil, "PingFirst": {{Type: "ping"}}} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, gqlws.Options{}, transport.Websocket{InitTimeout: waitTimeout})
			c := h.dial(t, "graphql-transport-ws")
			for _, m := range before {
				send(t, c, m)
				expectMsg(t, c, "pong", "")
			}
			send(t, c, msg{Type: "connection_init", Payload: payload(t, map[string]string{"pad": strings.Repeat("x", 3000)})})
			expectMsg(t, c, "connection_ack", "")
			send(t, c, msg{Type: "subscribe", ID: "1", Payload: payload(t, subscription())})
			h.gql.SendNextSubscriptionMessage()
			expectMsg(t, c, "next", "1")
			closeNormally(t, c)
			h.waitIdle(t)
		})
	}
}

// TestSecondInit: a second connection_init closes the socket with 4429.
func TestSecondInit(t *testing.T) {
	h := newHarness(t, gqlws.Options{}, transport.Websocket{InitTimeout: waitTimeout})
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")
	send(t, c, msg{Type: "connection_init"})
	expectClose(t, c, gqlws.CloseTooManyInits, "Too many initialisation requests")
	h.waitIdle(t)
}

func TestPingPongReadDeadline(t *testing.T) {
	h := newHarness(t, gqlws.Options{}, transport.Websocket{PingPongInterval: 20 * time.Millisecond})

	// A client answering every ping outlives several deadlines.
	alive := h.dial(t, "graphql-transport-ws")
	send(t, alive, msg{Type: "connection_init"})
	expectMsg(t, alive, "connection_ack", "")
	for range 10 {
		expectMsg(t, alive, "ping", "")
		send(t, alive, msg{Type: "pong"})
	}

	// A client ignoring pings is dropped after its read deadline.
	silent := h.dial(t, "graphql-transport-ws")
	send(t, silent, msg{Type: "connection_init"})
	expectMsg(t, silent, "connection_ack", "")
	if err := readUntilError(t, silent); isTimeout(err) {
		t.Fatalf("client read timed out; server never dropped the connection: %v", err)
	}
	_ = silent.Close()
	waitFor(t, "silent client dropped", func() bool { return h.live.Load() == 1 })

	expectMsg(t, alive, "ping", "")
	closeNormally(t, alive)
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

func TestConnectionCounters(t *testing.T) {
	h := newHarness(t, gqlws.Options{}, transport.Websocket{InitTimeout: waitTimeout})
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

func TestCloseAll(t *testing.T) {
	h := newHarness(t, gqlws.Options{}, transport.Websocket{InitTimeout: waitTimeout})
	const n = 3
	clients := h.dialAcked(t, n)

	h.impl.CloseAll(websocket.CloseGoingAway, "server shutting down")
	for _, c := range clients {
		expectClose(t, c, websocket.CloseGoingAway, "server shutting down")
	}
	h.waitIdle(t)
	h.impl.CloseAll(websocket.CloseGoingAway, "nothing left to close")
}

// TestAcceptDirect drives the adapter without gqlgen's transport: concurrent
// writers, merged subprotocols, response headers, repeated WriteClose and
// Close.
func TestAcceptDirect(t *testing.T) {
	var cnt counters
	impl := gqlws.New(cnt.hook(gqlws.Options{}))
	const writers, perWriter = 8, 50
	opts := transport.WebsocketAcceptOptions{
		ResponseHeader: http.Header{"X-Test": {"yes"}},
		Subprotocols:   []string{"custom"},
	}
	srv := newAcceptServer(t, impl, opts, func(conn transport.WebsocketConn) {
		writeConcurrently(t, conn, writers, perWriter)
		if err := conn.WriteClose(4000, "bye"); err != nil {
			t.Errorf("WriteClose: %v", err)
		}
		if err := conn.WriteClose(4001, "again"); err != nil {
			t.Errorf("second WriteClose: %v", err)
		}
		_ = conn.Close()
		_ = conn.Close()
	})

	d := websocket.Dialer{Subprotocols: []string{"custom"}, HandshakeTimeout: waitTimeout}
	c, resp, err := d.Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Subprotocol() != "custom" || resp.Header.Get("X-Test") != "yes" {
		t.Fatalf("subprotocol %q, X-Test %q", c.Subprotocol(), resp.Header.Get("X-Test"))
	}
	for range writers * perWriter {
		read(t, c)
	}
	expectClose(t, c, 4000, "bye")
	cnt.waitIdle(t)
	if cnt.opened.Load() != 1 {
		t.Fatalf("OnOpen called %d times", cnt.opened.Load())
	}
}

func writeConcurrently(t *testing.T, conn transport.WebsocketConn, writers, perWriter int) {
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range perWriter {
				if err := conn.WriteJSON(msg{Type: "n", ID: string(rune('a'+w)) + string(rune('0'+i%10))}); err != nil {
					t.Errorf("WriteJSON: %v", err)
					return
				}
			}
		}()
	}
	for range writers {
		<-done
	}
}

func TestLongCloseReasonIsTruncated(t *testing.T) {
	impl := gqlws.New(gqlws.Options{})
	reason := strings.Repeat("é", 100) // 200 bytes
	srv := newAcceptServer(t, impl, transport.WebsocketAcceptOptions{}, func(conn transport.WebsocketConn) {
		_ = conn.WriteClose(4000, reason)
		_ = conn.Close()
	})
	c := dial(t, srv, nil)
	var ce *websocket.CloseError
	if err := readUntilError(t, c); !errors.As(err, &ce) {
		t.Fatalf("got %v, want close frame", err)
	}
	if ce.Code != 4000 || len(ce.Text) > 123 || !utf8.ValidString(ce.Text) || !strings.HasPrefix(reason, ce.Text) {
		t.Fatalf("got close %d %q (%d bytes)", ce.Code, ce.Text, len(ce.Text))
	}
}

// TestClosedWhenHandlerReturns checks that a connection the handler forgets
// to close is closed, and counted, once the handler returns.
func TestClosedWhenHandlerReturns(t *testing.T) {
	var cnt counters
	impl := gqlws.New(cnt.hook(gqlws.Options{}))
	srv := newAcceptServer(t, impl, transport.WebsocketAcceptOptions{}, func(transport.WebsocketConn) {})
	c := dial(t, srv, &cnt)
	if err := readUntilError(t, c); isTimeout(err) {
		t.Fatalf("connection left open: %v", err)
	}
	_ = c.Close()
	cnt.waitIdle(t)
}

// TestNormalCloseIsErrWebsocketClosed checks the NextReader error mapping.
func TestNormalCloseIsErrWebsocketClosed(t *testing.T) {
	for _, code := range []int{websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived} {
		if err := nextReaderAfterClose(t, code, ""); !errors.Is(err, transport.ErrWebsocketClosed) {
			t.Fatalf("close %d: got %v, want ErrWebsocketClosed", code, err)
		}
	}
}

// TestAbnormalCloseIsNotErrWebsocketClosed checks that other close codes are
// reported as errors.
func TestAbnormalCloseIsNotErrWebsocketClosed(t *testing.T) {
	err := nextReaderAfterClose(t, websocket.CloseInternalServerErr, "boom")
	var ce *websocket.CloseError
	if errors.Is(err, transport.ErrWebsocketClosed) || !errors.As(err, &ce) || ce.Code != websocket.CloseInternalServerErr {
		t.Fatalf("got %v, want close error 1011", err)
	}
}

// nextReaderAfterClose has a client send a close frame with code and reason
// and returns the error the server's NextReader returned for it.
func nextReaderAfterClose(t *testing.T, code int, reason string) error {
	t.Helper()
	errs := make(chan error, 1)
	srv := newAcceptServer(t, gqlws.New(gqlws.Options{}), transport.WebsocketAcceptOptions{}, func(conn transport.WebsocketConn) {
		defer conn.Close()
		_, _, err := conn.NextReader()
		errs <- err
	})
	c := dial(t, srv, nil)
	frame := websocket.FormatCloseMessage(code, reason)
	if err := c.WriteControl(websocket.CloseMessage, frame, time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("close %d: NextReader did not return", code)
		return nil
	}
}

// TestClosedWhenPeerIgnoresClose checks that a peer which neither answers the
// close frame nor closes its socket is still disconnected, and counted, within
// CloseTimeout.
func TestClosedWhenPeerIgnoresClose(t *testing.T) {
	var cnt counters
	impl := gqlws.New(cnt.hook(gqlws.Options{}))
	closed := make(chan time.Time, 1)
	srv := newAcceptServer(t, impl, transport.WebsocketAcceptOptions{}, func(conn transport.WebsocketConn) {
		_ = conn.WriteClose(4000, "bye")
		_ = conn.Close()
		closed <- time.Now()
	})
	dial(t, srv, &cnt) // never reads, never closes until the test ends
	start := <-closed
	cnt.waitIdle(t)
	if elapsed := time.Since(start); elapsed > gqlws.CloseTimeout+time.Second {
		t.Fatalf("connection closed after %v", elapsed)
	}
}

// TestWriteTimeout checks that a peer which stops reading makes WriteJSON fail
// instead of blocking the transport forever.
func TestWriteTimeout(t *testing.T) {
	impl := gqlws.New(gqlws.Options{WriteTimeout: 50 * time.Millisecond})
	errs := make(chan error, 1)
	chunk := strings.Repeat("x", 64<<10)
	srv := newAcceptServer(t, impl, transport.WebsocketAcceptOptions{}, func(conn transport.WebsocketConn) {
		defer conn.Close()
		for {
			if err := conn.WriteJSON(chunk); err != nil {
				errs <- err
				return
			}
		}
	})
	dial(t, srv, nil) // never reads
	select {
	case err := <-errs:
		if !isTimeout(err) {
			t.Fatalf("got %v, want a timeout", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("WriteJSON still blocked")
	}
}

// TestCloseAt: InitFunc schedules the end of its websocket; at that time a
// legacy graphql-ws client gets a connection_error with the reason, then
// both subprotocols get the close frame, and OnClose's function runs.
func TestCloseAt(t *testing.T) {
	for _, sub := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(sub, func(t *testing.T) {
			var closed atomic.Bool
			h := newHarness(t, gqlws.Options{}, transport.Websocket{
				InitFunc: func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
					if !gqlws.CloseAt(ctx, time.Now().Add(100*time.Millisecond), 4403, "expired") || !gqlws.OnClose(ctx, func() { closed.Store(true) }) {
						return ctx, nil, errors.New("no websocket in the context")
					}
					return ctx, nil, nil
				},
			})
			c := h.dial(t, sub)
			send(t, c, msg{Type: "connection_init"})
			expectMsg(t, c, "connection_ack", "")
			if sub == "graphql-ws" {
				if m := expectMsg(t, c, "connection_error", ""); string(m.Payload) != `{"message":"expired"}` {
					t.Fatalf("connection_error payload %s", m.Payload)
				}
			}
			expectClose(t, c, 4403, "expired")
			waitFor(t, "OnClose's function", closed.Load)
		})
	}
}

// TestCheckHandshakeAgreesWithAccept sends bad upgrades to Accept and checks
// CheckHandshake refuses each with the status gorilla answered, and takes a
// good one.
func TestCheckHandshakeAgreesWithAccept(t *testing.T) {
	impl := gqlws.New(gqlws.Options{AllowedOrigins: []string{"https://app.example"}})
	srv := newAcceptServer(t, impl, transport.WebsocketAcceptOptions{}, func(c transport.WebsocketConn) { _ = c.Close() })
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
			req, _ := http.NewRequest(tt.method, srv.URL, nil)
			req.Header = tt.header
			var he *gqlws.HandshakeError
			checked := 0
			if err := impl.CheckHandshake(req); errors.As(err, &he) {
				checked = he.Status
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			answered := resp.StatusCode
			if answered == http.StatusSwitchingProtocols {
				answered = 0
			}
			if checked != tt.status || answered != tt.status {
				t.Errorf("CheckHandshake %d, Accept answered %d, want %d", checked, answered, tt.status)
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
