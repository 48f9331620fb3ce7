package gqlws

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// SubprotocolGraphQLTransportWS is the graphql-transport-ws subprotocol
	// (github.com/enisdenjo/graphql-ws).
	SubprotocolGraphQLTransportWS = "graphql-transport-ws"
	// SubprotocolGraphQLWS is the legacy graphql-ws subprotocol
	// (subscriptions-transport-ws).
	SubprotocolGraphQLWS = "graphql-ws"
)

// Implementation accepts the websockets a Transport serves (gorilla/websocket
// upgrades, origin checks, the open connections). Create it with New; it is
// safe for concurrent use and should be shared by all requests of a server.
type Implementation struct {
	upgrader     websocket.Upgrader
	writeTimeout time.Duration
	onOpen       func()
	onClose      func()

	// payloads holds the encoding of the responses a Transport sends
	// to several sockets.
	payloads payloadCache

	mu   sync.Mutex
	live map[*conn]struct{}
}

// New returns an Implementation configured by opts.
func New(opts Options) *Implementation {
	origins := newOriginChecker(opts.AllowedOrigins)
	return &Implementation{
		upgrader: websocket.Upgrader{
			HandshakeTimeout:  opts.handshakeTimeout(),
			ReadBufferSize:    opts.readBufferSize(),
			WriteBufferSize:   opts.writeBufferSize(),
			WriteBufferPool:   &sync.Pool{},
			Subprotocols:      []string{SubprotocolGraphQLTransportWS, SubprotocolGraphQLWS},
			CheckOrigin:       origins.check,
			EnableCompression: false,
		},
		writeTimeout: opts.writeTimeout(),
		onOpen:       opts.OnOpen,
		onClose:      opts.OnClose,
		live:         make(map[*conn]struct{}),
	}
}

// track wraps ws, reports it to OnOpen and arranges for it to be closed once
// the request context ends (that is, once the HTTP handler has returned).
func (i *Implementation) track(ctx context.Context, ws *websocket.Conn) *conn {
	var c *conn
	c = newConn(ws, i.writeTimeout, func() {
		i.forget(c)
		if i.onClose != nil {
			i.onClose()
		}
	})
	i.mu.Lock()
	i.live[c] = struct{}{}
	i.mu.Unlock()
	if i.onOpen != nil {
		i.onOpen()
	}
	// The registration is released when ctx ends; Close is idempotent, so
	// firing after the transport already closed c is harmless.
	context.AfterFunc(ctx, func() { _ = c.Close() })
	return c
}

func (i *Implementation) forget(c *conn) {
	i.mu.Lock()
	delete(i.live, c)
	i.mu.Unlock()
}

// CloseAll sends every open connection a close frame with code and reason
// and closes it: a server shutting down uses it (with 1001, going away), as
// the HTTP server's Shutdown does not reach hijacked connections.
func (i *Implementation) CloseAll(code int, reason string) {
	i.mu.Lock()
	conns := make([]*conn, 0, len(i.live))
	for c := range i.live {
		conns = append(conns, c)
	}
	i.mu.Unlock()
	for _, c := range conns {
		_ = c.WriteClose(code, reason)
		_ = c.Close()
	}
}
