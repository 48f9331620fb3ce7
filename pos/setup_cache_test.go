package pos

import (
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestSetupCacheEntry checks when a cached set of setup options serves: for
// setupOptionsTTL, and only the connection it was read through.
func TestSetupCacheEntry(t *testing.T) {
	t.Parallel()
	var c setupCache
	read := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	opts := domain.SetupOptions{Outlets: []domain.SetupChoice{{ID: "o1", Name: "Main Street"}}}
	c.put("s1", setupEntry{conn: "OAUTH/demo/1", opts: opts, expires: read.Add(setupOptionsTTL)})
	for _, tc := range []struct {
		name, store, conn string
		at                time.Time
		hit               bool
	}{
		{"Fresh", "s1", "OAUTH/demo/1", read.Add(setupOptionsTTL - time.Millisecond), true},
		{"Expired", "s1", "OAUTH/demo/1", read.Add(setupOptionsTTL), false},
		{"Reconnected", "s1", "OAUTH/demo/2", read, false},
		{"OtherStore", "s2", "OAUTH/demo/1", read, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.get(tc.store, tc.conn, tc.at)
			if ok != tc.hit || (ok && got.Outlets[0].ID != "o1") {
				t.Errorf("get = %v, %v; want hit %v", got, ok, tc.hit)
			}
		})
	}
}
