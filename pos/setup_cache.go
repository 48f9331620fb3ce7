package pos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/leafly/lightspeed-orders/domain"
)

// setupOptionsTTL is how long setup options read from Lightspeed serve the
// store's further form loads: a burst of loads costs one set of reads, and
// a change made in Lightspeed shows within half a minute.
const setupOptionsTTL = 30 * time.Second

// setupCache keeps each store's setup options for setupOptionsTTL and lets
// concurrent misses share one read. An entry serves only the connection it
// was read through, so a reconnection on any replica is a miss at once.
type setupCache struct {
	mu      sync.Mutex
	entries map[string]setupEntry
	flights singleflight.Group
}

type setupEntry struct {
	conn    string
	opts    domain.SetupOptions
	expires time.Time
}

func (c *setupCache) get(storeID, conn string, now time.Time) (domain.SetupOptions, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[storeID]
	if !ok || e.conn != conn || !now.Before(e.expires) {
		return domain.SetupOptions{}, false
	}
	return e.opts, true
}

func (c *setupCache) put(storeID string, e setupEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]setupEntry{}
	}
	c.entries[storeID] = e
}

// cachedSetupOptions returns the store's setup options, read from Lightspeed
// at most once per setupOptionsTTL and connection; fresh skips the cache
// (the read still refreshes it). Callers waiting on a shared read may leave
// early without failing the others.
func (p *Pipeline) cachedSetupOptions(ctx context.Context, storeID string, fresh bool) (domain.SetupOptions, error) {
	conn, err := p.connectionID(ctx, storeID)
	if err != nil {
		return domain.SetupOptions{}, err
	}
	if opts, ok := p.setup.get(storeID, conn, p.now()); ok && !fresh {
		return opts, nil
	}
	key := fmt.Sprintf("%s/%s/%t", storeID, conn, fresh)
	ch := p.setup.flights.DoChan(key, func() (any, error) {
		return p.readSetupOptionsOnce(context.WithoutCancel(ctx), storeID, conn, fresh)
	})
	select {
	case <-ctx.Done():
		return domain.SetupOptions{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return domain.SetupOptions{}, r.Err
		}
		return r.Val.(domain.SetupOptions), nil
	}
}

// readSetupOptionsOnce reads and caches the options, unless a read that
// finished since the caller looked has cached them already.
func (p *Pipeline) readSetupOptionsOnce(ctx context.Context, storeID, conn string, fresh bool) (domain.SetupOptions, error) {
	if opts, ok := p.setup.get(storeID, conn, p.now()); ok && !fresh {
		return opts, nil
	}
	t, err := p.target(ctx, storeID)
	if err != nil {
		return domain.SetupOptions{}, err
	}
	opts, err := p.readSetupOptions(ctx, t)
	if err == nil {
		p.setup.put(storeID, setupEntry{conn: conn, opts: opts, expires: p.now().Add(setupOptionsTTL)})
	}
	return opts, err
}
