// Package gcheadroom paces Go's garbage collector by a floor of free heap
// instead of a ratio alone.
//
// With GOGC=100 a process whose live heap is small, as this service's is
// while it answers queries, collects each time it has allocated as much as
// it keeps, which for a busy server is many times a second: the collector's
// marking took 11% of the server's CPU for order reads and 17% for pages of
// orders (BENCHMARKS.md). Keep raises GOGC after each collection so that
// the next one waits for at least a fixed headroom of new allocation, and
// lowers it back to the base ratio as the live heap grows past that
// headroom: a small heap is collected less often at the cost of at most
// headroom bytes more memory, a large one (thousands of websockets) exactly
// as before.
package gcheadroom

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Percent is the GOGC that lets a heap with live bytes grow by headroom
// before its next collection, and never less than base.
func Percent(live, headroom uint64, base int) int {
	if live == 0 {
		return base
	}
	p := (headroom*100 + live - 1) / live
	if p > uint64(maxPercent) {
		return maxPercent
	}
	return max(base, int(p))
}

// sentinel is the object whose cleanup follows a collection. It holds a
// pointer so that it is never packed with other small objects by the
// runtime's tiny allocator, whose objects may never run their cleanups.
type sentinel struct{ _ *byte }

// maxPercent bounds GOGC for a heap so small that the runtime's own
// minimum (4 MiB) is most of it.
const maxPercent = 10_000

// Keep paces the collector by headroom from now on, with base as the
// lowest GOGC, and returns the function that stops it and sets GOGC back
// to base. Call it once per process, and not when the operator set GOGC.
func Keep(headroom uint64, base int) (stop func()) {
	var stopped atomic.Bool
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		// A new object is unreachable at once, so the collection after
		// this one runs its cleanup: a call per collection.
		runtime.AddCleanup(new(sentinel), func(struct{}) {
			if stopped.Load() {
				return
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				debug.SetGCPercent(Percent(sample[0].Value.Uint64(), headroom, base))
			}
			arm()
		}, struct{}{})
	}
	debug.SetGCPercent(base)
	arm()
	return func() {
		stopped.Store(true)
		debug.SetGCPercent(base)
	}
}
