package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leafly/lightspeed-orders/internal/drive"
)

// serverProcess is the order service running as a child process, so that
// its resident memory and CPU time can be read from /proc.
type serverProcess struct {
	cmd     *exec.Cmd
	pid     int
	url     string
	http    *http.Client
	done    chan struct{}
	waitErr error
	// lightspeed is the Lightspeed process the server uses, if the scenario
	// started one (sandboxStore); stop stops it after the server.
	lightspeed *serverProcess
	log        *drive.Tail
	out        io.Writer
	// warnings counts the warnings and errors the server logged; the first
	// maxShownWarnings are copied to out.
	warnings atomic.Int64

	stopOnce sync.Once
	stopErr  error
}

// maxShownWarnings is how many of a server's warnings and errors are
// copied to the output; the rest are counted.
const maxShownWarnings = 50

// startServer starts bin with env and waits for its "listening" log line,
// which carries the address it listens on. Warnings and errors the server
// logs are copied to out as they come.
func startServer(ctx context.Context, bin string, env []string, out io.Writer) (*serverProcess, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, pw, pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start the server: %w", err)
	}
	pw.Close()
	s := &serverProcess{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{}), log: drive.NewTail(40), out: out,
		http: drive.NewHTTPClient(8, 30*time.Second)}
	addr := make(chan string, 1)
	go s.scan(pr, addr, out)
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()
	select {
	case a := <-addr:
		s.url = "http://" + a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("the server exited at start (%v):\n%s", s.waitErr, s.log)
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, fmt.Errorf("the server did not log \"listening\" within 60s:\n%s", s.log)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// scan reads the server's output: it reports the listening address, copies
// warnings and errors to out and keeps the last lines for error messages.
func (s *serverProcess) scan(r io.ReadCloser, addr chan<- string, out io.Writer) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		s.log.Add(line)
		var rec struct{ Level, Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		if rec.Msg == "listening" {
			addr <- rec.Addr
		}
		if rec.Level == "WARN" || rec.Level == "ERROR" {
			switch n := s.warnings.Add(1); {
			case n <= maxShownWarnings:
				fmt.Fprintf(out, "  server %s\n", line)
			case n == maxShownWarnings+1:
				fmt.Fprintf(out, "  server: more than %d warnings and errors; the rest are counted, not shown\n", maxShownWarnings)
			}
		}
	}
}

// stop shuts the server down with SIGTERM, killing it after 30s. Calls
// after the first return the first's result, so a scenario can defer it and
// still stop the server early to check how it ended.
func (s *serverProcess) stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.terminate()
		if s.lightspeed != nil {
			s.stopErr = errors.Join(s.stopErr, s.lightspeed.stop())
		}
	})
	return s.stopErr
}

func (s *serverProcess) terminate() error {
	s.http.CloseIdleConnections()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("the server did not stop within 30s of SIGTERM")
	}
	if n := s.warnings.Load(); n > maxShownWarnings {
		fmt.Fprintf(s.out, "  server: logged %d warnings and errors, %d not shown\n", n, n-maxShownWarnings)
	}
	var exit *exec.ExitError
	if errors.As(s.waitErr, &exit) {
		return fmt.Errorf("the server exited with %v:\n%s", s.waitErr, s.log)
	}
	return nil
}

// client returns a GraphQL client of the server for a token, over its own
// transport when conns > 0 (one kept-alive connection per concurrent
// caller), else over the server's shared one.
func (s *serverProcess) client(token string, conns int) drive.GraphQL {
	hc := s.http
	if conns > 0 {
		hc = drive.NewHTTPClient(conns, 30*time.Second)
	}
	return drive.GraphQL{URL: s.url + "/query", Token: token, HTTP: hc}
}

// metrics reads the samples of /metrics, by name with labels as exposed:
// go_goroutines, leafly_http_requests_total{code="200",method="post"}.
func (s *serverProcess) metrics(ctx context.Context) (map[string]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/metrics", nil)
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		name, value := line[:i], line[i+1:]
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			m[name] = v
		}
	}
	return m, sc.Err()
}

// operationSeconds sums the server's leafly_graphql_operation_duration_seconds
// count and sum of successful operations on a root field.
func operationSeconds(m map[string]float64, field string) (count, sum float64) {
	const name = "leafly_graphql_operation_duration_seconds"
	for k, v := range m {
		if !strings.Contains(k, `field="`+field+`"`) || !strings.Contains(k, `outcome="ok"`) {
			continue
		}
		switch {
		case strings.HasPrefix(k, name+"_count{"):
			count += v
		case strings.HasPrefix(k, name+"_sum{"):
			sum += v
		}
	}
	return count, sum
}

// metric reads one sample of /metrics.
func (s *serverProcess) metric(ctx context.Context, name string) (float64, error) {
	m, err := s.metrics(ctx)
	if err != nil {
		return 0, err
	}
	v, ok := m[name]
	if !ok {
		return 0, fmt.Errorf("/metrics has no %s", name)
	}
	return v, nil
}

// waitMetric polls a sample until cond holds or timeout passes, and
// returns its last value.
func (s *serverProcess) waitMetric(ctx context.Context, name string, timeout time.Duration, cond func(float64) bool) (float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		v, err := s.metric(ctx, name)
		if err == nil && cond(v) {
			return v, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return v, fmt.Errorf("%s is %v after %s (last error %v)", name, v, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rssKiB returns the server's resident memory (VmRSS) in KiB.
func (s *serverProcess) rssKiB() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", s.pid)
}

// startPerf records the server with `perf record` into path until the
// returned function is called.
func (s *serverProcess) startPerf(path string) (func() error, error) {
	cmd := exec.Command("perf", "record", "-F", "999", "-g", "-p", strconv.Itoa(s.pid), "-o", path)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("-perf: %w", err)
	}
	return func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGINT {
			err = nil // how perf record ends when interrupted
		}
		if err != nil {
			return fmt.Errorf("perf record: %w: %s", err, out.String())
		}
		return nil
	}, nil
}
