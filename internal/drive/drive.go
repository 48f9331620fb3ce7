// Package drive drives a running order server the way its clients do, for
// the programs that exercise a real one (cmd/loadtest, cmd/chaos): GraphQL
// over HTTP with tokens the server's AUTH_SECRET signs, a store connected
// to the server's built-in Lightspeed sandbox as a manager connects one,
// the sandbox's control and staff calls, and the plumbing around the
// server process those programs share (building it, the tail of its
// output, one output shared by many goroutines).
package drive

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

// Main runs a program's run with the program's arguments, environment and
// standard output, under a context that an interrupt or SIGTERM cancels,
// and exits with status 1 after printing run's error prefixed by name.
func Main(name string, run func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// NewHTTPClient returns a client keeping up to conns connections alive to
// a server. Its timeout bounds one request, such as one to a server that
// died under it. It asks for no compression: the server does not compress,
// and a load program measures the server, not gzip.
func NewHTTPClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// Tokens mints the bearer tokens of a program that started its servers
// with AUTH_SECRET set to the program's secret.
type Tokens struct {
	signer  *auth.Tokens
	subject string
}

// NewTokens returns Tokens signed with secret, naming subject (the
// program) as their holder.
func NewTokens(secret, subject string) Tokens {
	return Tokens{signer: auth.NewTokens([]byte(secret)), subject: subject}
}

// As returns Tokens naming subject as their holder instead. The server
// holds at most WEBSOCKET_MAX_PER_SUBJECT (50) websockets per subject, so a
// program that opens more, as many users would, gives each its own.
func (t Tokens) As(subject string) Tokens {
	t.subject = subject
	return t
}

// Mint returns a token of role (for stores, where the role needs them)
// valid for a day: longer than any run.
func (t Tokens) Mint(role domain.Role, stores ...string) string {
	s, err := t.signer.Mint(domain.Principal{Subject: t.subject, Role: role, Stores: stores}, 24*time.Hour, time.Now())
	if err != nil {
		panic(err) // HS256 signing with a non-empty key does not fail
	}
	return s
}

// BuildServer builds the order server into dir with go build, which must
// run within the module, says on out how long that took and returns the
// binary's path.
func BuildServer(ctx context.Context, dir string, out io.Writer) (string, error) {
	bin := filepath.Join(dir, "server")
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/leafly/lightspeed-orders/server")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build the server (run from the module): %w\n%s", err, b)
	}
	fmt.Fprintf(out, "built the server in %s\n", time.Since(start).Round(100*time.Millisecond))
	return bin, nil
}

// Tail keeps the last lines of a server's output, for the error that says
// why the server did not start or stop. It is safe for concurrent use.
type Tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

// NewTail returns a Tail keeping the last n lines.
func NewTail(n int) *Tail { return &Tail{max: n} }

// Add adds a line, dropping the oldest beyond the number kept.
func (t *Tail) Add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[1:]
	}
}

// String returns the lines kept, oldest first, one a line.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// LockedWriter returns a writer that makes one Write to w at a time, so
// that a program's goroutines and the copies of its servers' logs can
// share one output.
func LockedWriter(w io.Writer) io.Writer { return &lockedWriter{w: w} }

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
