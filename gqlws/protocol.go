package gqlws

import (
	"bytes"
	"encoding/json"
	"io"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// The close codes graphql-transport-ws defines for a connection that is not
// initialised (github.com/enisdenjo/graphql-ws, PROTOCOL.md).
const (
	// CloseInitTimeout ends a socket whose connection_init did not arrive
	// in time.
	CloseInitTimeout = 4408
	// CloseUnauthorized ends a socket that sent subscribe before
	// connection_init.
	CloseUnauthorized = 4401
	// CloseTooManyInits ends a socket that sent connection_init twice.
	CloseTooManyInits = 4429
)

// initWatch makes graphql-transport-ws sockets behave as the protocol
// defines around connection_init, where gqlgen's transport closes with 1002
// (protocol error). It reads the first message whole to learn its type (the
// transport reads exactly one message before deciding). A ping before
// connection_init, which the protocol allows at any time, is answered with
// a pong here and never reaches the transport, whose first message must be
// connection_init. When the transport then closes with 1002, the code is
// translated:
//
//   - nothing read yet (or gqlgen's timeout reason): the init timeout
//     fired, 4408 "Connection initialisation timeout";
//   - the first message was subscribe: 4401 "Unauthorized";
//   - the first message was connection_init and the transport found an
//     "unexpected message" after it: after connection_init the transport
//     handles every other type of the protocol, so that message was a
//     second connection_init, 4429 "Too many initialisation requests".
//
// Other closes, and every socket of the legacy graphql-ws protocol (which
// defines no such codes), are left as they are.
type initWatch struct {
	on    bool
	first atomic.Pointer[string] // the type of the first message; nil before it is read
}

// watch returns r, or a reader of the same bytes (and error) once the first
// message has been read to learn its type. ping is true, and the reader
// nil, for a ping that came before the first other message: the caller
// answers it and reads on.
func (w *initWatch) watch(r io.Reader) (_ io.Reader, ping bool) {
	if !w.on || w.first.Load() != nil {
		return r, false
	}
	b, err := io.ReadAll(r)
	var m struct{ Type string }
	_ = json.Unmarshal(b, &m)
	if err != nil {
		w.first.CompareAndSwap(nil, &m.Type)
		return io.MultiReader(bytes.NewReader(b), errReader{err}), false
	}
	if m.Type == "ping" {
		return nil, true
	}
	w.first.CompareAndSwap(nil, &m.Type)
	return bytes.NewReader(b), false
}

// pong answers a ping the transport did not see.
var pong = struct {
	Type string `json:"type"`
}{"pong"}

// failed records that reading the first message failed: the transport's
// close is then about that, not about a missing connection_init.
func (w *initWatch) failed() {
	none := ""
	w.first.CompareAndSwap(nil, &none)
}

// translate returns the close code and reason to send instead of code and
// reason.
func (w *initWatch) translate(code int, reason string) (int, string) {
	if !w.on || code != websocket.CloseProtocolError {
		return code, reason
	}
	switch first := w.first.Load(); {
	case first == nil || reason == gqlgenInitTimeout:
		return CloseInitTimeout, "Connection initialisation timeout"
	case *first == "subscribe":
		return CloseUnauthorized, "Unauthorized"
	case *first == "connection_init" && reason == gqlgenUnexpected:
		return CloseTooManyInits, "Too many initialisation requests"
	}
	return code, reason
}

// gqlgenInitTimeout is the reason gqlgen gives its init timeout's close; it
// identifies the timeout even when a message arrived as it fired.
const gqlgenInitTimeout = "connection initialisation timeout"

// gqlgenUnexpected is the reason gqlgen gives a close for a message type it
// does not handle at that point.
const gqlgenUnexpected = "unexpected message"

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
