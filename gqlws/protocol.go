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
)

// initWatch gives graphql-transport-ws sockets the close codes the protocol
// defines before connection_init: gqlgen's transport closes both a socket
// whose connection_init never came and one that sent subscribe first with
// 1002 (protocol error). It reads the first message whole to learn its type
// (the transport reads exactly one message before deciding) and, when the
// transport then closes with 1002, translates the code:
//
//   - nothing read yet (or gqlgen's timeout reason): the init timeout
//     fired, 4408 "Connection initialisation timeout";
//   - the first message was subscribe: 4401 "Unauthorized".
//
// Other closes, and every socket of the legacy graphql-ws protocol (which
// defines no such codes), are left as they are.
type initWatch struct {
	on    bool
	first atomic.Pointer[string] // the type of the first message; nil before it is read
}

// watch returns r, or a reader of the same bytes (and error) once the first
// message has been read to learn its type.
func (w *initWatch) watch(r io.Reader) io.Reader {
	if !w.on || w.first.Load() != nil {
		return r
	}
	b, err := io.ReadAll(r)
	var m struct{ Type string }
	_ = json.Unmarshal(b, &m)
	w.first.CompareAndSwap(nil, &m.Type)
	if err != nil {
		return io.MultiReader(bytes.NewReader(b), errReader{err})
	}
	return bytes.NewReader(b)
}

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
	}
	return code, reason
}

// gqlgenInitTimeout is the reason gqlgen gives its init timeout's close; it
// identifies the timeout even when a message arrived as it fired.
const gqlgenInitTimeout = "connection initialisation timeout"

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
