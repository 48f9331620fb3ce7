package gqlws

import (
	"context"
	"net/http"
	"time"
)

// slotKey keys the slot Scope puts in a request's context.
type slotKey struct{}

// slot holds the websocket a Transport opened on a request. The Transport
// fills it on the goroutine that then runs InitFunc, so reading it there
// needs no lock.
type slot struct{ c *conn }

// Scope returns next with room in each websocket request's context for the
// connection a Transport opens on it. InitFunc gets a context derived from
// the request's, and no handle on the connection: with Scope around the
// GraphQL handler, CloseAt and OnClose reach it from that context.
func Scope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			r = r.WithContext(context.WithValue(r.Context(), slotKey{}, &slot{}))
		}
		next.ServeHTTP(w, r)
	})
}

// fill records c as the connection of the request whose context is ctx.
func fill(ctx context.Context, c *conn) {
	if s, ok := ctx.Value(slotKey{}).(*slot); ok {
		s.c = c
	}
}

func connOf(ctx context.Context) *conn {
	s, ok := ctx.Value(slotKey{}).(*slot)
	if !ok {
		return nil
	}
	return s.c
}

// CloseAt ends the websocket of ctx at t, as its subprotocol expects of a
// server ending a session: the legacy graphql-ws first gets a
// connection_error whose message is reason, then both subprotocols get a
// close frame with code and reason. It reports false when ctx has no
// websocket (the handler is not within Scope).
func CloseAt(ctx context.Context, t time.Time, code int, reason string) bool {
	c := connOf(ctx)
	if c == nil {
		return false
	}
	timer := time.AfterFunc(time.Until(t), func() { c.end(code, reason) })
	c.atClose(func() { timer.Stop() })
	return true
}

// OnClose arranges for f to run once the websocket of ctx is closed (at
// once if it already is). It reports false when ctx has no websocket.
func OnClose(ctx context.Context, f func()) bool {
	c := connOf(ctx)
	if c == nil {
		return false
	}
	c.atClose(f)
	return true
}
