package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingOutput is a bytes.Buffer that counts its Writes, safe for the
// flush timer's goroutine.
type countingOutput struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *countingOutput) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *countingOutput) read() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

// TestLogOutput: access lines wait and go out together, in order with
// every other line, which goes out at once; after the delay, at the size
// limit and at Close; after Close they go out at once.
func TestLogOutput(t *testing.T) {
	t.Parallel()
	var got countingOutput
	o := newLogOutput(&got)

	o.Buffer([]byte("a1\n"))
	o.Buffer([]byte("a2\n"))
	if s, _ := got.read(); s != "" {
		t.Fatalf("access lines written at once: %q", s)
	}
	if _, err := o.Write([]byte("L1\n")); err != nil {
		t.Fatal(err)
	}
	if s, n := got.read(); s != "a1\na2\nL1\n" || n != 2 {
		t.Fatalf("after a line: %q in %d writes, want the access lines first, together", s, n)
	}

	o.Buffer([]byte("a3\n"))
	waitFor(t, "the waiting access line", 10*accessFlushDelay+5*time.Second, func() bool {
		s, _ := got.read()
		return strings.HasSuffix(s, "L1\na3\n")
	})

	line := bytes.Repeat([]byte("x"), 1023)
	line = append(line, '\n')
	_, before := got.read()
	for range accessFlushBytes / len(line) {
		o.Buffer(line)
	}
	if _, n := got.read(); n != before+1 {
		t.Errorf("%d writes once %d bytes waited, want 1", n-before, accessFlushBytes)
	}

	o.Buffer([]byte("a4\n"))
	o.Close()
	if s, _ := got.read(); !strings.HasSuffix(s, "a4\n") {
		t.Errorf("Close left an access line waiting: %q", s[max(0, len(s)-10):])
	}
	o.Buffer([]byte("a5\n"))
	if s, _ := got.read(); !strings.HasSuffix(s, "a4\na5\n") {
		t.Errorf("an access line after Close waits: %q", s[max(0, len(s)-10):])
	}
}
