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
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/storage"
)

const testSecret = "test-secret-test-secret-test-secret!"

// testServer is the real program started by run on a free port.
type testServer struct {
	URL    string
	env    map[string]string
	tokens *auth.Tokens
	out    *lockedBuffer
	stop   context.CancelFunc
	done   chan error
	// kill ends a server process at once, as a crash would (processes only).
	kill func()
}

// database is where a test's servers keep their data.
type database struct {
	name string
	env  map[string]string
}

// eachDatabase runs test once on the embedded database and once on
// PostgreSQL (skipped, with a message, when TEST_DATABASE_URL is unset),
// there with SANDBOX=true: a PostgreSQL start serves no sandbox by itself.
// The two run in parallel, each on a database of its own.
func eachDatabase(t *testing.T, test func(t *testing.T, db database)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, database{"sqlite", map[string]string{"DATA_DIR": t.TempDir()}})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := pgtest.NewDatabase(t)
		test(t, database{"postgres", map[string]string{"DATA_DIR": t.TempDir(), "DATABASE_URL": url, "SANDBOX": "true"}})
	})
}

// startServer runs the service with env over the test defaults and waits
// until it listens.
func startServer(t testing.TB, extra map[string]string) *testServer {
	t.Helper()
	return startServerUntil(t, extra, "listening")
}

// startServerUntil runs the service like startServer and waits until it
// logs msg with its address.
func startServerUntil(t testing.TB, extra map[string]string, msg string) *testServer {
	t.Helper()
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "AUTH_SECRET": testSecret, "LOG_LEVEL": "debug", "SHUTDOWN_TIMEOUT": "10s", "SANDBOX_DEMO": "false"}
	for k, v := range extra {
		env[k] = v // "" unsets a default
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{env: env, tokens: auth.NewTokens([]byte(testSecret)), out: &lockedBuffer{}, stop: cancel, done: make(chan error, 1)}
	pr, pw := io.Pipe()
	addr := make(chan string, 1)
	go s.scan(pr, msg, addr)
	go func() {
		err := run(ctx, nil, func(k string) string { return env[k] }, pw)
		pw.Close()
		s.done <- err
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case err := <-s.done:
		t.Fatalf("server did not start: %v\n%s", err, s.out)
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start within 30s:\n%s", s.out)
	}
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("server output:\n%s", s.out)
		}
	})
	return s
}

// scan copies the server's output and reports the address of the first
// line logged with msg.
func (s *testServer) scan(r io.Reader, msg string, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s.out.WriteLine(line)
		var rec struct{ Msg, Addr string }
		// Decoding only the lines that can match spares the debug log's
		// thousands of others.
		if strings.Contains(line, msg) && json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
			select {
			case addr <- rec.Addr:
			default:
			}
		}
	}
}

// Stop shuts the server down and waits for run to return.
func (s *testServer) Stop(t testing.TB) {
	http.DefaultClient.CloseIdleConnections()
	s.stop()
	select {
	case err, ok := <-s.done:
		if ok && err != nil {
			t.Errorf("run returned %v", err)
		}
		if ok {
			close(s.done)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("server did not stop within 20s")
	}
}

// Token mints a token for a role and stores.
func (s *testServer) Token(t testing.TB, role domain.Role, stores ...string) string {
	t.Helper()
	tok, err := s.tokens.Mint(domain.Principal{Subject: "test", Role: role, Stores: stores}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Storage opens the server's database directly, for seeding.
func (s *testServer) Storage(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), storage.Config{DatabaseURL: s.env["DATABASE_URL"], DataDir: s.env["DATA_DIR"]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// gqlResponse is a GraphQL response with its HTTP status.
type gqlResponse struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string
		Path       []any
		Locations  []struct{ Line, Column int }
		Extensions map[string]any
	}
}

// Code returns the extensions.code of the first error, "" when none.
func (r gqlResponse) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Do posts a GraphQL request.
func (s *testServer) Do(t testing.TB, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /query: %v", err)
	}
	defer resp.Body.Close()
	out := gqlResponse{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode response (status %d): %v", resp.StatusCode, err)
	}
	return out
}

// MustDo posts a GraphQL request that must succeed and returns its data.
func (s *testServer) MustDo(t testing.TB, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	r := s.Do(t, token, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("status %d, errors %+v for %s", r.Status, r.Errors, query)
	}
	return r.Data
}

// lockedBuffer collects output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteLine(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s + "\n")
}

// Write appends p as it is, for output copied in chunks (a process's stderr).
func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// path reads a value out of decoded JSON: path(data, "store", "id").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string { return fmt.Sprint(v) }
