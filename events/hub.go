package events

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/leafly/lightspeed-orders/domain"
)

// DefaultBuffer is how many undelivered events a subscriber may hold when
// HubOptions.Buffer is not set.
const DefaultBuffer = 64

// HubOptions configure a Hub.
type HubOptions struct {
	// Buffer is how many undelivered events a subscriber may hold before it
	// is dropped for being slow; 0 means DefaultBuffer.
	Buffer int
	// OnDrop, when set, is called once for every subscriber dropped for
	// being slow, e.g. to count drops in a metric. It must not block.
	OnDrop func()
}

// Hub is the in-process Broker: it fans an event out to the subscribers of
// its store without ever blocking the publisher. The zero value is not
// usable; call NewHub.
type Hub struct {
	buffer int
	onDrop func()
	count  atomic.Int64

	mu     sync.RWMutex
	stores map[string][]*subscriber
	closed bool
}

var _ Broker = (*Hub)(nil)

// subscriber is one Subscribe call. Its fields other than deliver, close
// and stop are guarded by Hub.mu.
type subscriber struct {
	// deliver hands the subscriber ev, if it wants it, without blocking; it
	// reports false when the subscriber's buffer is full.
	deliver func(ev domain.Event) bool
	close   func()
	storeID string
	index   int  // position in its store's slice, -1 when not in it
	removed bool // ch is closed; never attach again
	stop    func() bool
}

// NewHub returns an empty hub.
func NewHub(opts HubOptions) *Hub {
	buffer := opts.Buffer
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Hub{
		buffer: buffer,
		onDrop: opts.OnDrop,
		stores: make(map[string][]*subscriber),
	}
}

// Publish delivers each of evs, in order, to every subscriber of its store
// whose buffer has room, and drops the others. It never blocks, so ctx is
// not consulted, and it always returns nil.
func (h *Hub) Publish(_ context.Context, evs ...domain.Event) error {
	for _, ev := range evs {
		h.publish(ev)
	}
	return nil
}

func (h *Hub) publish(ev domain.Event) {
	var slow []*subscriber // allocated only when somebody is slow
	h.mu.RLock()
	for _, s := range h.stores[ev.StoreID] {
		if !s.deliver(ev) {
			slow = append(slow, s)
		}
	}
	h.mu.RUnlock()
	if len(slow) > 0 {
		h.drop(slow)
	}
}

// Subscribe returns a channel of the events of storeID published from now on.
// The channel is closed when ctx ends, when the subscriber falls Buffer
// events behind, or when the hub closes; it is closed at once if the hub is
// already closed or ctx already ended.
func (h *Hub) Subscribe(ctx context.Context, storeID string) <-chan domain.Event {
	return subscribe(h, ctx, storeID, func(ev domain.Event) (domain.Event, bool) { return ev, true })
}

// SubscribeOrderStatus is Subscribe for the store's order status changes only.
func (h *Hub) SubscribeOrderStatus(ctx context.Context, storeID string) <-chan *domain.OrderStatusEvent {
	return subscribe(h, ctx, storeID, func(ev domain.Event) (*domain.OrderStatusEvent, bool) {
		return ev.OrderStatus, ev.OrderStatus != nil
	})
}

// SubscribeAlerts is Subscribe for the store's alerts only.
func (h *Hub) SubscribeAlerts(ctx context.Context, storeID string) <-chan *domain.Alert {
	return subscribe(h, ctx, storeID, func(ev domain.Event) (*domain.Alert, bool) { return ev.Alert, ev.Alert != nil })
}

// SubscribeOrderUpdates is Subscribe for the updates of the store's orders only.
func (h *Hub) SubscribeOrderUpdates(ctx context.Context, storeID string) <-chan *domain.OrderUpdate {
	return subscribe(h, ctx, storeID, func(ev domain.Event) (*domain.OrderUpdate, bool) { return ev.Update, ev.Update != nil })
}

// SubscribeStore is Subscribe for the changes of the store itself only.
func (h *Hub) SubscribeStore(ctx context.Context, storeID string) <-chan *domain.Store {
	return subscribe(h, ctx, storeID, func(ev domain.Event) (*domain.Store, bool) { return ev.Store, ev.Store != nil })
}

// subscribe attaches a subscriber receiving what pick takes from each event
// on a channel of its own type, so that a GraphQL subscription reads its
// channel directly, with no goroutine in between.
func subscribe[T any](h *Hub, ctx context.Context, storeID string, pick func(domain.Event) (T, bool)) <-chan T {
	ch := make(chan T, h.buffer)
	s := &subscriber{storeID: storeID, index: -1, close: func() { close(ch) }}
	s.deliver = func(ev domain.Event) bool {
		v, ok := pick(ev)
		if !ok {
			return true
		}
		select {
		case ch <- v:
			return true
		default:
			return false
		}
	}
	s.stop = context.AfterFunc(ctx, func() { h.unsubscribe(s) })
	if !h.attach(s) {
		s.stop()
	}
	return ch
}

// Subscribers returns how many subscribers the hub has, across stores.
func (h *Hub) Subscribers() int {
	return int(h.count.Load())
}

// watched reports whether storeID has a subscriber.
func (h *Hub) watched(storeID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.stores[storeID]) > 0
}

// Close closes the channel of every subscriber, so that their subscriptions
// complete, and makes later subscriptions complete at once. Publishing after
// Close delivers nothing.
func (h *Hub) Close() {
	var all []*subscriber
	h.mu.Lock()
	h.closed = true
	for storeID, subs := range h.stores {
		for _, s := range subs {
			s.index = -1
			s.removed = true
			s.close()
		}
		h.count.Add(-int64(len(subs)))
		all = append(all, subs...)
		delete(h.stores, storeID)
	}
	h.mu.Unlock()
	for _, s := range all {
		s.stop()
	}
}

// attach adds s to its store unless the hub is closed or s was already
// removed (its context ended first). It reports whether s was added.
func (h *Hub) attach(s *subscriber) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || s.removed {
		h.detach(s)
		return false
	}
	subs := h.stores[s.storeID]
	s.index = len(subs)
	h.stores[s.storeID] = append(subs, s)
	h.count.Add(1)
	return true
}

// unsubscribe removes s when its context ends.
func (h *Hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.detach(s)
}

// drop removes the slow subscribers still attached and counts them.
func (h *Hub) drop(slow []*subscriber) {
	dropped := slow[:0]
	h.mu.Lock()
	for _, s := range slow {
		if h.detach(s) {
			dropped = append(dropped, s)
		}
	}
	h.mu.Unlock()
	for _, s := range dropped {
		s.stop()
		if h.onDrop != nil {
			h.onDrop()
		}
	}
}

// detach removes s from its store, if it is in it, and closes its channel,
// unless that was done before. It reports whether it closed the channel.
// The caller holds h.mu for writing, so no Publish is sending to the channel.
func (h *Hub) detach(s *subscriber) bool {
	if s.removed {
		return false
	}
	s.removed = true
	if s.index >= 0 {
		h.removeAt(s.storeID, s.index)
		s.index = -1
		h.count.Add(-1)
	}
	s.close()
	return true
}

// removeAt removes the subscriber at index i of a store's slice by moving the
// last one into its place: order among subscribers does not matter.
func (h *Hub) removeAt(storeID string, i int) {
	subs := h.stores[storeID]
	last := len(subs) - 1
	subs[i] = subs[last]
	subs[i].index = i
	subs[last] = nil
	if last == 0 {
		delete(h.stores, storeID)
		return
	}
	h.stores[storeID] = subs[:last]
}
