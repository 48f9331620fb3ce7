package main

import (
	"io"
	"sync"
	"time"
)

// logOutput is where the service's log lines go (stdout). Access lines, one
// a request, wait in a buffer and go out together in one Write, at most
// accessFlushDelay after the first of them or once accessFlushBytes wait:
// a busy server then writes to stdout a few dozen times a second instead
// of once a request, and wakes the process that reads its logs as seldom.
// Every other line (Write) goes out at once, after the access lines
// waiting, so the lines keep their order. Close writes what waits; a
// process killed outright (SIGKILL) loses at most accessFlushDelay of
// access lines, never another line.
type logOutput struct {
	out    io.Writer
	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer
	closed bool
}

const (
	accessFlushDelay = 50 * time.Millisecond
	accessFlushBytes = 64 << 10
)

func newLogOutput(out io.Writer) *logOutput {
	o := &logOutput{out: out}
	o.timer = time.AfterFunc(time.Hour, o.flush)
	o.timer.Stop()
	return o
}

// Buffer adds line, whole lines ending in a newline, to the access lines
// waiting; after Close it writes line at once.
func (o *logOutput) Buffer(line []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		_, _ = o.out.Write(line)
		return
	}
	if len(o.buf) == 0 {
		o.timer.Reset(accessFlushDelay)
	}
	o.buf = append(o.buf, line...)
	if len(o.buf) >= accessFlushBytes {
		o.flushLocked()
	}
}

// Write writes p after the access lines waiting.
func (o *logOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	return o.out.Write(p)
}

// Close writes the access lines waiting; later ones go out at once.
func (o *logOutput) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	o.closed = true
}

func (o *logOutput) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
}

func (o *logOutput) flushLocked() {
	if len(o.buf) == 0 {
		return
	}
	o.timer.Stop()
	_, _ = o.out.Write(o.buf)
	o.buf = o.buf[:0]
}
