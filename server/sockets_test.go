package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

// expiringToken mints a token of p that stops being accepted validFor from
// now (its exp) and returns it with that moment.
func expiringToken(t testing.TB, s *testServer, p domain.Principal, validFor time.Duration) (string, time.Time) {
	t.Helper()
	tok, err := s.tokens.Mint(p, validFor, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	verified, err := s.tokens.Verify(tok)
	if err != nil {
		t.Fatalf("a token valid for %v: %v", validFor, err)
	}
	return tok, verified.Expires
}

// TestTokenExpiryEndsConnections: a manager's token that expires while its
// websocket (either subprotocol) or SSE stream is open ends that connection
// at its expiry, saying why, instead of letting it run mutations and
// receive shoppers' orders for as long as it stays open.
func TestTokenExpiryEndsConnections(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		manager := domain.Principal{Subject: "manager", Role: domain.RoleStoreManager, Stores: []string{f.StoreID}}
		vars := map[string]any{"s": f.StoreID}
		t.Run("graphql-transport-ws", func(t *testing.T) {
			t.Parallel()
			tok, expires := expiringToken(t, s, manager, 8*time.Second)
			c := dialWS(t, s, "graphql-transport-ws", tok)
			c.expect("connection_ack")
			c.subscribe("1", statusSubscription, vars)
			ce, msgs := c.closed(40 * time.Second)
			checkExpiryClose(t, ce, expires)
			if len(msgs) != 0 {
				t.Errorf("before the close: %v, want nothing", msgs)
			}
		})
		t.Run("graphql-ws", func(t *testing.T) {
			t.Parallel()
			tok, expires := expiringToken(t, s, manager, 8*time.Second)
			c := dialWS(t, s, "graphql-ws", tok)
			c.expect("connection_ack")
			payload, _ := json.Marshal(map[string]any{"query": statusSubscription, "variables": vars})
			c.send(wsMessage{ID: "1", Type: "start", Payload: payload})
			ce, msgs := c.closed(40 * time.Second)
			checkExpiryClose(t, ce, expires)
			if len(msgs) != 1 || msgs[0].Type != "connection_error" || !strings.Contains(string(msgs[0].Payload), "expired") {
				t.Errorf("before the close: %v, want one connection_error naming the expiry", msgs)
			}
		})
		t.Run("sse", func(t *testing.T) {
			t.Parallel()
			tok, expires := expiringToken(t, s, manager, 8*time.Second)
			events := sseEvents(t, s, tok, statusSubscription, vars, 40*time.Second)
			if time.Now().Before(expires) {
				t.Errorf("the stream ended %v before the token expired", time.Until(expires))
			}
			want := []string{`next {"errors":[{"message":"The bearer token expired; connect again with a new one.","extensions":{"code":"UNAUTHENTICATED"}}],"data":null}`, "complete"}
			if strings.Join(events, "\n") != strings.Join(want, "\n") {
				t.Errorf("events %q, want %q", events, want)
			}
		})
	})
}

// checkExpiryClose fails unless ce is the close of an expired token, sent
// no earlier than the token's expiry.
func checkExpiryClose(t *testing.T, ce *websocket.CloseError, expires time.Time) {
	t.Helper()
	if ce.Code != 4403 || ce.Text != "Forbidden: the bearer token expired" {
		t.Errorf("closed with %d %q, want 4403 naming the expiry", ce.Code, ce.Text)
	}
	if early := time.Until(expires); early > 0 {
		t.Errorf("closed %v before the token expired", early)
	}
}

// sseEvents posts query over server-sent events and returns each event
// (its name, and its data after a space) until the server ends the stream,
// failing if it does not within d.
func sseEvents(t *testing.T, s *testServer, token, query string, vars map[string]any, d time.Duration) []string {
	t.Helper()
	resp, err := (&http.Client{Timeout: d}).Do(sseRequest(s, token, query, vars))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []string
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if name, ok := strings.CutPrefix(lines.Text(), "event: "); ok {
			events = append(events, name)
		}
		if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok && len(events) > 0 {
			events[len(events)-1] += " " + data
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatalf("the stream did not end within %v (events %q): %v", d, events, err)
	}
	return events
}

// TestSubscriptionsPerWebsocket: one websocket holds at most 100
// subscriptions; the next is refused with BAD_USER_INPUT on that operation
// alone, the socket and its subscriptions live on, and a completed
// subscription makes room for another.
func TestSubscriptionsPerWebsocket(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		c := dialWS(t, s, "graphql-transport-ws", f.Staff)
		c.expect("connection_ack")
		vars := map[string]any{"s": f.StoreID}
		for i := range 101 {
			c.subscribe(itoa(i), statusSubscription, vars)
		}
		refused := c.refusal()
		subscribed(t, s, 100)
		if got := metric(t, s, `leafly_websocket_refused_total{reason="subscriptions_per_socket"}`); got != "1" {
			t.Errorf("refused subscriptions counted %s, want 1", got)
		}
		id := f.submit(t, s, "CAP-1")
		live := map[string]bool{}
		for range 100 {
			m := c.expect("next")
			if m.ID == refused || live[m.ID] || !strings.Contains(string(m.Payload), id) {
				t.Fatalf("event %s %s: want order %s once on each of the 100 live subscriptions", m.ID, m.Payload, id)
			}
			live[m.ID] = true
		}
		c.send(wsMessage{ID: "0", Type: "complete"})
		if refused == "0" {
			c.send(wsMessage{ID: "1", Type: "complete"})
		}
		subscribed(t, s, 99)
		c.subscribe("again", statusSubscription, vars)
		subscribed(t, s, 100)
	})
}

// refusal reads the refusal of one subscription (an error event and its
// complete) and returns its id.
func (c *wsClient) refusal() string {
	c.t.Helper()
	m := c.expect("next")
	want := `{"errors":[{"message":"This websocket already holds 100 subscriptions, the most it may; complete one first or open another websocket.","extensions":{"code":"BAD_USER_INPUT"}}],"data":null}`
	if string(m.Payload) != want {
		c.t.Fatalf("got %s, want %s", m.Payload, want)
	}
	if done := c.expect("complete"); done.ID != m.ID {
		c.t.Fatalf("complete of %s after the refusal of %s", done.ID, m.ID)
	}
	return m.ID
}

// TestWebsocketsPerSubject: one token subject holds at most 50 websockets;
// the next is closed with 1008 and a reason, another subject is not
// affected, and a closed websocket makes room for another.
func TestWebsocketsPerSubject(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		var held []*wsClient
		for range 50 {
			c := dialWS(t, s, "graphql-transport-ws", f.Staff)
			c.expect("connection_ack")
			held = append(held, c)
		}
		for _, protocol := range []string{"graphql-transport-ws", "graphql-ws"} {
			ce, _ := dialWS(t, s, protocol, f.Staff).closed(10 * time.Second)
			if ce.Code != websocket.ClosePolicyViolation || ce.Text != "Too many websockets: at most 50 per token subject" {
				t.Errorf("%s: the 51st websocket closed with %d %q, want 1008 naming the cap", protocol, ce.Code, ce.Text)
			}
		}
		other, err := s.tokens.Mint(domain.Principal{Subject: "another", Role: domain.RoleStoreStaff, Stores: []string{f.StoreID}}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		dialWS(t, s, "graphql-transport-ws", other).expect("connection_ack")
		if got := metric(t, s, `leafly_websocket_refused_total{reason="sockets_per_subject"}`); got != "2" {
			t.Errorf("refused websockets counted %s, want 2", got)
		}
		held[0].conn.Close()
		waitFor(t, "a closed websocket to make room", 20*time.Second, func() bool {
			c := dialWS(t, s, "graphql-transport-ws", f.Staff)
			m, err := c.read()
			return err == nil && m.Type == "connection_ack"
		})
	})
}

// TestOperationAfterExpiryRefused: an operation that reaches the server
// after its token expired (on a websocket in the instant before its close)
// is refused with UNAUTHENTICATED and never runs.
func TestOperationAfterExpiryRefused(t *testing.T) {
	t.Parallel()
	sk := newSockets(config{WebsocketMaxPerSubject: 1, WebsocketMaxSubscriptions: 1}, newMetrics())
	p := domain.Principal{Subject: "x", Role: domain.RoleAdmin, Expires: time.Now().Add(-time.Millisecond)}
	ctx := graphql.WithOperationContext(auth.WithPrincipal(context.Background(), p), &graphql.OperationContext{})
	resp := sk.InterceptOperation(ctx, func(context.Context) graphql.ResponseHandler {
		t.Error("the operation ran")
		return graphql.OneShot(&graphql.Response{})
	})(ctx)
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("errors %v, want one UNAUTHENTICATED", resp.Errors)
	}
}

// metric returns the value of the series named (with its labels) by
// series on the server's /metrics.
func metric(t *testing.T, s *testServer, series string) string {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return fmt.Sprintf("absent (series %s)", series)
}

// sseRequest is a POST of query asking for server-sent events.
func sseRequest(s *testServer, token, query string, vars map[string]any) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	return req
}
