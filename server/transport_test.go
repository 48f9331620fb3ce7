package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leafly/lightspeed-orders/graph"
)

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "leafly_websocket_connections"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(b.String(), want) {
			t.Errorf("GET %s: %d %q, want 200 containing %q", path, resp.StatusCode, b.String(), want)
		}
	}
}

func TestRequestLimits(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	admin := s.Token(t, "ADMIN")
	t.Run("OversizedBody", func(t *testing.T) {
		body := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("TooDeep", func(t *testing.T) {
		q := "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } } }"
		if r := s.Do(t, admin, q, nil); r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "deeper") {
			t.Errorf("code %q %+v, want BAD_USER_INPUT about depth", r.Code(), r.Errors)
		}
	})
	t.Run("TooComplex", func(t *testing.T) {
		q := `query($s: ID!) { orders(storeId: $s, first: 100) { edges { node { lines { name } statusHistory { status } store { name } customer { email } } } } }`
		var b strings.Builder
		b.WriteString("query($s: ID!) {")
		for i := range 12 {
			b.WriteString(" a" + string(rune('a'+i)) + ": " + strings.TrimPrefix(strings.TrimSuffix(q, "}"), "query($s: ID!) {"))
		}
		b.WriteString("}")
		if r := s.Do(t, admin, b.String(), map[string]any{"s": "x"}); r.Code() != "BAD_USER_INPUT" || !strings.Contains(strings.ToLower(r.Errors[0].Message), "complexity") {
			t.Errorf("code %q %+v, want BAD_USER_INPUT about complexity", r.Code(), r.Errors)
		}
	})
	t.Run("SyntaxError", func(t *testing.T) {
		if r := s.Do(t, admin, "{ orders(", nil); r.Code() != "BAD_USER_INPUT" {
			t.Errorf("code %q, want BAD_USER_INPUT", r.Code())
		}
	})
	t.Run("MutationOverGET", func(t *testing.T) {
		q := url.Values{"query": {`mutation { createStore(input: {name: "G", timeZone: "UTC", pickupEnabled: true, deliveryEnabled: true, advertisingSubscriptionActive: true}) { id } }`}}
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/query?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r gqlResponse
		_ = json.NewDecoder(resp.Body).Decode(&r)
		if len(r.Errors) == 0 || r.Data["createStore"] != nil {
			t.Fatalf("GET mutation answered %d %+v, want refused", resp.StatusCode, r)
		}
	})
	t.Run("QueryOverGET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/query?query="+url.QueryEscape("{ __typename }"), nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status %d, want 200", resp.StatusCode)
		}
	})
}

func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	q := `{ __schema { queryType { name } } }`
	on := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	on.MustDo(t, on.Token(t, "ADMIN"), q, nil)
	off := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "GRAPHQL_INTROSPECTION": "false"})
	if r := off.Do(t, off.Token(t, "ADMIN"), q, nil); len(r.Errors) == 0 {
		t.Errorf("introspection answered with GRAPHQL_INTROSPECTION=false")
	}
}

// TestServerSentEvents subscribes over SSE (POST with Accept: text/event-stream).
func TestServerSentEvents(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	resp := subscribeSSE(t, s, f)
	defer resp.Body.Close()
	subscribed(t, s, 1)
	id := f.submit(t, s, "SSE-1")
	lines := bufio.NewScanner(resp.Body)
	deadline := time.AfterFunc(10*time.Second, func() { resp.Body.Close() })
	defer deadline.Stop()
	for lines.Scan() {
		if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			if !strings.Contains(data, id) || !strings.Contains(data, `"PENDING"`) {
				t.Fatalf("SSE event %s, want order %s PENDING", data, id)
			}
			return
		}
	}
	t.Fatalf("no SSE event: %v", lines.Err())
}

// subscribeSSE subscribes to the fixture store's status changes over SSE as
// its staff.
func subscribeSSE(t *testing.T, s *testServer, f fixture) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": statusSubscription, "variables": map[string]any{"s": f.StoreID}})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.Staff)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestRequestIDInErrorsAndLogs checks the caller's request id comes back and
// reaches the logs.
func TestRequestIDInErrorsAndLogs(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Authorization", "Bearer "+s.Token(t, "ADMIN"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "trace-me-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "trace-me-42" {
		t.Errorf("X-Request-Id %q, want trace-me-42", got)
	}
	waitFor(t, "the request to be logged", 5*time.Second, func() bool { return strings.Contains(s.out.String(), `"request_id":"trace-me-42"`) })
}

// TestStreamsOutliveReadTimeout checks HTTP_READ_TIMEOUT bounds how long a
// request takes to arrive, not how long it lasts: a server-sent event
// stream and a websocket subscribed before the deadline still get an event
// sent well after it.
func TestStreamsOutliveReadTimeout(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "HTTP_READ_TIMEOUT": "1s"})
	f := newFixture(t, s)
	resp := subscribeSSE(t, s, f)
	defer resp.Body.Close()
	ws := dialWS(t, s, "graphql-transport-ws", f.Staff)
	ws.expect("connection_ack")
	ws.subscribe("1", statusSubscription, map[string]any{"s": f.StoreID})
	subscribed(t, s, 2)
	subscribedAt := time.Now()
	waitFor(t, "three times HTTP_READ_TIMEOUT to pass", 10*time.Second, func() bool { return time.Since(subscribedAt) > 3*time.Second })
	id := f.submit(t, s, "LATE-1")
	if got := path(ws.next(), "orderStatusChanged", "order", "id"); got != id {
		t.Errorf("websocket event for order %v, want %s", got, id)
	}
	lines := bufio.NewScanner(resp.Body)
	deadline := time.AfterFunc(10*time.Second, func() { resp.Body.Close() })
	defer deadline.Stop()
	for lines.Scan() {
		if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			if !strings.Contains(data, id) {
				t.Fatalf("SSE event %s, want order %s", data, id)
			}
			return
		}
	}
	t.Fatalf("no SSE event after the read timeout: %v", lines.Err())
}

// TestPostTransportMatchesGqlgen sends the same requests through
// postTransport and gqlgen's transport.POST, over the served schema with its
// error presenter, and wants the same status, headers and body, byte for
// byte.
func TestPostTransportMatchesGqlgen(t *testing.T) {
	t.Parallel()
	exec := executor.New(graph.NewExecutableSchema(graph.NewConfig(&graph.Resolver{})))
	exec.SetErrorPresenter(graph.ErrorPresenter(slog.New(slog.DiscardHandler), requestID))
	exec.Use(extension.Introspection{})
	bodies := map[string]string{
		"Typename":       `{"query":"{ __typename }"}`,
		"Introspection":  `{"query":"{ __schema { types { name description fields { name description } } } }"}`,
		"Variables":      `{"query":"query($n: String!) { __type(name: $n) { name kind } }","variables":{"n":"Order"},"operationName":""}`,
		"SyntaxError":    `{"query":"{ orders("}`,
		"UnknownField":   `{"query":"{ nope }"}`,
		"WrongOperation": `{"query":"query A { __typename }","operationName":"B"}`,
		"MalformedJSON":  `{"query":"{ __typename }",}`,
		"NotAnObject":    `[1]`,
		"Empty":          ``,
	}
	accepts := []string{"", "application/json", "application/graphql-response+json", "*/*", "application/*", "text/html",
		"text/html, application/graphql-response+json;q=0.9", "bad;;"}
	for name, body := range bodies {
		for _, accept := range accepts {
			t.Run(name+"/"+accept, func(t *testing.T) {
				want := postThrough(transport.POST{}, exec, body, accept)
				got := postThrough(postTransport{}, exec, body, accept)
				if got.Code != want.Code || !slices.Equal(got.Header()["Content-Type"], want.Header()["Content-Type"]) || got.Body.String() != want.Body.String() {
					t.Errorf("answered %d %v %s\nwant %d %v %s", got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
				}
			})
		}
	}
}

// postThrough posts body to tr as readBody hands it on and returns the answer.
func postThrough(tr graphql.Transport, exec graphql.GraphExecutor, body, accept string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(graphql.StartOperationTrace(context.Background()), http.MethodPost, "/query", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	readBody(time.Second, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tr.Do(w, r, exec) })).ServeHTTP(w, r)
	return w
}

// TestAppendResponse wants appendResponse to encode a response as
// json.Marshal does, whatever its data's characters and its parts.
func TestAppendResponse(t *testing.T) {
	t.Parallel()
	hasNext := true
	for name, r := range map[string]*graphql.Response{
		"Data":              {Data: json.RawMessage(`{"order":{"id":"1","lines":[{"name":"Blue Dream","quantity":2}]}}`)},
		"HTMLAndSeparators": {Data: json.RawMessage(`{"a":"<script>&amp;</script>","b":"x\u2028y\u2029z\u2027","c":"é€😀\u00e2"}`)},
		"NoData":            {Errors: gqlerror.List{{Message: "boom <&>", Path: ast.Path{ast.PathName("order")}, Extensions: map[string]any{"code": "INTERNAL"}}}},
		"ErrorsAndData":     {Data: json.RawMessage(`{"order":null}`), Errors: gqlerror.List{{Message: "not found", Locations: []gqlerror.Location{{Line: 1, Column: 3}}}}},
		"Extensions":        {Data: json.RawMessage(`{}`), Extensions: map[string]any{"persistedQuery": map[string]any{"sha256Hash": "<h>"}}},
		"Incremental":       {Data: json.RawMessage(`{"x":1}`), Label: "l", Path: ast.Path{ast.PathName("x")}, HasNext: &hasNext},
		"Empty":             {},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendResponse([]byte("prefix"), r)
			if err != nil || string(got) != "prefix"+string(want) {
				t.Errorf("appended %s, %v\nwant prefix%s", got, err, want)
			}
		})
	}
}
