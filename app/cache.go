package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/leafly/lightspeed-orders/domain"
)

// requestCache keeps the stores one GraphQL response has loaded, so resolving
// store or actionable on 50 orders of one store reads that store once.
type requestCache struct {
	mu     sync.Mutex
	stores map[string]*domain.Store
}

type cacheKey struct{}

// WithRequestCache returns a context whose reads of shared objects are
// cached for as long as it lives: one GraphQL response.
func WithRequestCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheKey{}, &requestCache{stores: map[string]*domain.Store{}})
}

// StoreOf returns the store of an order the caller has already been
// allowed to read.
func (a *App) StoreOf(ctx context.Context, o *domain.Order) (*domain.Store, error) {
	c, _ := ctx.Value(cacheKey{}).(*requestCache)
	if c == nil {
		return a.db.Store(ctx, o.StoreID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stores[o.StoreID]; ok {
		return s, nil
	}
	s, err := a.db.Store(ctx, o.StoreID)
	if err == nil {
		c.stores[o.StoreID] = s
	}
	return s, err
}

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
	opts    SetupOptions
	expires time.Time
}

func (c *setupCache) get(storeID, conn string, now time.Time) (SetupOptions, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[storeID]
	if !ok || e.conn != conn || !now.Before(e.expires) {
		return SetupOptions{}, false
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
func (a *App) cachedSetupOptions(ctx context.Context, storeID string, fresh bool) (SetupOptions, error) {
	conn, err := a.connectionID(ctx, storeID)
	if err != nil {
		return SetupOptions{}, err
	}
	if opts, ok := a.setup.get(storeID, conn, a.now()); ok && !fresh {
		return opts, nil
	}
	key := fmt.Sprintf("%s/%s/%t", storeID, conn, fresh)
	ch := a.setup.flights.DoChan(key, func() (any, error) {
		return a.readSetupOptionsOnce(context.WithoutCancel(ctx), storeID, conn, fresh)
	})
	select {
	case <-ctx.Done():
		return SetupOptions{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return SetupOptions{}, r.Err
		}
		return r.Val.(SetupOptions), nil
	}
}

// readSetupOptionsOnce reads and caches the options, unless a read that
// finished since the caller looked has cached them already.
func (a *App) readSetupOptionsOnce(ctx context.Context, storeID, conn string, fresh bool) (SetupOptions, error) {
	if opts, ok := a.setup.get(storeID, conn, a.now()); ok && !fresh {
		return opts, nil
	}
	t, err := a.target(ctx, storeID)
	if err != nil {
		return SetupOptions{}, err
	}
	opts, err := a.readSetupOptions(ctx, t)
	if err == nil {
		a.setup.put(storeID, setupEntry{conn: conn, opts: opts, expires: a.now().Add(setupOptionsTTL)})
	}
	return opts, err
}
