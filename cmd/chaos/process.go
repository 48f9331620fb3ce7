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
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leafly/lightspeed-orders/internal/drive"
)

// process is one incarnation of the server running as a child process.
type process struct {
	name    string
	cmd     *exec.Cmd
	url     string
	done    chan struct{}
	waitErr error
	tail    *drive.Tail
	// warnings and errors count the WARN and ERROR lines it logged.
	warnings, errors atomic.Int64
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
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), tail: drive.NewTail(30)}
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
		p.tail.Add(line)
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
