package gqlws

// The protocol handling here is adapted from gqlgen's transport.Websocket
// (github.com/99designs/gqlgen, graphql/handler/transport/websocket*.go,
// MIT License, Copyright (c) 2020 gqlgen authors).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Transport is a gqlgen transport (graphql.Transport) serving GraphQL over
// the websockets its Implementation accepts, in either subprotocol. Unlike
// gqlgen's transport.Websocket it needs no goroutine of its own beyond one
// that reads each socket and one per running operation: the keep-alive is
// a timer, the socket's end a context hook, and within Detach the socket
// is served on a fresh goroutine while the HTTP handler that accepted it
// returns (see the package documentation).
type Transport struct {
	// Implementation accepts the sockets; it is required.
	Implementation *Implementation
	// InitFunc, when set, is given connection_init's payload. The context
	// it returns is the socket's from then on, and its payload, when not
	// nil, goes with connection_ack. An error refuses the socket: a
	// *CloseError says with which close code and reason (by default 1000,
	// "terminated"); the legacy graphql-ws also gets a connection_error
	// with the error's message.
	InitFunc transport.WebsocketInitFunc
	// InitTimeout bounds the wait for connection_init (none when zero).
	InitTimeout time.Duration
	// KeepAlivePingInterval is how often a legacy graphql-ws socket gets a
	// keep-alive ("ka") message (never when zero).
	KeepAlivePingInterval time.Duration
	// PayloadReadLimit bounds a message from the client in bytes (none
	// when zero). A larger one closes the socket with 1009.
	PayloadReadLimit int64
}

// CloseError, returned by Transport.InitFunc, refuses a socket with Code
// and Reason.
type CloseError struct {
	Code   int
	Reason string
	Err    error // what the legacy protocol's connection_error says
}

func (e *CloseError) Error() string { return e.Err.Error() }
func (e *CloseError) Unwrap() error { return e.Err }

var _ graphql.Transport = Transport{}

// Supports reports whether r asks for an upgrade.
func (t Transport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// Do upgrades r and serves the socket: within Detach on a goroutine of its
// own, Do returning at once; otherwise until it is closed.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	ws, err := t.Implementation.upgrader.Upgrade(deadlineWriter{w, t.Implementation.writeTimeout}, r, nil)
	if err != nil {
		return // gorilla answered the request
	}
	c := t.Implementation.track(ctx, ws)
	fill(ctx, c)
	if t.PayloadReadLimit > 0 {
		ws.SetReadLimit(t.PayloadReadLimit)
	}
	s := &session{t: &t, c: c, exec: exec, ctx: ctx, legacy: ws.Subprotocol() != SubprotocolGraphQLTransportWS}
	release, kept := keep(ctx)
	if kept {
		c.atClose(release)
	}
	// connection_init is read here, so that InitFunc's stack is the
	// handler's and the reader's own stays small.
	if !s.init() {
		return
	}
	if kept {
		go s.serve()
		return
	}
	s.serve()
}

// Messages of both subprotocols, by what they mean.
type kind int

const (
	kindInvalid   kind = iota // not JSON, or of no type the client may send
	kindInit                  // connection_init
	kindStart                 // subscribe; start
	kindStop                  // complete; stop
	kindPing                  // ping (graphql-transport-ws)
	kindPong                  // pong (graphql-transport-ws)
	kindTerminate             // connection_terminate (graphql-ws)
	kindOther                 // a type the server sends, not the client
)

var (
	transportWSKinds = map[string]kind{"connection_init": kindInit, "subscribe": kindStart, "complete": kindStop,
		"ping": kindPing, "pong": kindPong}
	legacyKinds = map[string]kind{"connection_init": kindInit, "start": kindStart, "stop": kindStop,
		"connection_terminate": kindTerminate, "connection_ack": kindOther, "connection_error": kindOther,
		"data": kindOther, "error": kindOther, "complete": kindOther, "ka": kindOther}
)

// message is a message of either subprotocol.
type message struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// session is one socket served by a Transport.
type session struct {
	t      *Transport
	c      *conn
	exec   graphql.GraphExecutor
	ctx    context.Context // the request's, then InitFunc's
	legacy bool            // graphql-ws rather than graphql-transport-ws

	mu        sync.Mutex
	active    map[string]*operation
	closed    bool
	keepAlive *time.Timer
}

// operation is a running operation of a session.
type operation struct{ cancel context.CancelFunc }

// serve reads the initialised socket until it ends.
func (s *session) serve() {
	for {
		m, k, err := s.read()
		if err != nil {
			s.close(websocket.CloseNormalClosure, "terminated")
			return
		}
		switch k {
		case kindStart:
			s.subscribe(m)
		case kindStop:
			s.stop(m.ID)
		case kindPing:
			s.send("pong", "", m.Payload)
		case kindPong:
		case kindTerminate:
			s.close(websocket.CloseNormalClosure, "terminated")
			return
		case kindInit:
			if !s.legacy {
				s.close(CloseTooManyInits, "Too many initialisation requests")
				return
			}
			s.unexpected(m.Type)
			return
		default:
			if !s.legacy {
				s.close(CloseInvalidMessage, "Invalid message received")
				return
			}
			s.unexpected(m.Type)
			return
		}
	}
}

// The close codes graphql-transport-ws defines
// (github.com/enisdenjo/graphql-ws, PROTOCOL.md).
const (
	// CloseInvalidMessage ends a socket that sent a message the protocol
	// does not allow once it is initialised.
	CloseInvalidMessage = 4400
	// CloseInitTimeout ends a socket whose connection_init did not arrive
	// in time.
	CloseInitTimeout = 4408
	// CloseUnauthorized ends a socket that sent subscribe before
	// connection_init.
	CloseUnauthorized = 4401
	// CloseTooManyInits ends a socket that sent connection_init twice.
	CloseTooManyInits = 4429
)

// read returns the next message and its kind; an error ends the socket.
func (s *session) read() (message, kind, error) {
	_, r, err := s.c.ws.NextReader()
	if err != nil {
		return message{}, kindInvalid, err
	}
	var m message
	d := json.NewDecoder(r)
	if err := d.Decode(&m); err != nil {
		return m, kindInvalid, nil
	}
	kinds := transportWSKinds
	if s.legacy {
		kinds = legacyKinds
	}
	return m, kinds[m.Type], nil
}

// init waits for connection_init and answers it, as each subprotocol
// wants; it reports whether the socket goes on.
func (s *session) init() bool {
	if s.t.InitTimeout > 0 {
		_ = s.c.ws.SetReadDeadline(time.Now().Add(s.t.InitTimeout))
	}
	for {
		m, k, err := s.read()
		switch {
		case isTimeout(err):
			if s.legacy {
				s.close(websocket.CloseProtocolError, "connection initialisation timeout")
			} else {
				s.close(CloseInitTimeout, "Connection initialisation timeout")
			}
			return false
		case err != nil:
			s.close(websocket.CloseNormalClosure, "terminated")
			return false
		case k == kindPing:
			s.send("pong", "", m.Payload)
			continue
		case k == kindInit:
			_ = s.c.ws.SetReadDeadline(time.Time{})
			return s.accept(m.Payload)
		case k == kindTerminate:
			s.close(websocket.CloseNormalClosure, "terminated")
		case k == kindInvalid:
			s.connectionError("invalid json")
			s.close(websocket.CloseProtocolError, "decoding error")
		case k == kindStart && !s.legacy:
			s.close(CloseUnauthorized, "Unauthorized")
		default:
			s.unexpected(m.Type)
		}
		return false
	}
}

// accept runs InitFunc on connection_init's payload and acknowledges the
// socket, or refuses it.
func (s *session) accept(raw json.RawMessage) bool {
	var payload transport.InitPayload
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &payload); err != nil {
			s.connectionError("invalid json")
			s.close(websocket.CloseProtocolError, "decoding error")
			return false
		}
	}
	var ack []byte
	if s.t.InitFunc != nil {
		ctx, ackPayload, err := s.initFunc(payload)
		if err != nil {
			s.connectionError(err.Error())
			code, reason := websocket.CloseNormalClosure, "terminated"
			var ce *CloseError
			if errors.As(err, &ce) {
				code, reason = ce.Code, ce.Reason
			}
			s.close(code, reason)
			return false
		}
		s.ctx = ctx
		if ackPayload != nil {
			if ack, err = json.Marshal(*ackPayload); err != nil {
				s.close(websocket.CloseInternalServerErr, "Internal error")
				return false
			}
		}
	}
	s.send("connection_ack", "", ack)
	if s.legacy {
		s.send("ka", "", nil)
		if d := s.t.KeepAlivePingInterval; d > 0 {
			s.mu.Lock()
			s.keepAlive = time.AfterFunc(d, s.keepAliveTick)
			s.mu.Unlock()
		}
	}
	return true
}

// initFunc runs InitFunc. Should it panic, the socket is closed with 1011
// before the panic goes on up (gqlgen's handler recovers and logs it):
// nothing else would close a hijacked connection.
func (s *session) initFunc(payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	defer func() {
		if p := recover(); p != nil {
			s.close(websocket.CloseInternalServerErr, "Internal error")
			panic(p)
		}
	}()
	return s.t.InitFunc(s.ctx, payload)
}

// keepAliveTick sends a legacy socket's keep-alive and sets the next.
func (s *session) keepAliveTick() {
	s.send("ka", "", nil)
	s.mu.Lock()
	if !s.closed {
		s.keepAlive.Reset(s.t.KeepAlivePingInterval)
	}
	s.mu.Unlock()
}

// subscribe starts the operation m asks for. Only what must come before
// the next message is read happens here: the operation is parsed and
// validated on its own goroutine.
func (s *session) subscribe(m message) {
	start := graphql.Now()
	ctx, cancel := context.WithCancel(s.ctx)
	op := &operation{cancel: cancel}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return
	}
	if s.active == nil {
		s.active = make(map[string]*operation, 1)
	}
	s.active[m.ID] = op
	s.mu.Unlock()
	go s.run(ctx, op, m.ID, m.Payload, start)
}

// run runs an operation and sends its responses, then completes it.
func (s *session) run(ctx context.Context, op *operation, id string, raw json.RawMessage, start time.Time) {
	defer s.done(op, id)
	ctx = graphql.StartOperationTrace(ctx)
	params := &graphql.RawParams{}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(params); err != nil {
		s.sendError(id, &gqlerror.Error{Message: "invalid json"})
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := s.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := s.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			s.sendError(id, resp.Errors...)
		} else {
			s.sendResponse(header(s.dataType(), id), &graphql.Response{Errors: errs})
		}
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	defer func() {
		if r := recover(); r != nil {
			err := rc.Recover(ctx, r)
			var gqlErr *gqlerror.Error
			if !errors.As(err, &gqlErr) {
				gqlErr = &gqlerror.Error{}
				if err != nil {
					gqlErr.Message = err.Error()
				}
			}
			s.sendError(id, gqlErr)
		}
	}()
	head := header(s.dataType(), id)
	responses, ctx := s.exec.DispatchOperation(ctx, rc)
	for {
		r := responses(ctx)
		if r == nil {
			return
		}
		s.sendResponse(head, r)
	}
}

// done completes the operation id, unless the socket is closed, and
// forgets it.
func (s *session) done(op *operation, id string) {
	s.mu.Lock()
	closed := s.closed
	if s.active[id] == op {
		delete(s.active, id)
	}
	s.mu.Unlock()
	if !closed {
		s.complete(id)
	}
	op.cancel()
}

// stop cancels the operation id, if it runs.
func (s *session) stop(id string) {
	s.mu.Lock()
	op := s.active[id]
	s.mu.Unlock()
	if op != nil {
		op.cancel()
	}
}

// dataType is the type of a message carrying a response.
func (s *session) dataType() string {
	if s.legacy {
		return "data"
	}
	return "next"
}

// sendResponse sends r after head (see header), encoding r once however
// many sockets it goes to.
func (s *session) sendResponse(head []byte, r *graphql.Response) {
	b, err := s.t.Implementation.payloads.get(r)
	if err != nil {
		b, _ = json.Marshal(&graphql.Response{Errors: gqlerror.List{{Message: "internal error: the response could not be encoded"}}})
	}
	_ = s.c.writeFrame(head, b)
}

func (s *session) complete(id string) { s.send("complete", id, nil) }

func (s *session) sendError(id string, errs ...*gqlerror.Error) {
	b, _ := json.Marshal(errs) // gqlerror.Error always encodes
	s.send("error", id, b)
}

// send sends a message of type typ.
func (s *session) send(typ, id string, payload []byte) {
	_ = s.c.writeFrame(header(typ, id), payload)
}

// connectionError tells a legacy client why its socket ends; the other
// protocol has no such message.
func (s *session) connectionError(msg string) {
	if s.legacy {
		b, _ := json.Marshal(&gqlerror.Error{Message: msg})
		s.send("connection_error", "", b)
	}
}

// unexpected ends the socket over a message of a type it does not take
// at that point.
func (s *session) unexpected(typ string) {
	s.connectionError(fmt.Sprintf("unexpected message %s", typ))
	s.close(websocket.CloseProtocolError, "unexpected message")
}

// close ends the socket with code and reason and cancels its operations.
func (s *session) close(code int, reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	active := s.active
	s.active = nil
	if s.keepAlive != nil {
		s.keepAlive.Stop()
	}
	s.mu.Unlock()
	_ = s.c.WriteClose(code, reason)
	for _, op := range active {
		op.cancel()
	}
	_ = s.c.Close()
}

// isTimeout reports whether err is a read deadline's.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
