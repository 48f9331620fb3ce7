package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/storage"
)

// TestDatabaseNotThereYet starts the service on a PostgreSQL that does not
// answer: it listens anyway, alive but not ready, refuses GraphQL with a
// coded 503, logs each attempt with the delay before the next, and stops
// cleanly when told to while it waits.
func TestDatabaseNotThereYet(t *testing.T) {
	t.Parallel()
	proxy := newDBProxy(t, "")
	startWaiting(t, proxy.url(t, "postgres://leafly@db.invalid/orders?sslmode=disable"))
}

// TestDatabaseComesUp starts the service before its PostgreSQL answers: it
// comes up by itself once the database does, migrates and serves. Then a
// lost database makes /readyz 503, and its return brings back 200 and
// working queries.
func TestDatabaseComesUp(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	u, err := neturl.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, u.Host)
	s := startWaiting(t, proxy.url(t, dbURL))

	proxy.setUp(true)
	waitFor(t, "the service to come up with its database", 2*time.Minute, func() bool { return len(logged(s, "listening")) == 1 })
	if got := getStatus(t, s.URL+"/readyz"); got != http.StatusOK {
		t.Fatalf("/readyz answered %d once up, want 200", got)
	}
	admin := s.Token(t, domain.RoleAdmin)
	data := s.MustDo(t, admin, createStoreMutation, map[string]any{"input": map[string]any{
		"name": "Came Up", "timeZone": "UTC", "pickupEnabled": true, "deliveryEnabled": false, "advertisingSubscriptionActive": true}})
	id := str(path(data, "createStore", "id"))
	direct, err := storage.Open(context.Background(), storage.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	var before int
	waitFor(t, "the event listener to listen", time.Minute, func() bool { before = listenerPID(t, direct.SQL()); return before != 0 })

	proxy.setUp(false)
	waitFor(t, "/readyz 503 with the database gone", time.Minute, func() bool { return getStatus(t, s.URL+"/readyz") == http.StatusServiceUnavailable })
	proxy.setUp(true)
	waitFor(t, "/readyz 200 with the database back", time.Minute, func() bool { return getStatus(t, s.URL+"/readyz") == http.StatusOK })
	// A pooled connection used less than a second before the cut is found
	// broken only when next used (pgx pings connections idle longer), so
	// the first query back may meet one.
	waitFor(t, "queries to work with the database back", time.Minute, func() bool {
		r := s.Do(t, admin, `query($id: ID!) { store(id: $id) { name } }`, map[string]any{"id": id})
		return r.Status == http.StatusOK && len(r.Errors) == 0 && str(path(r.Data, "store", "name")) == "Came Up"
	})
	waitFor(t, "the event listener to listen again", time.Minute, func() bool {
		pid := listenerPID(t, direct.SQL())
		return pid != 0 && pid != before
	})
}

// TestDatabaseWaitExceeded checks a start whose PostgreSQL stays away
// longer than DATABASE_WAIT stops, after trying, with one line naming
// DATABASE_URL and DATABASE_WAIT, and without the URL's password.
func TestDatabaseWaitExceeded(t *testing.T) {
	t.Parallel()
	proxy := newDBProxy(t, "")
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "AUTH_SECRET": testSecret, "DATA_DIR": t.TempDir(), "SANDBOX": "true",
		"DATABASE_URL": proxy.url(t, "postgres://leafly:hunter2-secret@db.invalid/orders?sslmode=disable"), "DATABASE_WAIT": "1s"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err := run(ctx, nil, func(k string) string { return env[k] }, io.Discard)
	took := time.Since(start)
	if err == nil {
		t.Fatal("the service started without its database")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "config: DATABASE_URL: ") || !strings.Contains(msg, "DATABASE_WAIT (1s)") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line starting with %q naming DATABASE_WAIT (1s)", msg, "config: DATABASE_URL: ")
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error %q shows the database password", msg)
	}
	if took < 500*time.Millisecond || took > 30*time.Second {
		t.Errorf("gave up after %s: want about DATABASE_WAIT (1s)", took)
	}
}

// TestDatabaseRefusalStopsAtOnce checks a PostgreSQL that answers and
// refuses (here: no such database) is not waited for: the start stops at
// once, naming DATABASE_URL.
func TestDatabaseRefusalStopsAtOnce(t *testing.T) {
	t.Parallel()
	u, err := neturl.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/no_such_database"
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "AUTH_SECRET": testSecret, "DATA_DIR": t.TempDir(), "SANDBOX": "true",
		"DATABASE_URL": u.String(), "DATABASE_WAIT": "10m"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err = run(ctx, nil, func(k string) string { return env[k] }, io.Discard)
	if err == nil {
		t.Fatal("the service started on a database that does not exist")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "config: DATABASE_URL: ") || !strings.Contains(msg, "no_such_database") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line starting with %q naming the database", msg, "config: DATABASE_URL: ")
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("gave up after %s: want at once", took)
	}
}

// TestDataDirNotCreatable checks the embedded database does not wait: a
// DATA_DIR that cannot be created stops the start at once, naming it.
func TestDataDirNotCreatable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "AUTH_SECRET": testSecret, "ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"DATA_DIR": filepath.Join(file, "data"), "DATABASE_WAIT": "10m"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err := run(ctx, nil, func(k string) string { return env[k] }, io.Discard)
	if err == nil {
		t.Fatal("the service started with a DATA_DIR under a file")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "config: DATA_DIR: ") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line starting with %q", msg, "config: DATA_DIR: ")
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("gave up after %s: want at once", took)
	}
}

// startWaiting starts the service on dbURL, which must not answer yet, and
// checks what it serves and logs while it waits.
func startWaiting(t *testing.T, dbURL string) *testServer {
	t.Helper()
	s := startServerUntil(t, map[string]string{"DATABASE_URL": dbURL, "SANDBOX": "true", "DATA_DIR": t.TempDir(), "DATABASE_WAIT": "5m"},
		"waiting for database")
	if got := getStatus(t, s.URL+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz answered %d while waiting, want 200", got)
	}
	if got := getStatus(t, s.URL+"/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz answered %d while waiting, want 503", got)
	}
	if r := s.Do(t, s.Token(t, domain.RoleAdmin), `{ __typename }`, nil); r.Status != http.StatusServiceUnavailable || r.Code() != string(domain.CodeInternal) {
		t.Errorf("/query answered %d %+v while waiting, want 503 with code INTERNAL", r.Status, r.Errors)
	}
	waitFor(t, "a second attempt", time.Minute, func() bool { return len(logged(s, "waiting for database")) >= 2 })
	for i, rec := range logged(s, "waiting for database")[:2] {
		if rec["level"] != "WARN" || rec["attempt"] != float64(i+1) || rec["retry_in"] == nil || rec["err"] == nil {
			t.Errorf("attempt %d logged %v: want level WARN, attempt, err and retry_in", i+1, rec)
		}
	}
	return s
}

// logged returns the server's log records with msg.
func logged(s *testServer, msg string) []map[string]any {
	var recs []map[string]any
	for _, line := range strings.Split(s.out.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			recs = append(recs, rec)
		}
	}
	return recs
}

// listenerPID returns the backend of the service's event listener once it
// listens on db, 0 before.
func listenerPID(t testing.TB, db *sql.DB) int {
	t.Helper()
	var pid int
	err := db.QueryRow(`SELECT COALESCE(max(pid), 0) FROM pg_stat_activity WHERE datname = current_database()
		AND application_name LIKE 'events-listener %' AND query ILIKE 'listen %'`).Scan(&pid)
	if err != nil {
		t.Fatalf("read pg_stat_activity: %v", err)
	}
	return pid
}

func getStatus(t testing.TB, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// dbProxy stands on a free port between the service and its PostgreSQL.
// Down, it takes each connection and closes it at once, as a database that
// is not there; up, it forwards connections to target. Going down cuts the
// connections it forwards.
type dbProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	up    bool
	conns map[net.Conn]bool
}

func newDBProxy(t testing.TB, target string) *dbProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.setUp(false)
	})
	return p
}

// url returns dbURL with its host replaced by the proxy's.
func (p *dbProxy) url(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := neturl.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// setUp brings the database up or takes it down.
func (p *dbProxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
}

func (p *dbProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// forward pipes c to the target while the proxy is up.
func (p *dbProxy) forward(c net.Conn) {
	if !p.track(c) {
		c.Close()
		return
	}
	back, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(back) {
		back.Close()
		c.Close()
		return
	}
	go func() { _, _ = io.Copy(back, c); back.Close() }()
	_, _ = io.Copy(c, back)
	c.Close()
}

// track remembers conn for cutting, when the proxy is up.
func (p *dbProxy) track(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.up {
		p.conns[conn] = true
	}
	return p.up
}

// TestDatabaseListenURL runs two replicas whose DATABASE_LISTEN_URL names
// their database with an application_name of its own, as a direct URL
// beside a transaction pooler's would: every connection that LISTENs (each
// replica's event listener and River's) goes there and no other does, and
// a change made through A still reaches a subscriber on B.
func TestDatabaseListenURL(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	u, err := neturl.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "orders-listen")
	u.RawQuery = q.Encode()
	env := map[string]string{"DATABASE_URL": dbURL, "DATABASE_LISTEN_URL": u.String(), "DATA_DIR": t.TempDir(), "SANDBOX": "true"}
	a := startProcess(t, env)
	b := startProcess(t, env)
	direct, err := storage.Open(context.Background(), storage.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	count := func(where string) int {
		var n int
		if err := direct.SQL().QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND ` + where).Scan(&n); err != nil {
			t.Fatalf("read pg_stat_activity: %v", err)
		}
		return n
	}
	waitFor(t, "both replicas' two listeners on DATABASE_LISTEN_URL", time.Minute, func() bool {
		return count(`application_name = 'orders-listen' AND query ILIKE 'listen %'`) == 4
	})
	if n := count(`application_name <> 'orders-listen' AND query ILIKE 'listen %'`); n != 0 {
		t.Errorf("%d connections LISTEN through DATABASE_URL, want none", n)
	}
	if n := count(`application_name = 'orders-listen'`); n != 4 {
		t.Errorf("%d connections on DATABASE_LISTEN_URL, want the 4 listeners only", n)
	}

	f := newFixture(t, a)
	c := ackedWS(t, b, f.Staff)
	c.subscribe("1", statusSubscription, map[string]any{"s": f.StoreID})
	subscribed(t, b, 1)
	id := f.submit(t, a, "LISTEN-1")
	if got := path(c.next(), "orderStatusChanged", "order", "id"); got != id {
		t.Fatalf("replica B received order %v, want %s", got, id)
	}
}

// TestDatabaseListenURLChecked checks a DATABASE_LISTEN_URL that PostgreSQL
// refuses stops the start at once, and one that does not answer within
// DATABASE_WAIT stops it then, each with one line naming the setting.
func TestDatabaseListenURLChecked(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		listen func(t *testing.T, dbURL string) string
		want   string
	}{
		"Refused": {func(t *testing.T, dbURL string) string {
			u, err := neturl.Parse(dbURL)
			if err != nil {
				t.Fatal(err)
			}
			u.Path = "/no_such_database"
			return u.String()
		}, "no_such_database"},
		"NoAnswer": {func(t *testing.T, dbURL string) string { return newDBProxy(t, "").url(t, dbURL) }, "DATABASE_WAIT (1s)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dbURL := pgtest.NewDatabase(t)
			env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "AUTH_SECRET": testSecret, "DATA_DIR": t.TempDir(), "SANDBOX": "true",
				"DATABASE_URL": dbURL, "DATABASE_LISTEN_URL": c.listen(t, dbURL), "DATABASE_WAIT": "1s"}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := run(ctx, nil, func(k string) string { return env[k] }, io.Discard)
			if err == nil {
				t.Fatal("the service started")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "config: DATABASE_LISTEN_URL: ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with %q and naming %q", msg, "config: DATABASE_LISTEN_URL: ", c.want)
			}
		})
	}
}
