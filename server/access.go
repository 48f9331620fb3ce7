package main

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// accessNote is what the layers under the access log tell it of a
// request: the GraphQL operation it ran.
type accessNote struct {
	mu            sync.Mutex
	operation     string
	operationType string
}

type accessNoteKey struct{}

// maxLoggedOperationName bounds the operation name an access line quotes:
// the caller chooses it.
const maxLoggedOperationName = 100

// accessWriter records the status a handler answered with. A hijacked
// connection (a websocket) counts as 101 Switching Protocols.
type accessWriter struct {
	http.ResponseWriter
	status int
}

func (w *accessWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *accessWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets server-sent events through.
func (w *accessWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hands the connection to a websocket.
func (w *accessWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

func (w *accessWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessRecord is what an access line says of a request: only that is kept
// from it until a websocket's line is written.
type accessRecord struct {
	method, path string
	status       int
	note         *accessNote
	start        time.Time
}

// logAccess writes the access line of a request once it is answered; a
// websocket's once it closes, its duration the connection's life. Probes,
// scrapes and the built-in sandbox (standing in for Lightspeed, whose calls
// the service makes itself) are logged at DEBUG, everything else at INFO.
func logAccess(ctx context.Context, log *slog.Logger, line accessRecord) {
	level := slog.LevelInfo
	switch path := line.path; {
	case path == "/healthz", path == "/readyz", path == "/metrics", strings.HasPrefix(path, sandboxPath+"/"):
		level = slog.LevelDebug
	}
	status := line.status
	if status == 0 {
		status = http.StatusOK // net/http answers 200 for a handler that wrote nothing
	}
	attrs := []slog.Attr{slog.String("method", line.method), slog.String("path", logPath(line.path)), slog.Int("status", status),
		slog.Int64("duration_ms", time.Since(line.start).Milliseconds())}
	note := line.note
	note.mu.Lock()
	if note.operationType != "" {
		attrs = append(attrs, slog.String("operation", note.operation), slog.String("operation_type", note.operationType))
	}
	note.mu.Unlock()
	log.LogAttrs(ctx, level, "request", attrs...)
}

// operationNames is a gqlgen extension telling the access log which
// operation a request ran. A websocket runs many: its access line names
// none.
type operationNames struct{}

func (operationNames) ExtensionName() string                   { return "OperationNames" }
func (operationNames) Validate(graphql.ExecutableSchema) error { return nil }

func (operationNames) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	note, _ := ctx.Value(accessNoteKey{}).(*accessNote)
	if note != nil && graphql.HasOperationContext(ctx) {
		op := graphql.GetOperationContext(ctx)
		name := op.OperationName
		if len(name) > maxLoggedOperationName {
			name = name[:maxLoggedOperationName]
		}
		kind := "unknown"
		if op.Operation != nil {
			kind = string(op.Operation.Operation)
		}
		note.mu.Lock()
		note.operation, note.operationType = name, kind
		note.mu.Unlock()
	}
	return next(ctx)
}
