// Package wait holds the pause that gives way to a context, for the
// service's own retry loops (events, storage) and for the programs that
// drive it (cmd/chaos) alike.
package wait

import (
	"context"
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
