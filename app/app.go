// Package app is the order service's use cases. A method GraphQL resolvers
// call checks who is calling against the domain permission table (the
// server's OAuth callback and webhook endpoints are checked by their signed
// state and signature instead), runs the domain rules in storage
// transactions, and publishes the resulting events after commit. It also
// does the Lightspeed work, through package sync, in River jobs (Workers,
// PeriodicJobs), queued when a change calls for them (mostly in its
// transaction) or on a schedule: menu syncs, sending orders as sales and voiding
// them, applying sale changes from webhooks and the sales feed, turning
// orders NOT_SENT past their deadline, probing stores whose Lightspeed
// failed, sending notifications and pruning old webhook bodies.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
	"github.com/leafly/lightspeed-orders/vault"
)

// Broker delivers committed events to the subscribers of a store.
type Broker interface {
	// Publish delivers ev; call it only after ev's change committed.
	Publish(ctx context.Context, ev domain.Event) error
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
	DB     *storage.DB
	Broker Broker
	Log    *slog.Logger
	// Lightspeed calls the X-Series API.
	Lightspeed *lssync.Client
	// Vault seals Lightspeed tokens before they are stored.
	Vault *vault.Vault
	// Tokens signs OAuth states.
	Tokens *auth.Tokens
	// PublicURL is where Lightspeed and browsers reach the service.
	PublicURL string
	// ConnectURL is Lightspeed's OAuth consent page.
	ConnectURL string
	// ClientSecret verifies webhook signatures.
	ClientSecret string
	// OnOrderSent, if set, hears how many Lightspeed calls each order sent took.
	OnOrderSent func(calls int)
	// Notifiers send notifications.
	Notifiers Notifiers
	// OrderPosDeadline is how long an order may fail to reach the POS
	// before it turns NOT_SENT.
	OrderPosDeadline time.Duration
	// LightspeedTimeout is how long one Lightspeed call may take (15s when
	// zero): claims on Lightspeed work are leased from it.
	LightspeedTimeout time.Duration
	// ProbeInterval is how often stores in trouble are probed and an order
	// waiting out an outage looks again (15s when zero); PeriodicJobs takes
	// the same.
	ProbeInterval time.Duration
	// Now is the clock the use cases read (time.Now when nil).
	Now func() time.Time
}

// App holds the service's dependencies.
type App struct {
	db           *storage.DB
	broker       Broker
	log          *slog.Logger
	now          func() time.Time
	ls           *lssync.Client
	vault        *vault.Vault
	tokens       *auth.Tokens
	publicURL    string
	connectURL   string
	clientSecret string
	queue        *jobs.Queue
	menuLocks    keyedMutex
	ref          reference
	onOrderSent  func(calls int)
	notifiers    Notifiers
	deadline     time.Duration
	health       health
	healthLocks  keyedMutex
	refreshLocks keyedMutex
	setup        setupCache
	lsTimeout    time.Duration
	// probeInterval is how often an order waiting out an outage looks again.
	probeInterval time.Duration
}

// New returns an App over its dependencies. Call UseQueue before it runs
// background work.
func New(d Deps) *App {
	if d.LightspeedTimeout <= 0 {
		d.LightspeedTimeout = 15 * time.Second
	}
	if d.ProbeInterval <= 0 {
		d.ProbeInterval = defaultProbeInterval
	}
	clock := d.Now
	if clock == nil {
		clock = time.Now
	}
	return &App{lsTimeout: d.LightspeedTimeout, db: d.DB, broker: d.Broker, log: d.Log, ls: d.Lightspeed, vault: d.Vault, tokens: d.Tokens,
		publicURL: d.PublicURL, connectURL: d.ConnectURL, clientSecret: d.ClientSecret, onOrderSent: d.OnOrderSent, notifiers: d.Notifiers, deadline: d.OrderPosDeadline, probeInterval: d.ProbeInterval,
		now: func() time.Time { return clock().UTC().Truncate(time.Microsecond) }}
}

// UseQueue gives the app its job queue, built from the app's own workers,
// and from then on every notification written is queued for sending.
func (a *App) UseQueue(q *jobs.Queue) {
	a.queue = q
	a.db.OnNotification(a.enqueueNotification)
}

// authorize checks the caller of ctx may perform op on the store.
func authorize(ctx context.Context, op domain.Operation, storeID string) (domain.Principal, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return p, err
	}
	return p, domain.Authorize(p, op, storeID)
}

// publish hands committed events to the broker. A failure to publish loses
// no data (the event log keeps it for replicas to catch up) and is logged.
func (a *App) publish(ctx context.Context, evs []domain.Event) {
	for _, ev := range evs {
		if err := a.broker.Publish(ctx, ev); err != nil {
			a.log.ErrorContext(ctx, "publish event", "seq", ev.Seq, "store", ev.StoreID, "err", err)
		}
	}
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
