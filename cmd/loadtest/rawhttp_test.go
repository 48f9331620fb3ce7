package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawServer is an httptest server that answers as the path says, and
// counts the connections it accepted.
func rawServer(t *testing.T, split bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request head "+r.Method+" "+r.Header.Get("Authorization"), http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/small":
			w.Write(append([]byte(`{"data":`), append(body, '}')...))
		case "/chunked":
			for i := range 100 {
				w.Write(bytes.Repeat([]byte{byte('a' + i%26)}, 97+i))
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte(`{"data":"bye"}`))
		case "/errors":
			w.Write([]byte(`{"errors":[{"message":"no"}]}`))
		case "/missing":
			http.Error(w, "no such thing", http.StatusNotFound)
		case "/cut":
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"data\":")
			buf.Flush()
			conn.Close()
		case "/garbage":
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.WriteString("HTTP/1.1 OK 200\r\n\r\n")
			buf.Flush()
			conn.Close()
		case "/silent":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if split {
		srv.Listener = splitListener{srv.Listener}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// splitListener's connections write one byte at a time.
type splitListener struct{ net.Listener }

func (l splitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return splitConn{c}, err
}

type splitConn struct{ net.Conn }

func (c splitConn) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := c.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// rawPost posts parts to path and returns the reply as a string.
func rawPost(h *rawHTTP, parts ...[]byte) (string, error) {
	var got string
	err := h.post(context.Background(), func(reply []byte) error {
		got = string(reply)
		return nil
	}, parts...)
	return got, err
}

func newTestRaw(t *testing.T, srv *httptest.Server, path string) *rawHTTP {
	t.Helper()
	h, err := newRawHTTP(srv.URL+path, "tok", 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	return h
}

func wantChunks() string {
	var b strings.Builder
	for i := range 100 {
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), 97+i))
	}
	return b.String()
}

func TestRawHTTPReplies(t *testing.T) {
	t.Parallel()
	for _, split := range []bool{false, true} {
		srv, conns := rawServer(t, split)
		small, chunked := newTestRaw(t, srv, "/small"), newTestRaw(t, srv, "/chunked")
		for range 3 {
			if got, err := rawPost(small, []byte(`{"a":`), []byte(`"x"`), []byte(`}`)); err != nil || got != `{"data":{"a":"x"}}` {
				t.Fatalf("split %v: small = %q, %v", split, got, err)
			}
			if got, err := rawPost(chunked, []byte(`{}`)); err != nil || got != wantChunks() {
				t.Fatalf("split %v: chunked = %d bytes, %v", split, len(got), err)
			}
		}
		if n := conns.Load(); n != 2 {
			t.Errorf("split %v: %d connections for two kept-alive clients", split, n)
		}
		if err := small.failure(); err != nil {
			t.Errorf("split %v: failure = %v", split, err)
		}
	}
}

func TestRawHTTPErrorStatuses(t *testing.T) {
	t.Parallel()
	srv, conns := rawServer(t, false)
	h := newTestRaw(t, srv, "/missing")
	for range 2 {
		if _, err := rawPost(h, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "status 404: no such thing") {
			t.Fatalf("404: %v", err)
		}
	}
	errs := newTestRaw(t, srv, "/errors")
	if _, err := rawPost(errs, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), `status 200: {"errors":`) {
		t.Fatalf("GraphQL errors: %v", err)
	}
	check := errors.New("check failed")
	if err := newTestRaw(t, srv, "/small").post(context.Background(), func([]byte) error { return check }, []byte(`{}`)); err != check {
		t.Fatalf("check: %v", err)
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections: an error status must keep the connection", n)
	}
	if err := h.failure(); err != nil {
		t.Errorf("an error status is no protocol failure: %v", err)
	}
}

func TestRawHTTPServerCloses(t *testing.T) {
	t.Parallel()
	srv, conns := rawServer(t, false)
	h := newTestRaw(t, srv, "/close")
	for range 3 {
		if got, err := rawPost(h, []byte(`{}`)); err != nil || got != `{"data":"bye"}` {
			t.Fatalf("Connection: close = %q, %v", got, err)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections for three replies with Connection: close", n)
	}
	// An idle kept-alive connection the server closed is dialled again.
	small := newTestRaw(t, srv, "/small")
	if _, err := rawPost(small, []byte(`1`)); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	if got, err := rawPost(small, []byte(`2`)); err != nil || got != `{"data":2}` {
		t.Fatalf("after the server closed the idle connection: %q, %v", got, err)
	}
	if err := h.failure(); err != nil {
		t.Errorf("failure = %v", err)
	}
}

func TestRawHTTPProtocolErrors(t *testing.T) {
	t.Parallel()
	srv, _ := rawServer(t, false)
	for path, want := range map[string]string{
		"/cut":     "the connection ended inside the reply",
		"/garbage": `status line "HTTP/1.1 OK 200"`,
		"/silent":  "the server closed a new connection without a reply",
	} {
		h := newTestRaw(t, srv, path)
		_, err := rawPost(h, []byte(`{}`))
		var perr *protocolError
		if !errors.As(err, &perr) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a protocol error with %q", path, err, want)
		}
		if failed := h.failure(); failed == nil || failed.Error() != err.Error() {
			t.Errorf("%s: failure = %v, want %v", path, failed, err)
		}
	}
}
