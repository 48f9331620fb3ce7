package main

import (
	"encoding/json"
	"testing"
)

// TestNextKey checks nextKey finds, without decoding, the key a full decode
// gives, and leaves every other message to the decode.
func TestNextKey(t *testing.T) {
	found := []string{
		`{"type":"next","id":"1","payload":{"data":{"orderStatusChanged":{"previousStatus":"PENDING","status":"CONFIRMED","source":"POS","occurredAt":"2026-12-04T04:00:00Z","order":{"id":"o1","leaflyOrderId":"L-1","status":"READY","totalCents":100}}}}}`,
		`{"type":"next","id":"7","payload":{"data":{"orderUpdated":{"cursor":"c","kind":"STATUS","occurredAt":"2026-12-04T04:00:00Z","order":{"id":"o1","leaflyOrderId":"L-2","status":"READY","totalCents":100}}}}}`,
	}
	for _, m := range found {
		var in inbound
		if err := json.Unmarshal([]byte(m), &in); err != nil {
			t.Fatal(err)
		}
		got, ok := nextKey(nil, []byte(m))
		if !ok || string(got) != in.key() {
			t.Errorf("nextKey(%s) = %q, %v; want %q", m, got, ok, in.key())
		}
	}
	decoded := []string{
		`{"type":"ping"}`,
		`{"type":"pong"}`,
		`{"type":"complete","id":"1"}`,
		`{"type":"error","id":"1","payload":[{"message":"no"}]}`,
		`{"type":"next","id":"1","payload":{"data":null,"errors":[{"message":"Forbidden"}]}}`,
		`{"type":"next","id":"1","payload":{"data":{"orderStatusChanged":{"status":"READY","order":null}},"errors":[{"message":"x"}]}}`,
		`{"type":"next","id":"1","payload":{"data":{"orderStatusChanged":{"status":"READY","order":{"leaflyOrderId":"L-\"3","status":"READY"}}}}}`,
		`{"type":"next","id":"1","payload":{"data":{"somethingElse":{"status":"READY","order":{"leaflyOrderId":"L-4","status":"READY"}}}}}`,
		`{"id":"1","type":"next","payload":{"data":{"orderStatusChanged":{"status":"READY","order":{"leaflyOrderId":"L-5","status":"READY"}}}}}`,
	}
	for _, m := range decoded {
		if got, ok := nextKey(nil, []byte(m)); ok {
			t.Errorf("nextKey(%s) = %q, true; want it left to the decode", m, got)
		}
	}
}
