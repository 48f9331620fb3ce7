// Package gqlws serves GraphQL subscriptions over gorilla/websocket, for a
// server that holds many mostly idle sockets and sends each event to many
// of them.
//
// Transport is a gqlgen transport (graphql.Transport) of its own, adapted
// from gqlgen's transport.Websocket, speaking both the graphql-transport-ws
// and the legacy graphql-ws subprotocols (preferring graphql-transport-ws
// when the client offers both, and graphql-ws when it offers none):
//
//	impl := gqlws.New(gqlws.Options{AllowedOrigins: origins, OnOpen: open.Inc, OnClose: open.Dec})
//	srv := handler.New(executableSchema)
//	srv.AddTransport(gqlws.Transport{
//		Implementation:        impl,
//		InitFunc:              authenticate, // may return a *CloseError
//		InitTimeout:           5 * time.Second,
//		KeepAlivePingInterval: 25 * time.Second,
//		PayloadReadLimit:      64 << 10,
//	})
//	http.Handle("/query", gqlws.Detach(gqlws.Scope(srv)))
//
// What a socket costs:
//
//   - Goroutines: one reads the socket, one runs each operation. gqlgen's
//     transport also keeps a goroutine that waits for the connection's
//     context and one for keep-alives, and reads on the HTTP handler's
//     goroutine; here the keep-alive (legacy graphql-ws only) is a timer,
//     the connection's end a context hook, and the init timeout a read
//     deadline.
//   - Stack: within Detach, the upgrade's handler returns as soon as the
//     socket is set up and the socket is read on a fresh goroutine, so the
//     stack of the whole middleware chain is released (see Finally for what
//     a middleware does at the end of such a request).
//   - Memory: read and write buffers are small (DefaultReadBufferSize and
//     DefaultWriteBufferSize), write buffers come from a sync.Pool, so an
//     idle socket holds none, and per-message compression is off.
//   - Sending: each message is built by appending bytes (the operation id
//     JSON-escaped once per operation) and written as one websocket message
//     under the socket's write lock. A response is encoded once however
//     many sockets it goes to: the Implementation remembers the encoding of
//     the last responses sent by pointer, and graph.Multiplexer hands the
//     same *graphql.Response to every subscriber of an execution. A
//     response must therefore not change once a transport has it.
//
// Around connection_init, a graphql-transport-ws socket behaves as that
// protocol defines: 4408 "Connection initialisation timeout" when
// InitTimeout passes, 4401 "Unauthorized" when subscribe comes first, 4429
// "Too many initialisation requests" for a second connection_init, and a
// ping before connection_init is answered with a pong; once initialised, a
// message it cannot take closes it with 4400 "Invalid message received". A
// legacy graphql-ws socket behaves as gqlgen's: 1002 (protocol error) with
// a reason, after a connection_error saying why where gqlgen sends one.
// InitFunc refuses a socket by returning an error, a *CloseError for a
// close code and reason of its choosing (gqlgen's WithWebsocketCloseCode and
// AppendCloseReason are read only by gqlgen's own transport). gqlgen's
// transport.GetInitPayload and AddSubscriptionError are not supported.
//
// Connection lifecycle: Options.OnOpen is called once for every successfully
// upgraded connection and Options.OnClose exactly once when that connection is
// closed, whether the transport closes it, the peer goes away, or the
// request's context ends (the connection is closed then, so it can never
// outlive its request).
//
// Closing: the server sends its close frame (code and reason, the reason cut
// to the 123 bytes a control frame allows) within CloseTimeout. When it
// closes a socket before the peer's close frame was read, it half-closes the
// TCP connection and discards incoming data for at most CloseTimeout before
// closing it, instead of closing at once: a socket closed with unread input
// (for example the rest of an oversized message) is reset by the kernel, and
// the reset can destroy the close frame before the peer reads it.
// Options.OnClose is called when the socket is finally closed.
//
// Ending a session: gqlgen gives InitFunc the request's context but no
// handle on the connection. Wrap the GraphQL handler in Scope, and InitFunc
// can schedule the end of the connection (CloseAt, e.g. when the caller's
// credentials expire: a legacy graphql-ws client gets a connection_error,
// then the close frame) and run code once it is closed (OnClose, e.g. to
// count connections per user).
//
// Releasing the HTTP state: a websocket lives as long as the handler that
// accepted it runs, and while it runs net/http keeps the connection's HTTP
// state (4 KiB read and write buffers, the response, the connection), of
// no use once hijacked. Wrap the server's root handler in Detach and each
// upgrade is served on a goroutine of its own; net/http's goroutine
// returns at the hijack and that state is released. A Transport goes
// further: it keeps the request past its handler (the handler returns at
// once, the socket is served on a fresh goroutine), and the request's
// context ends, and what middleware handed to Finally runs (an access log
// line, say), once the socket is closed. Without Detach, Transport.Do
// serves the socket until it closes.
//
// Shutdown: http.Server.Shutdown does not close hijacked connections; call
// Implementation.CloseAll (typically with 1001, going away) to close the open
// websockets.
//
// When the upgrade is refused (for example because of a disallowed Origin),
// gorilla writes the HTTP error response (403 for an origin mismatch, as
// plain text) and Transport leaves it at that. Implementation.CheckHandshake
// makes gorilla's checks first, so a server can answer a bad upgrade itself
// and never hand it to the transport.
package gqlws
