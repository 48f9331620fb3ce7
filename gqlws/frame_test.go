package gqlws

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// encodings counts how often it is encoded.
type encodings struct{ n atomic.Int64 }

func (e *encodings) MarshalJSON() ([]byte, error) {
	e.n.Add(1)
	return []byte(`1`), nil
}

// TestPayloadCacheEncodesOnce: a response sent to many sockets at once is
// encoded once; another response, or one evicted, is encoded again.
func TestPayloadCacheEncodesOnce(t *testing.T) {
	var pc payloadCache
	count := &encodings{}
	shared := &graphql.Response{Data: []byte(`{"a":1}`), Extensions: map[string]any{"n": count}}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			b, err := pc.get(shared)
			if err != nil || string(b) != `{"data":{"a":1},"extensions":{"n":1}}` {
				t.Errorf("get: %s, %v", b, err)
			}
		})
	}
	wg.Wait()
	if n := count.n.Load(); n != 1 {
		t.Fatalf("encoded %d times for 100 sockets, want once", n)
	}
	for i := range payloadCacheSize {
		if b, _ := pc.get(&graphql.Response{Data: fmt.Appendf(nil, "%d", i)}); string(b) != fmt.Sprintf(`{"data":%d}`, i) {
			t.Fatalf("response %d encoded as %s", i, b)
		}
	}
	if _, _ = pc.get(shared); count.n.Load() != 2 {
		t.Fatalf("an evicted response was not encoded again")
	}
}

// TestHeader: a message is its type, its id JSON-escaped, and its payload.
func TestHeader(t *testing.T) {
	for _, tc := range []struct{ typ, id, payload, want string }{
		{"next", `a"b\c`, `{"data":1}`, `{"type":"next","id":"a\"b\\c","payload":{"data":1}}`},
		{"complete", "7", "", `{"type":"complete","id":"7"}`},
		{"connection_ack", "", "", `{"type":"connection_ack"}`},
	} {
		if got := string(appendMessage(nil, header(tc.typ, tc.id), []byte(tc.payload))); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}
