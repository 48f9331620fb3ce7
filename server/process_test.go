package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/auth"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// serverBinary builds this command once per test run.
func serverBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "leafly-server-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "server")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("build server: %v", buildErr)
	}
	return binary
}

type buildError struct {
	err    error
	output string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.output }

// startProcess runs the server as a separate OS process, as a replica runs.
func startProcess(t testing.TB, extra map[string]string) *testServer {
	t.Helper()
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "AUTH_SECRET": testSecret, "SHUTDOWN_TIMEOUT": "10s", "SANDBOX_DEMO": "false"}
	for k, v := range extra {
		env[k] = v
	}
	cmd := exec.Command(serverBinary(t))
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cmd.Stderr = io.MultiWriter(os.Stderr, out) // in the output too: a test may check every line is JSON
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server process: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{env: env, tokens: auth.NewTokens([]byte(testSecret)), out: out, stop: cancel, done: make(chan error, 1),
		kill: func() { _ = cmd.Process.Kill() }}
	go func() {
		<-ctx.Done()
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}()
	addr := make(chan string, 1)
	go func() {
		s.scan(stdout, "listening", addr)
		s.done <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("server process did not start within 30s:\n%s", s.out)
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Crash kills the server process at once, as a crash would, and waits for
// it to be gone.
func (s *testServer) Crash(t testing.TB) {
	t.Helper()
	s.kill()
	select {
	case <-s.done:
		close(s.done)
	case <-time.After(10 * time.Second):
		t.Fatal("the killed server process did not exit")
	}
}

// TestGCHeadroom checks the server binary paces its collector by its
// headroom (go_gc_gogc_percent rises above 100 once a collection ran on its
// small heap) and leaves an operator's GOGC as it is.
func TestGCHeadroom(t *testing.T) {
	t.Parallel()
	paced := startProcess(t, map[string]string{"DATA_DIR": t.TempDir(), "GOGC": ""})
	waitFor(t, "go_gc_gogc_percent above 100", 30*time.Second, func() bool {
		p, err := strconv.Atoi(metric(t, paced, "go_gc_gogc_percent"))
		return err == nil && p > 100
	})
	set := startProcess(t, map[string]string{"DATA_DIR": t.TempDir(), "GOGC": "50"})
	collections := func() int {
		n, _ := strconv.Atoi(metric(t, set, "go_gc_duration_seconds_count"))
		return n
	}
	first := collections()
	// Each scrape allocates: wait for two collections, checking GOGC after each.
	waitFor(t, "two collections with GOGC=50", 30*time.Second, func() bool {
		if p := metric(t, set, "go_gc_gogc_percent"); p != "50" {
			t.Fatalf("go_gc_gogc_percent %s with GOGC=50, want 50", p)
		}
		return collections() >= first+2
	})
}
