package app

import (
	"context"
	"sync"

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
