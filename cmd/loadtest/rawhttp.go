package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// rawHTTP posts GraphQL requests to one server over HTTP/1.1 keep-alive
// connections of its own, one per concurrent caller: a minimal client for
// order-by-id and orders-page, whose every request costs the program CPU
// on the cores the server uses. The request's head is built once; a reply
// is read with one buffer per connection: its status line, the headers it
// needs (Content-Length, Transfer-Encoding, Connection) and its body,
// whether sized or chunked. A reply it cannot parse is a protocolError,
// which also marks the client failed (see failure), so a run that met one
// fails as a whole instead of counting it among the requests' errors.
type rawHTTP struct {
	addr    string
	head    []byte // the request up to the value of Content-Length
	timeout time.Duration
	conns   chan *rawConn

	mu     sync.Mutex
	failed error
}

// protocolError is a reply that is not HTTP/1.1 as this client speaks it.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "HTTP protocol error: " + e.msg }

func protocolErrorf(format string, args ...any) error {
	return &protocolError{fmt.Sprintf(format, args...)}
}

// newRawHTTP returns a client of endpoint (http://host:port/path) that
// posts with token as its bearer, over at most conns connections, each
// request bounded by timeout.
func newRawHTTP(endpoint, token string, conns int, timeout time.Duration) (*rawHTTP, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Port() == "" {
		return nil, fmt.Errorf("raw HTTP client: %s: want http://host:port/path", endpoint)
	}
	h := &rawHTTP{addr: u.Host, timeout: timeout, conns: make(chan *rawConn, conns),
		head: fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: ",
			u.RequestURI(), u.Host, token)}
	for range conns {
		h.conns <- &rawConn{}
	}
	return h, nil
}

// post sends a POST whose body is the concatenation of parts and passes
// the body of its reply, which must be a 200 without GraphQL errors, to
// check. The reply is only valid during check.
func (h *rawHTTP) post(ctx context.Context, check func(reply []byte) error, parts ...[]byte) error {
	var c *rawConn
	select {
	case c = <-h.conns:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { h.conns <- c }()
	c.out = append(c.out[:0], h.head...)
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	c.out = append(strconv.AppendInt(c.out, int64(n), 10), "\r\n\r\n"...)
	for _, p := range parts {
		c.out = append(c.out, p...)
	}
	code, reply, err := h.roundTrip(ctx, c)
	var perr *protocolError
	switch {
	case errors.As(err, &perr):
		h.fail(err)
		return err
	case err != nil:
		return err
	case code != 200 || bytes.Contains(reply, []byte(`"errors":`)):
		return fmt.Errorf("status %d: %s", code, truncate(reply, 200))
	}
	return check(reply)
}

// fail records the client's first protocol error.
func (h *rawHTTP) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed == nil {
		h.failed = err
	}
}

// failure returns the first protocol error any request met, or nil.
func (h *rawHTTP) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

// close closes the client's connections; it must not be in use.
func (h *rawHTTP) close() {
	for range cap(h.conns) {
		(<-h.conns).close()
	}
}

// rawConn is one connection of a rawHTTP, dialled when first needed and
// again after the server closed it.
type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
	used bool   // a request went over conn already
	out  []byte // the request being sent
	body []byte // the reply's body
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// roundTrip sends c.out and reads the reply's status code and body. A
// kept-alive connection the server closed before answering (as it may
// close an idle one) is dialled again and the request sent once more; any
// other failure closes the connection.
func (h *rawHTTP) roundTrip(ctx context.Context, c *rawConn) (int, []byte, error) {
	for {
		if c.conn == nil {
			if err := h.dial(ctx, c); err != nil {
				return 0, nil, err
			}
		}
		reused, conn := c.used, c.conn
		c.used = true
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		conn.SetDeadline(time.Now().Add(h.timeout))
		_, err := conn.Write(c.out)
		if err == nil {
			_, err = c.r.Peek(1)
		}
		if err != nil {
			stop()
			c.close()
			closed := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
			switch {
			case closed && reused && ctx.Err() == nil:
				continue
			case closed:
				return 0, nil, protocolErrorf("the server closed a new connection without a reply: %v", err)
			}
			return 0, nil, fmt.Errorf("post to %s: %w", h.addr, err)
		}
		code, keep, err := c.readReply()
		stop()
		if err != nil || !keep {
			c.close()
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = protocolErrorf("the connection ended inside the reply: %v", io.ErrUnexpectedEOF)
			}
			return 0, nil, err
		}
		return code, c.body, nil
	}
}

func (h *rawHTTP) dial(ctx context.Context, c *rawConn) error {
	d := net.Dialer{Timeout: h.timeout}
	conn, err := d.DialContext(ctx, "tcp", h.addr)
	if err != nil {
		return err
	}
	c.conn, c.used = conn, false
	if c.r == nil {
		c.r = bufio.NewReaderSize(conn, 16<<10)
	} else {
		c.r.Reset(conn)
	}
	return nil
}

// readReply reads one reply (after any 1xx) into c.body and reports
// whether the connection can carry the next request.
func (c *rawConn) readReply() (code int, keep bool, err error) {
	for {
		if code, keep, err = c.readHead(); err != nil {
			return 0, false, err
		}
		if code >= 200 {
			break
		}
	}
	return code, keep, nil
}

// readHead reads a status line and the headers after it and, for a final
// status, the body.
func (c *rawConn) readHead() (code int, keep bool, err error) {
	line, err := c.line()
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return 0, false, protocolErrorf("status line %q", truncate(line, 100))
	}
	code, err = strconv.Atoi(string(line[9:12]))
	if err != nil || code < 100 {
		return 0, false, protocolErrorf("status line %q", truncate(line, 100))
	}
	keep = line[7] == '1'
	size, chunked := -1, false
	for {
		if line, err = c.line(); err != nil {
			return 0, false, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, protocolErrorf("header line %q", truncate(line, 100))
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || (size >= 0 && n != size) {
				return 0, false, protocolErrorf("Content-Length %q", value)
			}
			size = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, false, protocolErrorf("Transfer-Encoding %q", value)
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			keep = false
		}
	}
	c.body = c.body[:0]
	switch {
	case code < 200 || code == 204 || code == 304:
		return code, keep, nil
	case chunked && size >= 0:
		return 0, false, protocolErrorf("both Content-Length and chunked")
	case chunked:
		return code, keep, c.readChunks()
	case size >= 0:
		return code, keep, c.readN(size)
	}
	// Neither: the body runs to the end of the connection.
	for {
		n := len(c.body)
		c.body = slices.Grow(c.body, 4096)
		m, err := c.r.Read(c.body[n:cap(c.body)])
		c.body = c.body[:n+m]
		if errors.Is(err, io.EOF) {
			return code, false, nil
		}
		if err != nil {
			return 0, false, err
		}
	}
}

// line reads a line ending in CRLF, without it; it is valid until the next
// read.
func (c *rawConn) line() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, protocolErrorf("a line longer than %d bytes", c.r.Size())
	case err != nil:
		return nil, err
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, protocolErrorf("line %q does not end in CRLF", truncate(line, 100))
	}
	return line[:len(line)-2], nil
}

// readN appends the next n bytes to c.body.
func (c *rawConn) readN(n int) error {
	start := len(c.body)
	c.body = append(c.body, make([]byte, n)...)
	_, err := io.ReadFull(c.r, c.body[start:])
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return err
}

// readChunks reads a chunked body into c.body, and the trailers after it.
func (c *rawConn) readChunks() error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		hex, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseUint(string(bytes.TrimSpace(hex)), 16, 31)
		if err != nil {
			return protocolErrorf("chunk size %q", truncate(line, 100))
		}
		if n == 0 {
			break
		}
		if err := c.readN(int(n)); err != nil {
			return err
		}
		if line, err = c.line(); err != nil {
			return err
		}
		if len(line) != 0 {
			return protocolErrorf("chunk of %d bytes followed by %q", n, truncate(line, 100))
		}
	}
	for {
		line, err := c.line()
		if err != nil || len(line) == 0 {
			return err
		}
	}
}
