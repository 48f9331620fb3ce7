package gqlws

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// maxCloseReasonLen is the largest close reason that fits in a control frame
// (125 bytes payload minus the 2-byte status code).
const maxCloseReasonLen = 123

// conn is a websocket a Transport serves. gorilla allows one concurrent
// reader and one concurrent writer; the transport reads from a single
// goroutine but writes from several, so data writes are serialised by
// writeMu. gorilla's Close and WriteControl are safe to call concurrently with
// anything, so WriteClose and Close do not take writeMu and cannot be blocked
// by a stalled data write.
type conn struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
	writeMu      sync.Mutex

	closeReceived atomic.Bool // the peer's close frame was read

	closeOnce sync.Once
	closeErr  error
	onClose   func()

	hooks deferred // run once closed; see atClose
}

func newConn(ws *websocket.Conn, writeTimeout time.Duration, onClose func()) *conn {
	c := &conn{ws: ws, writeTimeout: writeTimeout, onClose: onClose}
	echo := ws.CloseHandler()
	ws.SetCloseHandler(func(code int, text string) error {
		c.closeReceived.Store(true)
		return echo(code, text)
	})
	return c
}

// WriteJSON writes v as a JSON text message. It is safe for concurrent use.
func (c *conn) WriteJSON(v any) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(c.writeDeadline()); err != nil {
		return err
	}
	return c.ws.WriteJSON(v)
}

// writeMessage writes b as one text message. It is safe for concurrent
// use.
func (c *conn) writeMessage(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(c.writeDeadline()); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// WriteClose sends a close frame with closeCode and message, waiting at most
// CloseTimeout. It does not close the connection; the transport calls Close
// afterwards. Once a close frame has been sent (by WriteClose, or by gorilla
// itself, e.g. 1009 when the read limit is exceeded) WriteClose is a no-op.
func (c *conn) WriteClose(closeCode int, message string) error {
	payload := websocket.FormatCloseMessage(closeCode, truncateReason(message))
	err := c.ws.WriteControl(websocket.CloseMessage, payload, time.Now().Add(CloseTimeout))
	if errors.Is(err, websocket.ErrCloseSent) {
		return nil
	}
	return err
}

// Close closes the connection and reports it to Options.OnClose. It is
// idempotent: later calls return the first call's result.
//
// Unless the peer's close frame has been read (the close handshake is
// complete and the peer sends nothing more), closing the socket at once could
// make the kernel answer the peer's unread data with a TCP reset, which can
// destroy the close frame sent by WriteClose (or by gorilla itself, e.g. 1009
// for an oversized message) before the peer reads it. In that case Close
// half-closes the connection and discards input in the background until the
// peer closes or CloseTimeout passes.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		if !c.closeReceived.Load() {
			go c.lingerAndClose()
			return
		}
		c.closeErr = c.closeNow()
	})
	return c.closeErr
}

// lingerAndClose sends FIN after the close frame, drains the peer for at most
// CloseTimeout and closes the connection.
func (c *conn) lingerAndClose() {
	nc := c.ws.NetConn()
	if hc, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
	if nc.SetReadDeadline(time.Now().Add(CloseTimeout)) == nil {
		_, _ = io.Copy(io.Discard, nc)
	}
	_ = c.closeNow()
}

func (c *conn) closeNow() error {
	err := c.ws.Close()
	c.hooks.run()
	if c.onClose != nil {
		c.onClose()
	}
	return err
}

// atClose arranges for f to run once the connection is closed, or runs it
// now if it already is.
func (c *conn) atClose(f func()) { c.hooks.add(f) }

// connectionError is the legacy graphql-ws message that tells a client why
// the server ends its connection.
type connectionError struct {
	Type    string `json:"type"`
	Payload struct {
		Message string `json:"message"`
	} `json:"payload"`
}

// end closes the connection with code and reason. A legacy graphql-ws
// client (the subprotocol gqlgen also speaks to a client that offered
// none) learns the reason from a connection_error first, as gqlgen's own
// closes do; graphql-transport-ws has no such message.
func (c *conn) end(code int, reason string) {
	if c.Subprotocol() != SubprotocolGraphQLTransportWS {
		m := connectionError{Type: "connection_error"}
		m.Payload.Message = reason
		_ = c.WriteJSON(m)
	}
	_ = c.WriteClose(code, reason)
	_ = c.Close()
}

// Subprotocol returns the negotiated subprotocol.
func (c *conn) Subprotocol() string {
	return c.ws.Subprotocol()
}

// writeDeadline returns the deadline for a data write; a zero writeTimeout
// means none.
func (c *conn) writeDeadline() time.Time {
	if c.writeTimeout == 0 {
		return time.Time{}
	}
	return time.Now().Add(c.writeTimeout)
}

// truncateReason shortens reason to fit a close frame without splitting a
// UTF-8 sequence.
func truncateReason(reason string) string {
	if len(reason) <= maxCloseReasonLen {
		return reason
	}
	cut := maxCloseReasonLen
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
