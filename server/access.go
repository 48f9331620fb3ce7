package main

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// accessLog writes the access line of a request once it is answered; a
// websocket's once it closes, its duration the connection's life. Probes,
// scrapes and the built-in sandbox (standing in for Lightspeed, whose calls
// the service makes itself) are logged at DEBUG, everything else at INFO.
//
// A line is what log writes for it, byte for byte, but appended into a
// recycled buffer and handed to out, log's output, which writes access
// lines in batches: none of slog's work per line (the caller's program
// counter, the record, the handler's state). A line with a string that
// needs escaping (a path with a quote, say) is left to log.
type accessLog struct {
	log *slog.Logger
	out *logOutput
}

// accessLines recycles the buffers access lines are built in.
var accessLines = sync.Pool{New: func() any { return new([]byte) }}

func (a *accessLog) write(ctx context.Context, line accessRecord) {
	level := line.level()
	if !a.log.Enabled(ctx, level) {
		return
	}
	now := time.Now()
	note := line.note
	note.mu.Lock()
	operation, operationType := note.operation, note.operationType
	note.mu.Unlock()
	bp := accessLines.Get().(*[]byte)
	defer accessLines.Put(bp)
	b, ok := appendAccessLine((*bp)[:0], now, level, line, operation, operationType, requestID(ctx))
	*bp = b
	if !ok {
		_ = a.log.Handler().Handle(ctx, accessRecordOf(now, level, line, operation, operationType))
		return
	}
	a.out.Buffer(b)
}

func (line accessRecord) level() slog.Level {
	switch path := line.path; {
	case path == "/healthz", path == "/readyz", path == "/metrics", strings.HasPrefix(path, sandboxPath+"/"):
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// statusOrOK is the status the request was answered with: net/http answers
// 200 for a handler that wrote nothing.
func (line accessRecord) statusOrOK() int {
	if line.status == 0 {
		return http.StatusOK
	}
	return line.status
}

// accessRecordOf is the slog record of an access line written at now.
func accessRecordOf(now time.Time, level slog.Level, line accessRecord, operation, operationType string) slog.Record {
	r := slog.NewRecord(now, level, "request", 0)
	r.AddAttrs(slog.String("method", line.method), slog.String("path", logPath(line.path)), slog.Int("status", line.statusOrOK()),
		slog.Int64("duration_ms", now.Sub(line.start).Milliseconds()))
	if operationType != "" {
		r.AddAttrs(slog.String("operation", operation), slog.String("operation_type", operationType))
	}
	return r
}

// appendAccessLine appends to dst the JSON line log writes for
// accessRecordOf(now, level, line, operation, operationType) in a request
// with id requestID; false when one of its strings needs escaping.
func appendAccessLine(dst []byte, now time.Time, level slog.Level, line accessRecord, operation, operationType, requestID string) ([]byte, bool) {
	path := logPath(line.path)
	if !plainJSON(line.method) || !plainJSON(path) || !plainJSON(operation) || !plainJSON(operationType) || !plainJSON(requestID) {
		return dst, false
	}
	dst = append(dst, `{"time":"`...)
	dst = now.Round(0).AppendFormat(dst, time.RFC3339Nano)
	dst = append(append(append(dst, `","level":"`...), level.String()...), `","msg":"request","method":"`...)
	dst = append(append(append(dst, line.method...), `","path":"`...), path...)
	dst = strconv.AppendInt(append(dst, `","status":`...), int64(line.statusOrOK()), 10)
	dst = strconv.AppendInt(append(dst, `,"duration_ms":`...), now.Sub(line.start).Milliseconds(), 10)
	if operationType != "" {
		dst = append(append(append(dst, `,"operation":"`...), operation...), `","operation_type":"`...)
		dst = append(append(dst, operationType...), '"')
	}
	if requestID != "" {
		dst = append(append(append(dst, `,"request_id":"`...), requestID...), '"')
	}
	return append(dst, "}\n"...), true
}

// plainJSON reports whether s goes into a JSON string as it is, as slog
// writes it: valid UTF-8 without control characters, quotes, backslashes or
// the line and paragraph separators (which slog escapes).
func plainJSON(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
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
