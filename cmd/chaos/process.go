package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// process is one incarnation of the server running as a child process.
type process struct {
	name    string
	cmd     *exec.Cmd
	url     string
	done    chan struct{}
	waitErr error
	tail    *tail
	// warnings and errors count the WARN and ERROR lines it logged.
	warnings, errors atomic.Int64
}

// buildServer builds the server into dir, unless -server-bin names one.
func buildServer(ctx context.Context, cfg config, dir string, out io.Writer) (string, error) {
	if cfg.serverBin != "" {
		return cfg.serverBin, nil
	}
	bin := filepath.Join(dir, "server")
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/leafly/lightspeed-orders/server")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build the server (run from the module): %w\n%s", err, b)
	}
	fmt.Fprintf(out, "built the server in %s\n", time.Since(start).Round(100*time.Millisecond))
	return bin, nil
}

// startProcess starts bin with env, its output going to logPath, and waits
// for its "listening" log line. Warnings and errors are also copied to out
// when echo is set.
func startProcess(ctx context.Context, name, bin string, env []string, logPath string, out io.Writer, echo bool) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, pw, pw
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pw.Close()
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), tail: &tail{max: 30}}
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		defer logFile.Close()
		p.scan(pr, logFile, addr, out, echo)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		<-scanned
		close(p.done)
	}()
	select {
	case a := <-addr:
		p.url = "http://" + a
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited at start (%v):\n%s", name, p.waitErr, p.tail)
	case <-time.After(60 * time.Second):
		p.kill()
		return nil, fmt.Errorf("%s did not log \"listening\" within 60s:\n%s", name, p.tail)
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
}

// scan copies the server's output to the log file, reports the listening
// address and counts warnings and errors.
func (p *process) scan(r io.ReadCloser, log io.Writer, addr chan<- string, out io.Writer, echo bool) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(log, line)
		p.tail.add(line)
		var rec struct{ Level, Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch {
		case rec.Msg == "listening":
			select {
			case addr <- rec.Addr:
			default:
			}
		case rec.Level == "WARN":
			p.warnings.Add(1)
		case rec.Level == "ERROR":
			p.errors.Add(1)
		}
		if echo && (rec.Level == "WARN" || rec.Level == "ERROR") {
			fmt.Fprintf(out, "  %s: %s\n", p.name, line)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// kill kills the process at once, as a crash would, and waits for it.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop shuts the process down with SIGTERM, killing it after 30s.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}

// freePort returns a TCP port of 127.0.0.1 nobody listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func portString(p int) string { return strconv.Itoa(p) }

// tail keeps the last max lines written to it.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[1:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := ""
	for _, l := range t.lines {
		s += l + "\n"
	}
	return s
}

// lockedWriter serialises writes of the program's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
