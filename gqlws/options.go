package gqlws

import "time"

const (
	// DefaultReadBufferSize is the per-connection read buffer size used when
	// Options.ReadBufferSize is zero. It bounds I/O chunking, not message size.
	DefaultReadBufferSize = 1024
	// DefaultWriteBufferSize is the pooled write buffer size used when
	// Options.WriteBufferSize is zero. It bounds I/O chunking, not message size.
	DefaultWriteBufferSize = 1024
	// DefaultHandshakeTimeout is used when Options.HandshakeTimeout is zero.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultWriteTimeout is used when Options.WriteTimeout is zero.
	DefaultWriteTimeout = 10 * time.Second
	// CloseTimeout bounds how long WriteClose waits to send a close frame,
	// and how long Close keeps draining the peer after the server sent a
	// close frame the peer has not answered yet (see the package documentation).
	CloseTimeout = time.Second

	// AllowAllOrigins, used as an entry of Options.AllowedOrigins, disables
	// origin checking.
	AllowAllOrigins = "*"
)

// Options configures an Implementation. The zero value is usable: it accepts
// same-origin browser requests and non-browser requests, with small buffers.
type Options struct {
	// AllowedOrigins lists the browser origins allowed to open a websocket.
	// Requests without an Origin header and same-origin requests (Origin host
	// equal to the request Host) are always allowed. An entry containing
	// "://" is compared with the whole Origin ("https://app.example.com:8443");
	// any other entry is compared with the Origin's host[:port]
	// ("app.example.com"). Comparison is case-insensitive. The entry "*"
	// allows every origin. Refused requests get HTTP 403.
	AllowedOrigins []string

	// ReadBufferSize is the per-connection read buffer size in bytes
	// (DefaultReadBufferSize if zero or negative).
	ReadBufferSize int
	// WriteBufferSize is the size in bytes of the pooled write buffers
	// (DefaultWriteBufferSize if zero or negative). Longer messages are
	// sent as several frames.
	WriteBufferSize int

	// HandshakeTimeout bounds writing the HTTP 101 response
	// (DefaultHandshakeTimeout if zero or negative).
	HandshakeTimeout time.Duration
	// WriteTimeout bounds each data message write, so a peer that stops
	// reading cannot block the transport forever (DefaultWriteTimeout if
	// zero; negative disables the deadline).
	WriteTimeout time.Duration

	// OnOpen, if set, is called once for every accepted connection.
	OnOpen func()
	// OnClose, if set, is called exactly once for every connection for which
	// OnOpen was called, once its network connection is closed. That can be
	// up to CloseTimeout after the transport calls Close, on another
	// goroutine.
	OnClose func()
}

func (o Options) readBufferSize() int {
	return positiveOr(o.ReadBufferSize, DefaultReadBufferSize)
}

func (o Options) writeBufferSize() int {
	return positiveOr(o.WriteBufferSize, DefaultWriteBufferSize)
}

func (o Options) handshakeTimeout() time.Duration {
	return positiveOr(o.HandshakeTimeout, DefaultHandshakeTimeout)
}

// writeTimeout returns the write timeout; zero means no deadline.
func (o Options) writeTimeout() time.Duration {
	switch {
	case o.WriteTimeout < 0:
		return 0
	case o.WriteTimeout == 0:
		return DefaultWriteTimeout
	default:
		return o.WriteTimeout
	}
}

func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
