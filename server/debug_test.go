package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDebugAddr checks DEBUG_ADDR serves net/http/pprof on a loopback
// listener of its own, and never on the public listener.
func TestDebugAddr(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "DEBUG_ADDR": "127.0.0.1:0"})
	addr := loggedAddr(t, s, "serving debug")
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
		t.Fatalf("goroutine profile on DEBUG_ADDR: %d %.200q", resp.StatusCode, body)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1"} {
		public, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		mustStatus(t, public, http.StatusNotFound)
	}
}

// TestDebugAddrOffByDefault checks a start without DEBUG_ADDR serves no
// profiles: it logs no debug listener and the public listener has none.
func TestDebugAddrOffByDefault(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	// The debug listener is set up before the "listening" line startServer waited for.
	if strings.Contains(s.out.String(), `"serving debug"`) {
		t.Errorf("a start without DEBUG_ADDR serves debug:\n%s", s.out.String())
	}
	public, _ := http.NewRequest(http.MethodGet, s.URL+"/debug/pprof/", nil)
	mustStatus(t, public, http.StatusNotFound)
}

// TestDebugAddrLoopbackOnly checks DEBUG_ADDR takes only loopback
// addresses, on the embedded default as in a production start, and that
// any other stops the start with one line naming it.
func TestDebugAddrLoopbackOnly(t *testing.T) {
	t.Parallel()
	production := map[string]string{"DATABASE_URL": "postgres://orders@db:5432/orders", "LIGHTSPEED_CLIENT_ID": "app", "LIGHTSPEED_CLIENT_SECRET": "secret"}
	for _, base := range []map[string]string{{}, production} {
		for addr, ok := range map[string]bool{
			"127.0.0.1:6060": true, "127.0.0.2:0": true, "[::1]:6060": true, "localhost:6060": true,
			":6060": false, "0.0.0.0:6060": false, "[::]:6060": false, "10.0.0.7:6060": false, "debug.example.com:6060": false, "127.0.0.1": false,
		} {
			env := map[string]string{"DEBUG_ADDR": addr}
			for k, v := range base {
				env[k] = v
			}
			cfg, err := loadConfig(func(k string) string { return env[k] })
			switch {
			case ok && (err != nil || cfg.DebugAddr != addr):
				t.Errorf("DEBUG_ADDR=%s (DATABASE_URL %q): %v, DebugAddr %q; want it accepted", addr, base["DATABASE_URL"], err, cfg.DebugAddr)
			case !ok && (err == nil || !strings.HasPrefix(err.Error(), "config: DEBUG_ADDR: ")):
				t.Errorf("DEBUG_ADDR=%s (DATABASE_URL %q): %v; want a config error naming DEBUG_ADDR", addr, base["DATABASE_URL"], err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	env := map[string]string{"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0", "DEBUG_ADDR": "0.0.0.0:0"}
	err := run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err == nil || !strings.HasPrefix(err.Error(), "config: DEBUG_ADDR: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("DEBUG_ADDR=0.0.0.0:0: %v; want the start stopped with one line naming DEBUG_ADDR", err)
	}
}
