// Package wait holds the pause that gives way to a context, for the
// service's own retry loops (events, storage) and for the programs that
// drive it (cmd/chaos) alike, and the wait for a group of goroutines that
// does (a shutdown's, bounded by its timeout).
package wait

import (
	"context"
	"sync"
	"time"
)

// Sleep waits d unless ctx ends first, and reports whether d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Group waits for wg's goroutines unless ctx ends first, and returns ctx's
// error then.
func Group(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
