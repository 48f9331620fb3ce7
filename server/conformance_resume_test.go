package main

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"
)

// resumeClient is an npm client a dashboard resumes orderUpdated with: its
// e2e/ script and whether it is the Apollo Client one (which takes the HTTP
// URL too and prints a query's result first).
type resumeClient struct {
	name, script string
	apollo       bool
}

var resumeClients = []resumeClient{
	{"graphql-ws", "graphql-ws-reconnect.mjs", false},
	{"subscriptions-transport-ws", "subscriptions-transport-ws-reconnect.mjs", false},
	{"apollo-client", "apollo-client.mjs", true},
}

// TestConformanceOrderUpdatedResume: an npm client subscribed to
// orderUpdated outlives its server stopping or crashing. While the server is
// away orders change (through another server on the same database); once it
// is back on the same address, the client reconnects, resubscribes by
// itself with after set to the last cursor it received, and gets exactly the
// updates it missed, in order, then live ones.
func TestConformanceOrderUpdatedResume(t *testing.T) {
	t.Parallel()
	requireNodeModules(t, "graphql-ws", "subscriptions-transport-ws", "@apollo/client")
	eachDatabase(t, func(t *testing.T, db database) {
		for _, c := range resumeClients {
			t.Run(c.name, func(t *testing.T) {
				t.Run("RestartAfterStop", func(t *testing.T) { testResume(t, db, c, false) })
				t.Run("RestartAfterCrash", func(t *testing.T) { testResume(t, db, c, true) })
			})
		}
	})
}

const setStatusMutation = `mutation($id: ID!, $status: OrderStatus!) { setOrderStatus(id: $id, status: $status) { status } }`

func testResume(t *testing.T, db database, c resumeClient, crash bool) {
	env := map[string]string{"HTTP_ADDR": freeAddr(t)}
	maps.Copy(env, db.env)
	s := startProcess(t, env)
	f := newFixture(t, s)
	setStatus := func(s *testServer, id, status string) {
		s.MustDo(t, f.Staff, setStatusMutation, map[string]any{"id": id, "status": status})
	}
	const before, missed, live = 2, 5, 1
	node := c.start(t, s, f, before+missed+live)
	node.waitConnected(t)
	subscribed(t, s, 1)
	first := f.submit(t, s, "RESUME-1")
	setStatus(s, first, "CONFIRMED")
	seen := node.updates(t, before)
	checkUpdates(t, "before the restart", seen, []update{{Kind: "CREATED", OrderID: first}, {Kind: "STATUS_CHANGED", OrderID: first}})

	if crash {
		s.Crash(t)
	} else {
		s.Stop(t)
	}
	other := startProcess(t, db.env)
	second := f.submit(t, other, "RESUME-2")
	setStatus(other, first, "READY")
	third := f.submit(t, other, "RESUME-3")
	setStatus(other, second, "CONFIRMED")
	setStatus(other, third, "READY")
	other.Stop(t)

	again := startProcess(t, env)
	if again.URL != s.URL {
		t.Fatalf("restarted on %s, want %s", again.URL, s.URL)
	}
	node.waitConnected(t)
	replayed := node.updates(t, missed)
	checkUpdates(t, "replayed", replayed, []update{{Kind: "CREATED", OrderID: second}, {Kind: "STATUS_CHANGED", OrderID: first},
		{Kind: "CREATED", OrderID: third}, {Kind: "STATUS_CHANGED", OrderID: second}, {Kind: "STATUS_CHANGED", OrderID: third}})
	subscribed(t, again, 1)
	fourth := f.submit(t, again, "RESUME-4")
	checkUpdates(t, "live", node.updates(t, live), []update{{Kind: "CREATED", OrderID: fourth}})
	checkIncreasing(t, append(seen, replayed...))
	node.exited(t)
}

// start runs the client on an orderUpdated subscription to f's store on s
// that exits after events updates.
func (c resumeClient) start(t *testing.T, s *testServer, f fixture, events int) *nodeScript {
	t.Helper()
	args := []string{clientWSURL(s), f.Staff, f.StoreID, itoa(events), "orderUpdated"}
	if !c.apollo {
		return startNode(t, c.script, args...)
	}
	node := startNode(t, c.script, append([]string{s.URL + "/query"}, args...)...)
	if line := node.next(t, 15*time.Second); !strings.HasPrefix(line, "query ") {
		t.Fatalf("apollo client printed %q, want the query's data", line)
	}
	return node
}

// waitConnected reads lines until the client says it is connected: before
// that, only sockets closing (the server going, refused attempts).
func (n *nodeScript) waitConnected(t *testing.T) {
	t.Helper()
	for closed := 0; ; closed++ {
		line := n.next(t, 30*time.Second)
		if line == "connected" {
			t.Logf("%s connected after %d closed sockets", n.name, closed)
			return
		}
		if !strings.HasPrefix(line, "closed ") {
			t.Fatalf("client printed %q while (re)connecting", line)
		}
	}
}

// updates reads the next k lines, each an orderUpdated result.
func (n *nodeScript) updates(t *testing.T, k int) []update {
	t.Helper()
	var got []update
	for range k {
		line := n.next(t, 30*time.Second)
		data, ok := strings.CutPrefix(line, "event ")
		var r map[string]any
		if !ok || json.Unmarshal([]byte(data), &r) != nil {
			t.Fatalf("client printed %q after %v, want an orderUpdated event", line, got)
		}
		if d, ok := r["data"].(map[string]any); ok {
			r = d // graphql-ws and subscriptions-transport-ws print the result, Apollo Client its data
		}
		u := path(r, "orderUpdated")
		if u == nil {
			t.Fatalf("client printed %q after %v, want an orderUpdated event", line, got)
		}
		got = append(got, update{Cursor: str(path(u, "cursor")), Kind: str(path(u, "kind")),
			OrderID: str(path(u, "order", "id")), Status: str(path(u, "order", "status"))})
	}
	return got
}

// checkUpdates fails unless got are want's kinds of want's orders, in order.
func checkUpdates(t *testing.T, what string, got, want []update) {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].Kind == want[i].Kind && got[i].OrderID == want[i].OrderID
	}
	if !same {
		t.Fatalf("updates %s: %v, want %v", what, got, want)
	}
}
