package gqlws_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/gqlws"
)

// TestTransportSubprotocols runs a socket of each subprotocol from
// connection_init to its close: acknowledgement, keep-alives (legacy
// only), ping, a subscription's responses, its completion by the server
// and by the client.
func TestTransportSubprotocols(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sub, start, next, stop string
	}{
		{"graphql-transport-ws", "subscribe", "next", "complete"},
		{"graphql-ws", "start", "data", "stop"},
	} {
		t.Run(tc.sub, func(t *testing.T) {
			t.Parallel()
			h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{InitTimeout: waitTimeout, KeepAlivePingInterval: 10 * time.Millisecond}, nil)
			c := h.dial(t, tc.sub)
			send(t, c, msg{Type: "connection_init"})
			expectMsg(t, c, "connection_ack", "")
			legacy := tc.sub == "graphql-ws"
			if legacy {
				for range 2 { // the first at once, then by the timer
					if m := read(t, c); m.Type != "ka" {
						t.Fatalf("got %q, want ka", m.Type)
					}
				}
			} else {
				send(t, c, msg{Type: "ping", Payload: []byte(`{"n":1}`)})
				if m := expectMsg(t, c, "pong", ""); string(m.Payload) != `{"n":1}` {
					t.Fatalf("pong payload %s", m.Payload)
				}
			}
			send(t, c, msg{Type: tc.start, ID: `a"1`, Payload: payload(t, subscription())})
			for range 2 {
				h.gql.SendNextSubscriptionMessage()
				if m := expectMsg(t, c, tc.next, `a"1`); string(m.Payload) != nextPayload {
					t.Fatalf("%s payload %s", tc.next, m.Payload)
				}
			}
			h.gql.SendCompleteSubscriptionMessage()
			expectMsg(t, c, "complete", `a"1`)

			send(t, c, msg{Type: tc.start, ID: "2", Payload: payload(t, subscription())})
			h.gql.SendNextSubscriptionMessage()
			expectMsg(t, c, tc.next, "2")
			send(t, c, msg{Type: tc.stop, ID: "2"})
			expectMsg(t, c, "complete", "2")

			if legacy {
				send(t, c, msg{Type: "connection_terminate"})
				expectClose(t, c, websocket.CloseNormalClosure, "terminated")
			} else {
				closeNormally(t, c)
			}
			h.waitIdle(t)
		})
	}
}

// TestTransportBeforeInit checks what each subprotocol gets for what it
// sends, or does not send, around connection_init.
func TestTransportBeforeInit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sub string
		send      []string // message types, in order
		connError bool     // a connection_error comes before the close
		code      int
		reason    string
	}{
		{"timeout", "graphql-transport-ws", nil, false, gqlws.CloseInitTimeout, "Connection initialisation timeout"},
		{"timeout", "graphql-ws", nil, false, websocket.CloseProtocolError, "connection initialisation timeout"},
		{"subscribe first", "graphql-transport-ws", []string{"subscribe"}, false, gqlws.CloseUnauthorized, "Unauthorized"},
		{"start first", "graphql-ws", []string{"start"}, true, websocket.CloseProtocolError, "unexpected message"},
		{"complete first", "graphql-transport-ws", []string{"complete"}, false, websocket.CloseProtocolError, "unexpected message"},
		{"second init", "graphql-transport-ws", []string{"connection_init", "connection_init"}, false, gqlws.CloseTooManyInits, "Too many initialisation requests"},
		{"second init", "graphql-ws", []string{"connection_init", "connection_init"}, true, websocket.CloseProtocolError, "unexpected message"},
		{"unknown type", "graphql-transport-ws", []string{"not-a-type"}, false, websocket.CloseProtocolError, "decoding error"},
		{"unknown type", "graphql-ws", []string{"not-a-type"}, true, websocket.CloseProtocolError, "decoding error"},
		{"unknown type after init", "graphql-transport-ws", []string{"connection_init", "not-a-type"}, false, gqlws.CloseInvalidMessage, "Invalid message received"},
		{"terminate", "graphql-ws", []string{"connection_terminate"}, false, websocket.CloseNormalClosure, "terminated"},
	} {
		t.Run(tc.sub+" "+tc.name, func(t *testing.T) {
			t.Parallel()
			h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{InitTimeout: 100 * time.Millisecond}, nil)
			c := h.dial(t, tc.sub)
			start := time.Now()
			for i, typ := range tc.send {
				m := msg{Type: typ}
				if typ == "subscribe" || typ == "start" {
					m.ID, m.Payload = "1", payload(t, subscription())
				}
				send(t, c, m)
				if i == 0 && typ == "connection_init" && len(tc.send) > 1 {
					expectMsg(t, c, "connection_ack", "")
				}
			}
			if tc.connError {
				expectMsg(t, c, "connection_error", "")
			}
			expectClose(t, c, tc.code, tc.reason)
			if tc.send == nil && time.Since(start) < 100*time.Millisecond {
				t.Errorf("closed after %v, before the init timeout", time.Since(start))
			}
		})
	}
}

// TestTransportPingBeforeInit: graphql-transport-ws allows a ping at any
// time; the server answers it and still takes connection_init.
func TestTransportPingBeforeInit(t *testing.T) {
	t.Parallel()
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{InitTimeout: waitTimeout}, nil)
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "ping"})
	expectMsg(t, c, "pong", "")
	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")
	closeNormally(t, c)
}

// TestTransportInitRefused: an InitFunc error closes with the code and
// reason of its CloseError (the reason cut to fit a close frame), or 1000
// "terminated"; the legacy client hears the error's message first.
func TestTransportInitRefused(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 100)
	for _, tc := range []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"CloseError", &gqlws.CloseError{Code: 4403, Reason: "Forbidden", Err: errors.New("bad token")}, 4403, "Forbidden"},
		{"long reason", &gqlws.CloseError{Code: 4403, Reason: long, Err: errors.New("bad token")}, 4403, long[:122]},
		{"plain error", errors.New("bad token"), websocket.CloseNormalClosure, "terminated"},
	} {
		for _, sub := range []string{"graphql-transport-ws", "graphql-ws"} {
			t.Run(tc.name+" "+sub, func(t *testing.T) {
				t.Parallel()
				h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{
					InitFunc: func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
						return ctx, nil, tc.err
					},
				}, nil)
				c := h.dial(t, sub)
				send(t, c, msg{Type: "connection_init"})
				if sub == "graphql-ws" {
					if m := expectMsg(t, c, "connection_error", ""); string(m.Payload) != `{"message":"bad token"}` {
						t.Fatalf("connection_error payload %s", m.Payload)
					}
				}
				expectClose(t, c, tc.code, tc.reason)
			})
		}
	}
}

// TestTransportInitPanics: a panic in InitFunc closes the socket with 1011
// (the panic goes on up to gqlgen's handler, which logs it); nothing else
// would close the hijacked connection.
func TestTransportInitPanics(t *testing.T) {
	t.Parallel()
	for _, sub := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(sub, func(t *testing.T) {
			t.Parallel()
			h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{
				InitFunc: func(context.Context, transport.InitPayload) (context.Context, *transport.InitPayload, error) {
					panic("init blew up")
				},
			}, nil)
			c := h.dial(t, sub)
			send(t, c, msg{Type: "connection_init"})
			expectClose(t, c, websocket.CloseInternalServerErr, "Internal error")
		})
	}
}

// TestTransportReadLimit: a message over PayloadReadLimit closes with 1009,
// and the close frame reaches the client although the server leaves the
// rest of the message unread (the socket lingers rather than being reset).
func TestTransportReadLimit(t *testing.T) {
	t.Parallel()
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{PayloadReadLimit: 64}, nil)
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "connection_init", Payload: payload(t, map[string]string{"pad": strings.Repeat("x", 256<<10)})})
	expectClose(t, c, websocket.CloseMessageTooBig, "")
}

// TestTransportCloseAtAndCloseAll: CloseAt and OnClose reach a socket
// from InitFunc's context, and CloseAll closes the rest.
func TestTransportCloseAtAndCloseAll(t *testing.T) {
	t.Parallel()
	var closed atomic.Int64
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			gqlws.OnClose(ctx, func() { closed.Add(1) })
			if p.GetString("end") != "" {
				gqlws.CloseAt(ctx, time.Now().Add(20*time.Millisecond), 4403, "expired")
			}
			return ctx, nil, nil
		},
	}, nil)
	// A legacy client hears the reason in a connection_error first.
	for _, sub := range []string{"graphql-ws", "graphql-transport-ws"} {
		ending := h.dial(t, sub)
		send(t, ending, msg{Type: "connection_init", Payload: payload(t, map[string]string{"end": "soon"})})
		expectMsg(t, ending, "connection_ack", "")
		if sub == "graphql-ws" {
			if m := expectMsg(t, ending, "connection_error", ""); string(m.Payload) != `{"message":"expired"}` {
				t.Fatalf("connection_error payload %s", m.Payload)
			}
		}
		expectClose(t, ending, 4403, "expired")
	}

	staying := h.dial(t, "graphql-transport-ws")
	send(t, staying, msg{Type: "connection_init"})
	expectMsg(t, staying, "connection_ack", "")
	h.impl.CloseAll(websocket.CloseGoingAway, "server shutting down")
	expectClose(t, staying, websocket.CloseGoingAway, "server shutting down")
	h.waitIdle(t)
	if n := closed.Load(); n != 3 {
		t.Errorf("OnClose ran %d times, want 3", n)
	}
}

// TestTransportFinally: within Detach, the handler that accepted a socket
// returns at once, and what a middleware hands Finally runs only once the
// socket is closed.
func TestTransportFinally(t *testing.T) {
	t.Parallel()
	returned, over := make(chan struct{}), make(chan struct{})
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			close(returned)
			gqlws.Finally(r.Context(), func() { close(over) })
		})
	})
	c := h.dial(t, "graphql-transport-ws")
	send(t, c, msg{Type: "connection_init"})
	expectMsg(t, c, "connection_ack", "")
	select {
	case <-returned:
	case <-time.After(waitTimeout):
		t.Fatal("the handler did not return while the socket is open")
	}
	send(t, c, msg{Type: "subscribe", ID: "1", Payload: payload(t, subscription())})
	h.gql.SendNextSubscriptionMessage()
	expectMsg(t, c, "next", "1")
	select {
	case <-over:
		t.Fatal("Finally ran while the socket is open")
	default:
	}
	closeNormally(t, c)
	select {
	case <-over:
	case <-time.After(waitTimeout):
		t.Fatal("Finally did not run once the socket closed")
	}
}

// TestTransportGoroutinesPerSocket: an idle socket with one subscription
// costs the server at most two goroutines (its reader and its operation).
func TestTransportGoroutinesPerSocket(t *testing.T) {
	const n = 50
	h := newTransportHarness(t, gqlws.Options{}, gqlws.Transport{KeepAlivePingInterval: time.Minute}, nil)
	before := runtime.NumGoroutine()
	for range n {
		// The client reads in the test's goroutine: it starts none.
		c := h.dial(t, "graphql-transport-ws")
		send(t, c, msg{Type: "connection_init"})
		expectMsg(t, c, "connection_ack", "")
		send(t, c, msg{Type: "subscribe", ID: "1", Payload: payload(t, subscription())})
		// The pong comes once the subscription has started.
		send(t, c, msg{Type: "ping"})
		expectMsg(t, c, "pong", "")
	}
	waitFor(t, "the server idle", func() bool { return runtime.NumGoroutine()-before <= 2*n })
}
