package gqlws

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
)

// Detach returns next with each upgrade request (one with an Upgrade
// header) served on a goroutine of its own, so that the HTTP server's
// goroutine for the connection returns as soon as next hijacks it. A
// websocket lives as long as its handler runs; while the HTTP server's
// goroutine runs a handler it keeps that connection's HTTP state (its
// 4 KiB read and write buffers, the response and the connection itself),
// which a hijacked connection never uses again. Detached, that state is
// released at the upgrade and only what next holds stays.
//
// next sees what it would see without Detach: its request's context has
// the same values and ends when next returns (or, before the hijack, when
// the client goes away), so the connection and everything tied to the
// request's context still lives exactly as long as next runs. The one
// exception is a request a Transport keeps: its websocket is then served
// on a goroutine of its own, next returns at once, and the request's
// context ends, and the functions given to Finally run, once the websocket
// is closed. An upgrade
// next refuses (answering it over HTTP) is answered before the HTTP
// server's goroutine goes on. A panic in next before the hijack is
// re-raised on the HTTP server's goroutine, and one after it is logged as
// the HTTP server logs a handler's panic.
func Detach(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		ctx = context.WithValue(ctx, lifeKey{}, &life{})
		stop := context.AfterFunc(r.Context(), cancel)
		defer stop()
		d := &detachedWriter{w: w, header: w.Header(), hijacked: make(chan struct{})}
		finished := make(chan any, 1)
		go d.serve(next, r.WithContext(ctx), cancel, finished)
		select {
		case <-d.hijacked:
		case p := <-finished:
			if p != nil {
				panic(p)
			}
		}
	})
}

// serve runs next and reports its end (its panic, or nil) on finished,
// unless the connection was hijacked: the HTTP server's goroutine has gone
// on by then.
func (d *detachedWriter) serve(next http.Handler, r *http.Request, cancel context.CancelFunc, finished chan<- any) {
	defer Finally(r.Context(), cancel)
	defer func() {
		p := recover()
		select {
		case <-d.hijacked:
			logPanic(r, p)
		default:
			finished <- p
		}
	}()
	next.ServeHTTP(d, r)
}

// logPanic logs p, if any, as net/http logs a handler's panic.
func logPanic(r *http.Request, p any) {
	if p == nil || p == http.ErrAbortHandler {
		return
	}
	const size = 64 << 10
	buf := make([]byte, size)
	buf = buf[:runtime.Stack(buf, false)]
	msg := fmt.Sprintf("http: panic serving %v: %v\n%s", r.RemoteAddr, p, buf)
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ErrorLog != nil {
		srv.ErrorLog.Print(msg)
		return
	}
	log.Print(msg)
}

// detachedWriter is the http.ResponseWriter of a detached request: it
// forgets the HTTP server's writer once the connection is hijacked, so
// that the server's per-connection state can be released.
type detachedWriter struct {
	w        http.ResponseWriter // nil once hijacked
	header   http.Header
	hijacked chan struct{} // closed once hijacked
}

func (d *detachedWriter) Header() http.Header { return d.header }

func (d *detachedWriter) Write(b []byte) (int, error) {
	if d.w == nil {
		return 0, http.ErrHijacked
	}
	return d.w.Write(b)
}

func (d *detachedWriter) WriteHeader(status int) {
	if d.w != nil {
		d.w.WriteHeader(status)
	}
}

// Flush flushes the response; after the hijack there is none.
func (d *detachedWriter) Flush() {
	if d.w != nil {
		_ = http.NewResponseController(d.w).Flush()
	}
}

// Hijack takes over the connection and lets the HTTP server's goroutine
// return.
func (d *detachedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if d.w == nil {
		return nil, nil, http.ErrHijacked
	}
	conn, rw, err := http.NewResponseController(d.w).Hijack()
	if err == nil {
		d.w = nil
		close(d.hijacked)
	}
	return conn, rw, err
}

// Unwrap gives http.ResponseController the HTTP server's writer until the
// hijack (then nil: there is nothing left to control).
func (d *detachedWriter) Unwrap() http.ResponseWriter { return d.w }

// lifeKey keys the life Detach puts in a request's context.
type lifeKey struct{}

// life is how long a detached request lasts: until its handler returns,
// or, when a Transport kept it, until its websocket is closed.
type life struct {
	kept    atomic.Bool // a Transport serves the request past its handler
	finally deferred    // run once the kept request is over
}

// keep makes the request of ctx last past its handler, until the returned
// release is called. It reports false when ctx is not a detached request:
// the handler must then serve the websocket to its end itself.
func keep(ctx context.Context) (release func(), ok bool) {
	l, ok := ctx.Value(lifeKey{}).(*life)
	if !ok {
		return nil, false
	}
	l.kept.Store(true)
	return l.finally.run, true
}

// Finally runs f once the request of ctx is over. A middleware calls it
// as its handler returns, for what it does at the end of a request (an
// access log line, a cancel): f runs at once, unless a Transport kept the
// request (a websocket served past its handler, see Detach), in which case
// f runs once the websocket is closed. Functions run in the order given.
func Finally(ctx context.Context, f func()) {
	if l, ok := ctx.Value(lifeKey{}).(*life); ok && l.kept.Load() {
		l.finally.add(f)
		return
	}
	f()
}

// deferred is a list of functions run once, in the order added; one added
// after that runs at once.
type deferred struct {
	mu   sync.Mutex
	fs   []func()
	done bool
}

func (d *deferred) add(f func()) {
	d.mu.Lock()
	if d.done {
		d.mu.Unlock()
		f()
		return
	}
	d.fs = append(d.fs, f)
	d.mu.Unlock()
}

func (d *deferred) run() {
	d.mu.Lock()
	fs := d.fs
	d.fs, d.done = nil, true
	d.mu.Unlock()
	for _, f := range fs {
		f()
	}
}
