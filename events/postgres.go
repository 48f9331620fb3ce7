package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leafly/lightspeed-orders/domain"
)

// DefaultChannel is the PostgreSQL notification channel used when
// PostgresOptions.Channel is not set.
const DefaultChannel = "leafly_events"

// The defaults of PostgresOptions.
const (
	defaultMaxConns       = 2
	defaultPageSize       = 500
	defaultLookback       = 64
	defaultHealthInterval = 30 * time.Second
)

// PostgresOptions configure a Postgres broker.
type PostgresOptions struct {
	// DatabaseURL is the PostgreSQL database to notify and listen on.
	DatabaseURL string
	// ListenURL, when set, is where the listener connects instead: the same
	// database reached without a transaction pooler, which cannot hold a
	// LISTEN.
	ListenURL string
	// Hub delivers to the subscribers of this replica.
	Hub *Hub
	// Loader reads the events announced by other replicas.
	Loader Loader
	// Logger receives listener failures and reconnections; nil discards them.
	Logger *slog.Logger
	// Channel is the notification channel; empty means DefaultChannel. Every
	// replica must use the same one.
	Channel string
	// ReplicaID names this replica in notifications, so that its listener
	// skips its own; empty means a random one.
	ReplicaID string
	// MaxConns bounds the pool that sends notifications; 0 means 2.
	MaxConns int32
	// PageSize is how many events a catch-up reads at a time; 0 means 500.
	PageSize int
	// Lookback is how far below the highest seq seen a catch-up starts, to
	// pick up events that committed out of seq order; 0 means 64. It must be
	// below 32768.
	Lookback int64
	// HealthInterval is how long the listener waits for a notification
	// before it pings its connection; 0 means 30s.
	HealthInterval time.Duration
	// OnReconnect, when set, is called each time the listener is listening
	// again and caught up after it lost its connection. It must not block.
	OnReconnect func()
}

// Postgres is the Broker that reaches the subscribers of every replica through
// PostgreSQL LISTEN/NOTIFY. Run must be running to receive other replicas'
// events.
type Postgres struct {
	hub            *Hub
	loader         Loader
	log            *slog.Logger
	channel        string
	replicaID      string
	pageSize       int
	lookback       int64
	healthInterval time.Duration
	onReconnect    func()
	pool           *pgxpool.Pool
	listenConfig   *pgx.ConnConfig

	// heard is the highest seq the listener heard of (by notification,
	// catch-up or at start), whatever its origin: catch-up starts below it.
	// Only Run's goroutine writes it; Heard reads it.
	heard atomic.Int64

	mu          sync.Mutex
	seen        seenSet
	floor       int64 // LatestSeq at start; catch-up never goes below it
	initialised bool  // floor is set
	running     bool
	ready       chan struct{}
	readyClosed bool
}

var _ Broker = (*Postgres)(nil)

// notice is the payload of a notification: just enough to read the event
// back, since NOTIFY payloads are small and not durable.
type notice struct {
	Seq    int64  `json:"seq"`
	Store  string `json:"store"`
	Origin string `json:"origin"`
}

// NewPostgres returns a Postgres broker. It does not connect: Publish
// connects on demand and Run holds the listener connection.
func NewPostgres(opts PostgresOptions) (*Postgres, error) {
	if err := validate(opts); err != nil {
		return nil, fmt.Errorf("new postgres broker: %w", err)
	}
	opts = withDefaults(opts)
	poolConfig, err := pgxpool.ParseConfig(opts.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("new postgres broker: parse database url: %w", err)
	}
	poolConfig.MaxConns = opts.MaxConns
	listenConfig := poolConfig.ConnConfig.Copy()
	if opts.ListenURL != "" {
		if listenConfig, err = pgx.ParseConfig(opts.ListenURL); err != nil {
			return nil, fmt.Errorf("new postgres broker: parse listen url: %w", err)
		}
	}
	if listenConfig.RuntimeParams["application_name"] == "" {
		listenConfig.RuntimeParams["application_name"] = ListenerApplicationName(opts.ReplicaID)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), poolConfig)
	if err != nil {
		return nil, fmt.Errorf("new postgres broker: %w", err)
	}
	return &Postgres{
		hub:            opts.Hub,
		loader:         opts.Loader,
		log:            opts.Logger,
		channel:        opts.Channel,
		replicaID:      opts.ReplicaID,
		pageSize:       opts.PageSize,
		lookback:       opts.Lookback,
		healthInterval: opts.HealthInterval,
		onReconnect:    opts.OnReconnect,
		pool:           pool,
		listenConfig:   listenConfig,
		ready:          make(chan struct{}),
	}, nil
}

// ListenerApplicationName is the application_name of the listener
// connection of replicaID (unless its URL sets one), so that operators
// and tests can find it in pg_stat_activity.
func ListenerApplicationName(replicaID string) string {
	return "events-listener " + replicaID
}

func validate(opts PostgresOptions) error {
	switch {
	case opts.DatabaseURL == "":
		return errors.New("no database url")
	case opts.Hub == nil:
		return errors.New("no hub")
	case opts.Loader == nil:
		return errors.New("no loader")
	case opts.Lookback < 0 || opts.Lookback >= seenWindow/2:
		return fmt.Errorf("lookback %d is outside [0, %d)", opts.Lookback, seenWindow/2)
	}
	return nil
}

func withDefaults(opts PostgresOptions) PostgresOptions {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Channel == "" {
		opts.Channel = DefaultChannel
	}
	if opts.ReplicaID == "" {
		opts.ReplicaID = randomID()
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = defaultMaxConns
	}
	if opts.PageSize <= 0 {
		opts.PageSize = defaultPageSize
	}
	if opts.Lookback == 0 {
		opts.Lookback = defaultLookback
	}
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = defaultHealthInterval
	}
	return opts
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// ReplicaID returns the name of this replica in notifications.
func (p *Postgres) ReplicaID() string {
	return p.replicaID
}

// Channel returns the notification channel the replicas share.
func (p *Postgres) Channel() string {
	return p.channel
}

// Publish delivers evs, in order, to this replica's subscribers at once,
// each unless it was delivered already, then announces them to the other
// replicas, one notification each, in one statement; an event its own
// transaction announced (Announced, with the payload notice has, on
// Channel, from ReplicaID) is not announced again. Call it only after
// their change committed: the others read them back from the event log.
// When the announcement fails, the error says so; the other replicas then
// only see evs if a catch-up of theirs reaches them.
func (p *Postgres) Publish(ctx context.Context, evs ...domain.Event) error {
	payloads := make([]string, 0, len(evs))
	for _, ev := range evs {
		if ev.Seq <= 0 {
			return fmt.Errorf("publish event of store %s: seq %d is not in the event log", ev.StoreID, ev.Seq)
		}
		if ev.Announced {
			continue
		}
		payload, err := json.Marshal(notice{Seq: ev.Seq, Store: ev.StoreID, Origin: p.replicaID})
		if err != nil {
			return fmt.Errorf("publish event %d: %w", ev.Seq, err)
		}
		payloads = append(payloads, string(payload))
	}
	for _, ev := range evs {
		p.deliver(ctx, ev)
	}
	if len(payloads) == 0 {
		return nil
	}
	// unnest keeps the array's order, and so the notifications theirs.
	if _, err := p.pool.Exec(ctx, "SELECT pg_notify($1, n) FROM unnest($2::text[]) AS n", p.channel, payloads); err != nil {
		return fmt.Errorf("publish events %d to %d: notify: %w", evs[0].Seq, evs[len(evs)-1].Seq, err)
	}
	return nil
}

// Subscribe returns a channel of the events of storeID, from this replica and
// the others; see Hub.Subscribe.
func (p *Postgres) Subscribe(ctx context.Context, storeID string) <-chan domain.Event {
	return p.hub.Subscribe(ctx, storeID)
}

// SubscribeOrderStatus returns a channel of the store's order status
// changes, from every replica; see Hub.SubscribeOrderStatus.
func (p *Postgres) SubscribeOrderStatus(ctx context.Context, storeID string) <-chan *domain.OrderStatusEvent {
	return p.hub.SubscribeOrderStatus(ctx, storeID)
}

// SubscribeAlerts returns a channel of the store's alerts, from every
// replica; see Hub.SubscribeAlerts.
func (p *Postgres) SubscribeAlerts(ctx context.Context, storeID string) <-chan *domain.Alert {
	return p.hub.SubscribeAlerts(ctx, storeID)
}

// SubscribeOrderUpdates returns a channel of the updates of the store's
// orders, from every replica; see Hub.SubscribeOrderUpdates.
func (p *Postgres) SubscribeOrderUpdates(ctx context.Context, storeID string) <-chan *domain.OrderUpdate {
	return p.hub.SubscribeOrderUpdates(ctx, storeID)
}

// SubscribeStore returns a channel of the changes of the store itself, from
// every replica; see Hub.SubscribeStore.
func (p *Postgres) SubscribeStore(ctx context.Context, storeID string) <-chan *domain.Store {
	return p.hub.SubscribeStore(ctx, storeID)
}

// Close releases the connections Publish uses. Stop Run by ending its
// context; Close does not close the hub.
func (p *Postgres) Close() {
	p.pool.Close()
}

// deliver publishes ev to the hub unless it was delivered already.
func (p *Postgres) deliver(ctx context.Context, ev domain.Event) {
	if p.claim(ev.Seq) {
		_ = p.hub.Publish(ctx, ev) // a Hub never fails
	}
}

// claim records seq as delivered and reports whether it was not before.
func (p *Postgres) claim(seq int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen.has(seq) {
		return false
	}
	p.seen.add(seq)
	return true
}

// delivered reports whether seq was delivered already.
func (p *Postgres) delivered(seq int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen.has(seq)
}
