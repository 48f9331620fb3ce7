// Package gqlws adapts github.com/gorilla/websocket to gqlgen's websocket
// transport.
//
// gqlgen's transport.Websocket accepts connections through the
// transport.WebsocketImplementation interface and, by default, uses
// github.com/coder/websocket. This package provides an implementation backed
// by gorilla/websocket, tuned for servers that hold many mostly idle
// subscription connections:
//
//   - read and write buffers are small (DefaultReadBufferSize and
//     DefaultWriteBufferSize) and write buffers come from a sync.Pool shared
//     by every connection of an Implementation, so an idle connection holds
//     no write buffer;
//   - per-message compression is disabled;
//   - browser origins are checked against Options.AllowedOrigins;
//   - both the graphql-transport-ws and the legacy graphql-ws subprotocols
//     are negotiated.
//
// Usage:
//
//	srv := handler.New(executableSchema)
//	srv.AddTransport(transport.Websocket{
//		Implementation: gqlws.New(gqlws.Options{
//			AllowedOrigins: []string{"https://app.example.com"},
//			OnOpen:         func() { liveConns.Inc() },
//			OnClose:        func() { liveConns.Dec() },
//		}),
//		InitTimeout:           10 * time.Second,
//		KeepAlivePingInterval: 25 * time.Second,
//	})
//
// The connections returned by Implementation.Accept implement
// transport.WebsocketConn, transport.WebsocketReadLimiter (so the transport's
// PayloadReadLimit is enforced) and transport.WebsocketReadDeadliner (so
// PingPongInterval can drop peers that stop answering pings).
//
// Connection lifecycle: Options.OnOpen is called once for every successfully
// upgraded connection and Options.OnClose exactly once when that connection is
// closed, whether the transport closes it, the peer goes away, or the HTTP
// handler returns without closing it (the adapter closes the connection when
// the request context ends, so a connection can never outlive its handler).
//
// Closing: WriteClose sends the close frame (code and reason, the reason cut
// to the 123 bytes a control frame allows) within CloseTimeout. When Close is
// called before the peer's close frame was read, the adapter half-closes the
// TCP connection and discards incoming data for at most CloseTimeout before
// closing it, instead of closing at once: a socket closed with unread input
// (for example the rest of an oversized message) is reset by the kernel, and
// the reset can destroy the close frame before the peer reads it.
// Options.OnClose is called when the socket is finally closed.
//
// Around connection_init, a graphql-transport-ws socket behaves as that
// protocol defines, where gqlgen's transport closes with 1002 (protocol
// error): 4408 "Connection initialisation timeout" when InitTimeout passes,
// 4401 "Unauthorized" when subscribe comes first, 4429 "Too many
// initialisation requests" for a second connection_init, and a ping before
// connection_init is answered with a pong. Legacy graphql-ws sockets keep
// gqlgen's behaviour (that protocol defines none of this).
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
// returns at the hijack and that state is released, with the handler's
// request context, values and lifetime unchanged.
//
// Shutdown: http.Server.Shutdown does not close hijacked connections; call
// Implementation.CloseAll (typically with 1001, going away) to close the open
// websockets.
//
// When the upgrade is refused (for example because of a disallowed Origin),
// gorilla writes the HTTP error response (403 for an origin mismatch, as
// plain text) before gqlgen's transport logs the failure with the standard
// log package and attempts its own 400 response; the first status wins, the
// second body is appended to the first, and net/http logs the second status
// as a superfluous WriteHeader call. Implementation.CheckHandshake makes
// gorilla's checks first, so a server can answer a bad upgrade itself and
// never hand it to the transport.
package gqlws
