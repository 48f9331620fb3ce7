package storage

import (
	"testing"
	"time"
)

// FuzzDecodeCursor decodes arbitrary cursors: never a panic, and a cursor
// this package made decodes to what it was made from.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(time.Date(2026, 11, 27, 12, 0, 0, 123000, time.UTC), "01a21bd7-e412-78a1-a844-27d66575121e"))
	f.Add("garbage")
	f.Add("")
	f.Add("YzE6")
	f.Add("YzE6LTE6")
	f.Fuzz(func(t *testing.T, c string) {
		at, id, err := decodeCursor(c)
		if err != nil {
			return
		}
		if id == "" {
			t.Fatalf("decoded %q to an empty id", c)
		}
		again, id2, err := decodeCursor(encodeCursor(at, id))
		if err != nil || !again.Equal(at) || id2 != id {
			t.Fatalf("round trip of %q: %v %q %v", c, again, id2, err)
		}
	})
}
