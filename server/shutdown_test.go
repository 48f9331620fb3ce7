package main

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestShutdownEndsEventStreams: a server-sent event subscription open
// while the service stops ends with its complete event, as websockets get
// their close frame, so the stop needs no SHUTDOWN_TIMEOUT and fails
// nothing; the client reconnects to another replica.
func TestShutdownEndsEventStreams(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	resp, err := http.DefaultClient.Do(sseRequest(s, f.Staff, `subscription($id: ID!) { storeUpdated(storeId: $id) { name } }`, map[string]any{"id": f.StoreID}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream opened with %s, first line %q, %v", resp.Status, line, err)
	}
	start := time.Now()
	s.Stop(t)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the stop took %s with a stream open: SHUTDOWN_TIMEOUT is 10s, nothing should wait for it", took.Round(time.Millisecond))
	}
	rest, _ := io.ReadAll(r)
	if !strings.Contains(string(rest), "event: complete") {
		t.Errorf("the stream ended without its complete event: %q", rest)
	}
}
