package gqlws_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/gqlws"
)

type outerKey struct{}

// logLines is an io.Writer handing each write (one log line) to the test.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

// detachServer serves inner within gqlws.Detach, under a handler that puts
// a value in the request's context and reports on returned each time
// Detach's ServeHTTP returns. The server's error log goes to errs.
func detachServer(t *testing.T, inner http.Handler) (srv *httptest.Server, returned <-chan struct{}, errs logLines) {
	t.Helper()
	ret := make(chan struct{}, 8)
	detached := gqlws.Detach(inner)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		detached.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), outerKey{}, "outer")))
		ret <- struct{}{}
	}))
	errs = make(logLines, 16)
	srv.Config.ErrorLog = log.New(errs, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, ret, errs
}

// TestDetach checks the HTTP server's goroutine returns once the websocket
// is accepted while the handler goes on serving it, with the request's
// context values, until it returns; its context ends then.
func TestDetach(t *testing.T) {
	var upgrader websocket.Upgrader
	contexts := make(chan context.Context, 1)
	srv, returned, _ := detachServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		contexts <- r.Context()
		if _, _, err := conn.NextReader(); err != nil {
			return
		}
		_ = conn.WriteJSON(fmt.Sprintf("%v %v", r.Context().Err(), r.Context().Value(outerKey{})))
		_, _, _ = conn.NextReader()
	}))
	c := dial(t, srv, nil)
	select {
	case <-returned:
	case <-time.After(waitTimeout):
		t.Fatal("the HTTP server's handler did not return after the upgrade")
	}
	ctx := <-contexts
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := c.ReadJSON(&got); err != nil || got != "<nil> outer" {
		t.Fatalf("the handler saw %q (%v), want its context live and with the request's values: \"<nil> outer\"", got, err)
	}
	closeNormally(t, c)
	select {
	case <-ctx.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the request's context did not end when the handler returned")
	}
}

// TestDetachRefusedUpgrade checks an upgrade the handler answers over HTTP
// gets that answer, and a request without Upgrade is served as it is.
func TestDetachRefusedUpgrade(t *testing.T) {
	srv, _, _ := detachServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Refused", "yes")
		http.Error(w, "not here", http.StatusForbidden)
	}))
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	_, resp, err := d.Dial(wsURL(srv), nil)
	if err == nil || resp == nil {
		t.Fatalf("dial: %v, %v; want a refusal", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Refused") != "yes" || strings.TrimSpace(string(body)) != "not here" {
		t.Fatalf("refused upgrade: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	plain, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if plain.StatusCode != http.StatusForbidden || plain.Header.Get("X-Refused") != "yes" {
		t.Fatalf("plain request: %d %v", plain.StatusCode, plain.Header)
	}
}

// TestDetachPanics checks a handler's panic is logged by the HTTP server
// as usual, whether it comes before the hijack or after it.
func TestDetachPanics(t *testing.T) {
	var upgrader websocket.Upgrader
	srv, _, errs := detachServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("before") {
			panic("before the hijack")
		}
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		panic("after the hijack")
	}))
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	if c, _, err := d.Dial(wsURL(srv)+"/?before", nil); err == nil {
		c.Close()
		t.Fatal("a handler that panicked before the upgrade upgraded")
	}
	c := dial(t, srv, nil)
	_, _, _ = c.ReadMessage()
	want := map[string]bool{"before the hijack": true, "after the hijack": true}
	for len(want) > 0 {
		select {
		case line := <-errs:
			for p := range want {
				if strings.HasPrefix(line, "http: panic serving 127.0.0.1:") && strings.Contains(line, ": "+p+"\n") {
					delete(want, p)
				}
			}
		case <-time.After(waitTimeout):
			t.Fatalf("the server did not log the panics %v", want)
		}
	}
}
