package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestNodeGraphQLWSClient subscribes with the npm graphql-ws client (pinned
// in e2e/package.json; `npm ci --prefix e2e` installs it).
func TestNodeGraphQLWSClient(t *testing.T) {
	t.Parallel()
	requireNodeModules(t, "graphql-ws")
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "../e2e/graphql-ws-subscribe.mjs", "ws"+strings.TrimPrefix(s.URL, "http")+"/query", f.Staff, f.StoreID, "2")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "subscribed" {
		t.Fatalf("node client: got %q, want subscribed", lines.Text())
	}
	subscribed(t, s, 1)
	id := f.submit(t, s, "NODE-1")
	s.MustDo(t, f.Staff, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { status } }`, map[string]any{"id": id})
	var got []string
	for lines.Scan() {
		var r struct{ Data map[string]any }
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			t.Fatalf("node client printed %q", lines.Text())
		}
		got = append(got, str(path(r.Data, "orderStatusChanged", "status")))
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node client: %v", err)
	}
	if strings.Join(got, ",") != "PENDING,CONFIRMED" {
		t.Errorf("node client saw %v, want PENDING then CONFIRMED", got)
	}
}
