package gqlws

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
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
// request's context still lives exactly as long as next runs. An upgrade
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
	defer cancel()
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
