package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

// Protocol conformance: real JavaScript clients and the graphql-http audit
// suite (pinned in e2e/package.json; `npm ci --prefix e2e` installs them)
// against a live server, on SQLite and on PostgreSQL.

// TestConformanceGraphQLHTTPAudit runs the graphql-http package's
// serverAudits (GraphQL over HTTP): every MUST passes, and every SHOULD that
// warns is one README.md's "Protocol conformance" lists, and the reverse.
func TestConformanceGraphQLHTTPAudit(t *testing.T) {
	t.Parallel()
	requireNodeModules(t, "graphql-http")
	documented := documentedAuditWarnings(t)
	eachDatabase(t, func(t *testing.T, db database) {
		// Some audits query __type: introspection is on for them on both
		// databases (PostgreSQL's default is off).
		env := map[string]string{"GRAPHQL_INTROSPECTION": "true"}
		for k, v := range db.env {
			env[k] = v
		}
		s := startServer(t, env)
		node := startNode(t, "graphql-http-audit.mjs", s.URL+"/query", s.Token(t, domain.RoleAdmin))
		type result struct{ ID, Name, Status, Reason string }
		var results []result
		for line := range node.lines {
			var r result
			if err := json.Unmarshal([]byte(line), &r); err != nil || r.ID == "" {
				t.Fatalf("audit printed %q", line)
			}
			results = append(results, r)
		}
		node.exited(t)
		var musts, passed, warned []string
		for _, r := range results {
			if strings.HasPrefix(r.Name, "MUST ") {
				musts = append(musts, r.ID)
			}
			switch {
			case r.Status == "ok":
				passed = append(passed, r.ID)
			case r.Status == "error" || strings.HasPrefix(r.Name, "MUST "):
				t.Errorf("MUST audit %s: %s: %s: %s", r.ID, r.Status, r.Name, r.Reason)
			case r.Status == "warn":
				warned = append(warned, r.ID)
				if !slices.Contains(documented, r.ID) {
					t.Errorf("SHOULD audit %s warns and README.md does not list it: %s: %s", r.ID, r.Name, r.Reason)
				}
			}
		}
		// graphql-http 1.23.1 has 61 audits, 13 of them MUST: a run that
		// stopped early must not pass.
		if len(results) != 61 || len(musts) != 13 {
			t.Errorf("%d audits ran, %d of them MUST; want the 61 and 13 of graphql-http 1.23.1", len(results), len(musts))
		}
		for _, id := range documented {
			if !slices.Contains(warned, id) {
				t.Errorf("README.md lists SHOULD audit %s as failing but it passes now: remove it", id)
			}
		}
		t.Logf("%d audits, %d passed (all %d MUSTs among them); SHOULDs warned: %v", len(results), len(passed), len(musts), warned)
	})
}

// documentedAuditWarnings returns the audit ids README.md's "Protocol
// conformance" subsection lists as failing SHOULDs.
func documentedAuditWarnings(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "### Protocol conformance")
	if start < 0 {
		t.Fatal(`README.md has no "### Protocol conformance" subsection`)
	}
	section := text[start+len("### Protocol conformance"):]
	if end := strings.Index(section, "\n#"); end >= 0 {
		section = section[:end]
	}
	var ids []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([0-9A-Z]{4})` \\|").FindAllStringSubmatch(section, -1) {
		ids = append(ids, m[1])
	}
	if len(ids) == 0 {
		t.Fatal("README.md's Protocol conformance subsection lists no audit ids")
	}
	return ids
}

// wsClients are the npm websocket clients: their script and the subprotocol
// they speak.
var wsClients = []struct{ name, script, pkg string }{
	{"graphql-ws", "graphql-ws-reconnect.mjs", "graphql-ws"},
	{"subscriptions-transport-ws", "subscriptions-transport-ws-reconnect.mjs", "subscriptions-transport-ws"},
}

// TestConformanceWebsocketClients subscribes with the npm graphql-ws and
// subscriptions-transport-ws clients, the token in connection_init: a
// refused token closes the socket with 4403 and its reason as the client
// sees it; a server that stops (gracefully or by crashing) and starts again
// on the same address is reconnected to and resubscribed by the client on
// its own, and the next event arrives.
func TestConformanceWebsocketClients(t *testing.T) {
	t.Parallel()
	requireNodeModules(t, "graphql-ws", "subscriptions-transport-ws")
	eachDatabase(t, func(t *testing.T, db database) {
		for _, c := range wsClients {
			t.Run(c.name, func(t *testing.T) {
				t.Run("RejectedToken", func(t *testing.T) { testRejectedToken(t, db, c.script, c.name == "subscriptions-transport-ws") })
				t.Run("RestartAfterStop", func(t *testing.T) { testRestart(t, db, c.script, false) })
				t.Run("RestartAfterCrash", func(t *testing.T) { testRestart(t, db, c.script, true) })
			})
		}
	})
}

const wsRefusal = "Forbidden: a valid bearer token is required in connection_init"

func testRejectedToken(t *testing.T, db database, script string, legacy bool) {
	s := startServer(t, db.env)
	f := newFixture(t, s)
	other, err := auth.NewTokens([]byte("another-secret-another-secret-another!")).
		Mint(domain.Principal{Subject: "test", Role: domain.RoleStoreStaff, Stores: []string{f.StoreID}}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	node := startNode(t, script, clientWSURL(s), other, f.StoreID, "reject")
	if legacy {
		// The legacy protocol says why in connection_error before closing.
		line := node.next(t, 15*time.Second)
		if !strings.HasPrefix(line, "connection_error ") || !strings.Contains(line, "bearer token") {
			t.Fatalf("client saw %q, want a connection_error about the bearer token", line)
		}
	}
	if line := node.next(t, 15*time.Second); line != "closed 4403 "+wsRefusal {
		t.Fatalf("client saw %q, want the socket closed with 4403 %q", line, wsRefusal)
	}
	if !legacy {
		// graphql-ws hands the close event to the subscription's error callback.
		want := `error {"code":4403,"reason":"` + wsRefusal + `"}`
		if line := node.next(t, 15*time.Second); line != want {
			t.Fatalf("subscription error was %q, want %q", line, want)
		}
	}
	node.exited(t)
	subscribed(t, s, 0)
}

func testRestart(t *testing.T, db database, script string, crash bool) {
	env := map[string]string{"HTTP_ADDR": freeAddr(t)}
	for k, v := range db.env {
		env[k] = v
	}
	s := startProcess(t, env)
	f := newFixture(t, s)
	node := startNode(t, script, clientWSURL(s), f.Staff, f.StoreID, "2")
	if line := node.next(t, 15*time.Second); line != "connected" {
		t.Fatalf("client saw %q, want connected", line)
	}
	subscribed(t, s, 1)
	first := f.submit(t, s, "RESTART-1")
	node.expectEvent(t, first, "RESTART-1")

	if crash {
		s.Crash(t)
	} else {
		s.Stop(t)
	}
	wantClose := "closed 1001 server shutting down"
	if crash {
		wantClose = "closed 1006 "
	}
	if line := node.next(t, 15*time.Second); line != wantClose {
		t.Fatalf("client saw %q when the server went, want %q", line, wantClose)
	}
	// The client tries again while nothing listens, and keeps trying.
	if line := node.next(t, 15*time.Second); line != "closed 1006 " {
		t.Fatalf("client saw %q while the server was down, want a refused attempt (closed 1006)", line)
	}

	again := startProcess(t, env)
	if again.URL != s.URL {
		t.Fatalf("restarted on %s, want %s", again.URL, s.URL)
	}
	// Attempts may still fail (1006) until the server listens; then the
	// client is acknowledged again and restarts its subscription.
	for failed := 1; ; failed++ {
		line := node.next(t, 30*time.Second)
		if line == "connected" {
			t.Logf("the client reconnected after %d failed attempts", failed)
			break
		}
		if line != "closed 1006 " {
			t.Fatalf("client saw %q while reconnecting", line)
		}
	}
	subscribed(t, again, 1)
	second := f.submit(t, again, "RESTART-2")
	node.expectEvent(t, second, "RESTART-2")
	node.exited(t)
}

// TestConformanceApolloClient runs an Apollo Client as a front end would
// write it (HttpLink with the bearer token, GraphQLWsLink, a split link): a
// query with variables, then a subscription that sees a status change.
func TestConformanceApolloClient(t *testing.T) {
	t.Parallel()
	requireNodeModules(t, "@apollo/client", "graphql-ws")
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		id := f.submit(t, s, "APOLLO-1")
		confirmed := f.submit(t, s, "APOLLO-2")
		s.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { status } }`, map[string]any{"id": confirmed})

		node := startNode(t, "apollo-client.mjs", s.URL+"/query", clientWSURL(s), f.Staff, f.StoreID, "1")
		line := node.next(t, 15*time.Second)
		data, ok := strings.CutPrefix(line, "query ")
		if !ok {
			t.Fatalf("apollo client printed %q, want the query's data", line)
		}
		var q struct {
			Store  struct{ ID, Name string }
			Orders struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID, LeaflyOrderID, Status string
						TotalCents                int
						Lines                     []struct {
							Name     string
							Quantity int
						}
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(data), &q); err != nil {
			t.Fatalf("query data %q: %v", data, err)
		}
		// The filter variable leaves the confirmed order out.
		if q.Store.ID != f.StoreID || q.Store.Name != "Green Leaf" || q.Orders.TotalCount != 1 || len(q.Orders.Edges) != 1 {
			t.Fatalf("query returned %s, want the store and its one PENDING order", data)
		}
		o := q.Orders.Edges[0].Node
		if o.ID != id || o.LeaflyOrderID != "APOLLO-1" || o.Status != "PENDING" || o.TotalCents != 3600 ||
			len(o.Lines) != 2 || o.Lines[0].Name != "Blue Dream 3.5g" || o.Lines[0].Quantity != 2 {
			t.Fatalf("query returned order %+v, want APOLLO-1 PENDING, 3600 cents, 2 × Blue Dream 3.5g first", o)
		}

		if line := node.next(t, 15*time.Second); line != "connected" {
			t.Fatalf("apollo client printed %q, want connected", line)
		}
		subscribed(t, s, 1)
		s.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: READY) { status } }`, map[string]any{"id": id})
		line = node.next(t, 15*time.Second)
		data, ok = strings.CutPrefix(line, "event ")
		if !ok {
			t.Fatalf("apollo client printed %q, want an event", line)
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		e := path(ev, "orderStatusChanged")
		if path(e, "previousStatus") != "PENDING" || path(e, "status") != "READY" || path(e, "source") != "DASHBOARD" ||
			path(e, "order", "id") != id || path(e, "order", "leaflyOrderId") != "APOLLO-1" || path(e, "order", "status") != "READY" {
			t.Fatalf("apollo client received %s, want APOLLO-1 PENDING → READY from DASHBOARD", data)
		}
		node.exited(t)
	})
}

// requireNodeModules skips (fails in CI) when the e2e packages are not installed.
func requireNodeModules(t *testing.T, pkgs ...string) {
	t.Helper()
	for _, p := range pkgs {
		if _, err := os.Stat("../e2e/node_modules/" + p); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("e2e/node_modules/%s is missing: CI must run npm ci --prefix e2e", p)
			}
			t.Skipf("e2e/node_modules/%s is missing: run `npm ci --prefix e2e`", p)
		}
	}
}

// freeAddr returns a loopback address with a port free right now, for a
// server that must come back on the same address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func clientWSURL(s *testServer) string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/query" }

// nodeScript is a running e2e/ script and the lines it prints.
type nodeScript struct {
	name   string
	lines  chan string
	done   chan error
	stderr *lockedBuffer
}

// startNode runs node on an e2e/ script; the test's cleanup kills it if it
// is still running and waits for it.
func startNode(t *testing.T, script string, args ...string) *nodeScript {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, "node", append([]string{"../e2e/" + script}, args...)...)
	n := &nodeScript{name: script, lines: make(chan string, 100), done: make(chan error, 1), stderr: &lockedBuffer{}}
	cmd.Stderr = n.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start node %s: %v", script, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			n.lines <- sc.Text()
		}
		close(n.lines)
		n.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cancel() // kills node if it still runs
		for range n.lines {
		}
		<-n.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", script, n.stderr)
		}
	})
	return n
}

// next returns the next line the script prints.
func (n *nodeScript) next(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case line, ok := <-n.lines:
		if !ok {
			t.Fatalf("%s exited before printing the next line; stderr:\n%s", n.name, n.stderr)
		}
		return line
	case <-time.After(timeout):
		t.Fatalf("%s printed nothing for %s", n.name, timeout)
		return ""
	}
}

// expectEvent reads the next line: orderStatusChanged for a new order.
func (n *nodeScript) expectEvent(t *testing.T, orderID, leaflyID string) {
	t.Helper()
	line := n.next(t, 15*time.Second)
	data, ok := strings.CutPrefix(line, "event ")
	if !ok {
		t.Fatalf("client printed %q, want an event for %s", line, leaflyID)
	}
	var r struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		t.Fatalf("event %q: %v", data, err)
	}
	e := path(r.Data, "orderStatusChanged")
	if len(r.Errors) > 0 || path(e, "previousStatus") != nil || path(e, "status") != "PENDING" || path(e, "source") != "MARKETPLACE" ||
		path(e, "order", "id") != orderID || path(e, "order", "leaflyOrderId") != leaflyID {
		t.Fatalf("client received %s, want new order %s (%s) PENDING from MARKETPLACE", data, leaflyID, orderID)
	}
}

// exited waits for the script to finish and requires exit status 0 with
// nothing more printed.
func (n *nodeScript) exited(t *testing.T) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-n.lines:
			if ok {
				t.Errorf("%s printed %q after the end", n.name, line)
				continue
			}
		case <-deadline:
			t.Fatalf("%s did not exit within 30s", n.name)
		}
		break
	}
	err := <-n.done // the scanner goroutine sends it right after closing lines
	n.done <- err   // for the cleanup
	if err != nil {
		t.Fatalf("%s: %v; stderr:\n%s", n.name, err, n.stderr)
	}
}
