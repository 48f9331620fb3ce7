package gqlws

import (
	"bufio"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// slackShare is the share of the write timeout by which a write may time
// out earlier than asked. gorilla sets the connection's write deadline
// before every frame, and each setting costs a timer update in the
// runtime's network poller (7% of the server's CPU in a fan-out to 1,000
// sockets, BENCHMARKS.md); deadlineConn moves the deadline in force only
// once it would move by a tenth of the timeout or more, so a write has at
// least nine tenths of it (9s of the default 10s).
const slackShare = 10

// deadlineConn is a hijacked connection as gorilla sees it: a later write
// deadline less than slack past the one in force is not set; an earlier one
// (a close frame's) and none are.
type deadlineConn struct {
	net.Conn
	slack         time.Duration
	writeDeadline atomic.Int64 // the deadline in force, Unix ns; 0 for none
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	ns := unixNano(t)
	if cur := c.writeDeadline.Load(); ns != 0 && cur != 0 && ns >= cur && ns-cur < int64(c.slack) {
		return nil
	}
	c.writeDeadline.Store(ns)
	return c.Conn.SetWriteDeadline(t)
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.writeDeadline.Store(unixNano(t))
	return c.Conn.SetDeadline(t)
}

// unixNano is t in Unix nanoseconds, 0 for no deadline.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// CloseWrite half-closes the connection when it can (see lingerAndClose).
func (c *deadlineConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// deadlineWriter hands gorilla's Upgrader the connection it hijacks as a
// deadlineConn with the write timeout's slack.
type deadlineWriter struct {
	http.ResponseWriter
	writeTimeout time.Duration
}

func (w deadlineWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &deadlineConn{Conn: c, slack: w.writeTimeout / slackShare}, rw, nil
}

// Unwrap gives http.ResponseController the writer underneath.
func (w deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
