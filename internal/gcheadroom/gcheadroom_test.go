package gcheadroom

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		live, headroom uint64
		base, want     int
	}{
		{16 * mib, 64 * mib, 100, 400},
		{10 * mib, 64 * mib, 100, 640},
		{64 * mib, 64 * mib, 100, 100},
		{200 * mib, 64 * mib, 100, 100},
		{200 * mib, 64 * mib, 50, 50},
		{3 * mib, 64 * mib, 100, 2134},
		{1, 64 * mib, 100, maxPercent},
		{0, 64 * mib, 100, 100},
	}
	for _, c := range cases {
		if got := Percent(c.live, c.headroom, c.base); got != c.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", c.live, c.headroom, c.base, got, c.want)
		}
	}
}

// gogc reads the GOGC the runtime paces by now.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// waitGOGC collects until GOGC satisfies ok, for at most 10 s.
func waitGOGC(t *testing.T, what string, ok func(uint64) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		if p := gogc(); ok(p) {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d after 10 s, want %s", p, what)
		}
		runtime.Gosched()
	}
}

// TestKeep checks the pacing follows the live heap: a small one gets GOGC
// well above the base, one past the headroom the base, and stop sets the
// base back.
func TestKeep(t *testing.T) {
	stop := Keep(64<<20, 100)
	waitGOGC(t, "above 100 for a small heap", func(p uint64) bool { return p > 100 })

	kept := make([][]byte, 96)
	for i := range kept {
		kept[i] = make([]byte, 1<<20)
	}
	waitGOGC(t, "100 with 96 MiB live", func(p uint64) bool { return p == 100 })
	runtime.KeepAlive(kept)

	kept = nil
	waitGOGC(t, "above 100 once the heap is small again", func(p uint64) bool { return p > 100 })
	stop()
	if p := gogc(); p != 100 {
		t.Errorf("GOGC %d after stop, want 100", p)
	}
	runtime.GC()
	runtime.GC()
	if p := gogc(); p != 100 {
		t.Errorf("GOGC %d after stop and two collections, want 100", p)
	}
}
