// Package app is the order service's use cases. A method GraphQL resolvers
// call checks who is calling against the domain permission table (the
// server's OAuth callback and webhook endpoints are checked by their signed
// state and signature instead), runs the domain rules in storage
// transactions, and publishes the resulting events after commit. Every
// write of an order, a store or an alert goes through its writer, which
// decides the notifications the change calls for, writes them in the
// change's transaction and sends them after commit (outbox.go). The
// Lightspeed work is package pos's: the use cases call it once they have
// checked the caller.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/storage"
)

// Broker delivers committed events to the subscribers of a store.
type Broker interface {
	// Publish delivers evs in order; call it only after their change committed.
	Publish(ctx context.Context, evs ...domain.Event) error
	// SubscribeOrderStatus streams the store's order status changes until ctx ends.
	SubscribeOrderStatus(ctx context.Context, storeID string) <-chan *domain.OrderStatusEvent
	// SubscribeAlerts streams the store's alerts until ctx ends.
	SubscribeAlerts(ctx context.Context, storeID string) <-chan *domain.Alert
	// SubscribeOrderUpdates streams the updates of the store's orders until ctx ends.
	SubscribeOrderUpdates(ctx context.Context, storeID string) <-chan *domain.OrderUpdate
	// SubscribeStore streams the changes of the store itself until ctx ends.
	SubscribeStore(ctx context.Context, storeID string) <-chan *domain.Store
}

// Deps are what the use cases need.
type Deps struct {
	DB *storage.DB
	// Queue is the job queue, built over Workers before the App: New adds
	// the workers of the App and of its POS pipeline to Workers, so build
	// the App before starting Queue.
	Queue   *jobs.Queue
	Workers *river.Workers
	Broker  Broker
	Log     *slog.Logger
	// Notifiers send notifications.
	Notifiers Notifiers
	// POS configures the POS pipeline.
	POS pos.Config
	// Now is the clock the use cases and the pipeline read (time.Now when nil).
	Now func() time.Time
}

// App is the service's use cases over their dependencies.
type App struct {
	db        *storage.DB
	w         *writer
	pos       *pos.Pipeline
	broker    Broker
	log       *slog.Logger
	now       func() time.Time
	notifiers Notifiers
}

// New returns an App over its dependencies, with its POS pipeline, and adds
// their job workers to d.Workers, the bundle d.Queue was built over. It
// refuses a missing queue or bundle, and a bundle that already holds their
// job kinds.
func New(d Deps) (*App, error) {
	if d.DB == nil || d.Queue == nil || d.Workers == nil {
		return nil, errors.New("app: DB, Queue and the Workers the queue was built over are required")
	}
	clock := d.Now
	if clock == nil {
		clock = time.Now
	}
	now := func() time.Time { return clock().UTC().Truncate(time.Microsecond) }
	w := &writer{db: d.DB, queue: d.Queue, broker: d.Broker, log: d.Log}
	p, err := pos.New(pos.Deps{DB: d.DB, Queue: d.Queue, Workers: d.Workers, Writer: w, Log: d.Log, Now: now, Config: d.POS})
	if err != nil {
		return nil, err
	}
	a := &App{db: d.DB, w: w, pos: p, broker: d.Broker, log: d.Log, now: now, notifiers: d.Notifiers}
	w.sender = newSender(a.sendNow)
	if err := errors.Join(river.AddWorkerSafely(d.Workers, &sendNotificationWorker{app: a}),
		river.AddWorkerSafely(d.Workers, &sweepNotificationsWorker{app: a}),
		river.AddWorkerSafely(d.Workers, &pruneEventsWorker{app: a})); err != nil {
		return nil, err
	}
	return a, nil
}

// Drain waits for the orders and then the notifications being sent right
// after their change committed, until ctx ends: call it once the queue has
// stopped, when nothing makes changes any more. One not sent by then is
// sent by the job queue later (see outbox.go and pos's sendnow.go).
func (a *App) Drain(ctx context.Context) error {
	if err := a.pos.Drain(ctx); err != nil {
		return err
	}
	return a.w.sender.wait(ctx)
}

// ReclaimSends hands to the job queue the sends of new orders that a
// stopped process was making (see pos's ReclaimSends); jobs.Liveness runs
// it with its ttl.
func (a *App) ReclaimSends(ctx context.Context, ttl time.Duration) error {
	return a.pos.ReclaimSends(ctx, ttl)
}

// authorize checks the caller of ctx may perform op on the store.
func authorize(ctx context.Context, op domain.Operation, storeID string) (domain.Principal, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return p, err
	}
	return p, domain.Authorize(p, op, storeID)
}

// newID returns a new time-ordered id.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// pageSize bounds the page sizes callers may ask for with the argument name.
func pageSize(name string, n *int) (int, error) {
	const def, max = 20, 100
	if n == nil {
		return def, nil
	}
	if *n < 0 || *n > max {
		return 0, domain.Errorf(domain.CodeBadUserInput, "%s must be between 0 and %d.", name, max)
	}
	return *n, nil
}
