package gqlws

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// payloadCacheSize is how many responses a payloadCache remembers.
const payloadCacheSize = 64

// payloadCache remembers the JSON of the last responses a Transport sent,
// so that a response handed to many sockets is encoded once: the
// multiplexer (graph.Multiplexer) gives the same *graphql.Response to every
// subscriber of an execution. The cache holds the responses it remembers,
// so their addresses cannot be reused by other responses while they are
// cached; a response must not change once sent.
type payloadCache struct {
	// last is the entry asked for most recently. Every socket of an
	// execution asks for the same response one after the other, so most
	// gets find it here and write nothing shared: taking mu on every get
	// moved its cache line between the cores for each socket.
	last atomic.Pointer[payload]

	mu      sync.Mutex
	entries map[*graphql.Response]*payload
	ring    [payloadCacheSize]*graphql.Response // the oldest entry is at next
	next    int
}

// payload is response r's encoding, made by the first socket that sends
// it while the others wait.
type payload struct {
	r    *graphql.Response
	once sync.Once
	b    []byte
	err  error
}

// get returns the JSON encoding of r.
func (pc *payloadCache) get(r *graphql.Response) ([]byte, error) {
	if p := pc.last.Load(); p != nil && p.r == r {
		return p.encode()
	}
	pc.mu.Lock()
	p, ok := pc.entries[r]
	if !ok {
		if pc.entries == nil {
			pc.entries = make(map[*graphql.Response]*payload, payloadCacheSize)
		}
		if old := pc.ring[pc.next]; old != nil {
			delete(pc.entries, old)
		}
		pc.ring[pc.next] = r
		pc.next = (pc.next + 1) % payloadCacheSize
		p = &payload{r: r}
		pc.entries[r] = p
	}
	pc.last.Store(p)
	pc.mu.Unlock()
	return p.encode()
}

// encode returns the response's encoding, made once.
func (p *payload) encode() ([]byte, error) {
	p.once.Do(func() { p.b, p.err = json.Marshal(p.r) })
	return p.b, p.err
}

// frames recycles the buffers messages are built in.
var frames = sync.Pool{New: func() any { return new([]byte) }}

// header returns the start of a message of type typ for operation id (none
// when id is ""), up to where its payload goes: the bytes that, followed
// by a payload and '}', make the message.
func header(typ, id string) []byte {
	b := append(make([]byte, 0, 48), `{"type":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if id != "" {
		quoted, _ := json.Marshal(id) // a string always encodes
		b = append(b, `,"id":`...)
		b = append(b, quoted...)
	}
	return append(b, `,"payload":`...)
}

// appendMessage appends to dst the message that head starts, with payload
// (none when it is empty).
func appendMessage(dst, head, payload []byte) []byte {
	dst = append(dst, head...)
	if len(payload) == 0 {
		return append(dst[:len(dst)-len(`,"payload":`)], '}')
	}
	return append(append(dst, payload...), '}')
}

// writeFrame sends the message that head starts, with payload (none when
// it is empty), as one websocket message.
func (c *conn) writeFrame(head, payload []byte) error {
	bp := frames.Get().(*[]byte)
	b := appendMessage((*bp)[:0], head, payload)
	err := c.writeMessage(b)
	*bp = b
	frames.Put(bp)
	return err
}
