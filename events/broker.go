package events

import (
	"context"

	"github.com/leafly/lightspeed-orders/domain"
)

// Broker delivers the committed events of a store to its subscribers. Hub
// does it within one process, Postgres across every replica.
type Broker interface {
	// Publish delivers evs, in order, to their stores' subscribers. Call it only after their change committed.
	Publish(ctx context.Context, evs ...domain.Event) error
	// Subscribe returns a channel of the store's events, closed when ctx ends or the subscriber is dropped for being slow.
	Subscribe(ctx context.Context, storeID string) <-chan domain.Event
	// SubscribeOrderStatus is Subscribe for order status changes only.
	SubscribeOrderStatus(ctx context.Context, storeID string) <-chan *domain.OrderStatusEvent
	// SubscribeAlerts is Subscribe for alerts only.
	SubscribeAlerts(ctx context.Context, storeID string) <-chan *domain.Alert
	// SubscribeOrderUpdates is Subscribe for order updates only.
	SubscribeOrderUpdates(ctx context.Context, storeID string) <-chan *domain.OrderUpdate
	// SubscribeStore is Subscribe for changes of the store itself only.
	SubscribeStore(ctx context.Context, storeID string) <-chan *domain.Store
}

// Loader reads committed events back from the database's event log.
type Loader interface {
	// Event returns the event numbered seq.
	Event(ctx context.Context, seq int64) (domain.Event, error)
	// EventsAfter returns at most limit events with a seq above seq, in seq order.
	EventsAfter(ctx context.Context, seq int64, limit int) ([]domain.Event, error)
	// LatestSeq returns the highest seq committed so far, 0 when there is none.
	LatestSeq(ctx context.Context) (int64, error)
}
