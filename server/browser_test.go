//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestBrowserCORS has headless Chromium call /query with a bearer token
// from pages on two other origins: the allowed one creates a store and reads
// the response and its X-Request-Id; the other is stopped by Chromium's CORS
// check after the preflight, and its mutation never reaches the service.
func TestBrowserCORS(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	eachDatabase(t, func(t *testing.T, db database) {
		allowed, other := otherOrigin(t), otherOrigin(t)
		s := startServer(t, withEnv(db.env, "ALLOWED_ORIGINS", allowed.URL))
		token := s.Token(t, domain.RoleAdmin)

		got := b.open(t, allowed.URL).eval(createStoreFetch(s.URL, token, "From an allowed origin"))
		var r struct {
			Status    int
			RequestID string
			Body      gqlResponse
		}
		if err := json.Unmarshal([]byte(str(got)), &r); err != nil {
			t.Fatalf("allowed origin: %v: %v", got, err)
		}
		if r.Status != http.StatusOK || str(path(r.Body.Data, "createStore", "name")) != "From an allowed origin" || r.RequestID == "" {
			t.Errorf("allowed origin: %+v, want status 200, the store and an X-Request-Id", r)
		}

		tb := b.open(t, other.URL)
		if got := tb.eval(createStoreFetch(s.URL, token, "From another origin")); got != "failed: TypeError: Failed to fetch" {
			t.Errorf("other origin: %v, want the fetch to fail", got)
		}
		tb.waitLog("Access to fetch at '" + s.URL + "/query' from origin '" + other.URL + "' has been blocked by CORS policy")
		for series, want := range map[string]string{
			`leafly_http_requests_total{code="204",method="options"}`: "1", // the allowed origin's preflight
			`leafly_http_requests_total{code="200",method="options"}`: "1", // the other's, answered without CORS
			`leafly_http_requests_total{code="200",method="post"}`:    "1", // the allowed origin's mutation only
		} {
			if got := metric(t, s, series); got != want {
				t.Errorf("%s = %s, want %s", series, got, want)
			}
		}
	})
}

// otherOrigin serves a blank page on an origin of its own.
func otherOrigin(t *testing.T) *httptest.Server {
	t.Helper()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>A browser app</title><p>A page on another origin.</p>")
	}))
	t.Cleanup(page.Close)
	return page
}

// createStoreFetch is a script that creates a store with fetch() and
// answers the status, X-Request-Id and body as JSON, or "failed: <error>".
func createStoreFetch(serviceURL, token, name string) string {
	body, _ := json.Marshal(map[string]any{"query": createStoreMutation, "variables": map[string]any{"input": map[string]any{
		"name": name, "timeZone": "America/Los_Angeles", "pickupEnabled": true, "deliveryEnabled": false, "advertisingSubscriptionActive": true,
	}}})
	return fmt.Sprintf(`fetch(%q, {
		method: 'POST',
		headers: { 'Authorization': %q, 'Content-Type': 'application/json' },
		body: %q,
	}).then(async (r) => JSON.stringify({ status: r.status, requestId: r.headers.get('X-Request-Id'), body: await r.json() }))
	  .catch((e) => 'failed: ' + e)`, serviceURL+"/query", "Bearer "+token, body)
}

// TestBrowserGraphiQL loads /graphiql in headless Chromium, puts a token in
// its headers editor, runs a query, then a subscription that gets the next
// change of the store over the websocket; the page's Content Security
// Policy refuses nothing it needs.
func TestBrowserGraphiQL(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, withEnv(db.env, "GRAPHIQL", "true"))
		admin := s.Token(t, domain.RoleAdmin)
		store := str(path(s.MustDo(t, admin, createStoreMutation, map[string]any{"input": map[string]any{
			"name": "Green Leaf", "timeZone": "America/Los_Angeles", "pickupEnabled": true, "deliveryEnabled": true, "advertisingSubscriptionActive": true,
		}}), "createStore", "id"))

		tb := b.open(t, s.URL+"/graphiql")
		tb.waitUntil("the IDE", `!!document.querySelector('.graphiql-container .graphiql-execute-button')`)
		headers, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + admin})
		tb.eval(setEditor(".graphiql-editor-tool .graphiql-editor:not(.hidden)", string(headers)))

		tb.run("StoreName", fmt.Sprintf(`query StoreName { store(id: %q) { name } }`, store))
		tb.waitUntil("the query's result", resultContains(`"name": "Green Leaf"`))

		tb.run("StoreRenamed", fmt.Sprintf(`subscription StoreRenamed { storeUpdated(storeId: %q) { name } }`, store))
		waitFor(t, "the IDE's subscription", browserTimeout, func() bool { return metric(t, s, "leafly_subscriptions") == "1" })
		s.MustDo(t, admin, `mutation($id: ID!) { updateStore(input: {id: $id, name: "Renamed"}) { id } }`, map[string]any{"id": store})
		tb.waitUntil("the subscription's event", resultContains(`"name": "Renamed"`))

		for _, line := range tb.logs {
			if strings.Contains(line, "Content Security Policy") {
				t.Errorf("the page's policy refused something: %s", line)
			}
		}
	})
}

// setEditor is a script that replaces the text of the GraphiQL editor
// (a CodeMirror) inside the element selector names.
func setEditor(selector, text string) string {
	return fmt.Sprintf(`document.querySelector(%q + ' .CodeMirror').CodeMirror.setValue(%q)`, selector, text)
}

// run puts an operation named name in GraphiQL's query editor and runs it
// once GraphiQL has parsed it (it does so 100 ms after the last change, and
// notes the operation's name on the editor).
func (tb *tab) run(name, operation string) {
	tb.t.Helper()
	tb.eval(setEditor(".graphiql-query-editor", operation))
	tb.waitUntil("GraphiQL to parse "+name, fmt.Sprintf(`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operationName === %q`, name))
	tb.eval(`document.querySelector('.graphiql-execute-button').click()`)
}

// resultContains is an expression true once GraphiQL's result pane shows text.
func resultContains(text string) string {
	return fmt.Sprintf(`document.querySelector('.result-window .CodeMirror').CodeMirror.getValue().includes(%q)`, text)
}
