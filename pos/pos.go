// Package pos is the point-of-sale pipeline: everything the service does
// with a store's Lightspeed X-Series account, through package sync. It
// connects stores (a personal token or OAuth, tokens renewed in time),
// reads the setup form's choices and subscribes the sale webhook, syncs
// menus, sends orders as sales exactly once, voids the sales of canceled
// orders, applies sale changes back from webhooks and the sales feed, and
// follows each store's Lightspeed health (outages, refused credentials,
// the NOT_SENT deadline, probes and recovery). The work runs in River jobs
// whose workers and args live here, next to the code they run.
//
// Its exported methods trust their caller: package app's use cases call
// them once they have checked who is calling. It writes orders, stores and
// alerts through a Writer (app's), which adds the notifications a change
// calls for in its transaction.
package pos

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/sync/singleflight"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
	"github.com/leafly/lightspeed-orders/vault"
)

// Writer writes what the pipeline changes: each write in one transaction
// with the notifications and the jobs it calls for, its events published
// after commit.
type Writer interface {
	// UpdateOrder locks the order and saves what change does to it; change
	// may return jobs to enqueue with it.
	UpdateOrder(ctx context.Context, id string, change func(*domain.Order) ([]river.JobArgs, error)) (*domain.Order, error)
	// UpdateOrderWith is UpdateOrder that also runs with in its
	// transaction, once the order is saved, to write what the change was
	// made of (see recording).
	UpdateOrderWith(ctx context.Context, id string, with func(storage.Tx) error,
		change func(*domain.Order) ([]river.JobArgs, error)) (*domain.Order, error)
	// UpdateStore saves what change does to the store.
	UpdateStore(ctx context.Context, id string, change func(*domain.Store) error) (*domain.Store, error)
	// RaiseAlert records an alert, unless one is open for the incident.
	RaiseAlert(ctx context.Context, a *domain.Alert, orderID *string) error
	// ResolveAlerts resolves the store's open alerts of a kind.
	ResolveAlerts(ctx context.Context, storeID string, kind domain.AlertKind, at time.Time) error
}

// Deps are what the pipeline needs.
type Deps struct {
	DB *storage.DB
	// Queue is the job queue, built over Workers: New adds the pipeline's
	// workers to Workers, so build the pipeline before starting Queue.
	Queue   *jobs.Queue
	Workers *river.Workers
	Writer  Writer
	Log     *slog.Logger
	// Now is the service's clock.
	Now func() time.Time
	Config
}

// Config is what the pipeline takes of the service's configuration.
type Config struct {
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
}

// Pipeline is the POS pipeline over its dependencies, with what it keeps in
// this process: each store's run of failed calls, the outlets' taxes, the
// setup options read, and locks per store.
type Pipeline struct {
	db           *storage.DB
	queue        *jobs.Queue
	w            Writer
	log          *slog.Logger
	now          func() time.Time
	ls           *lssync.Client
	vault        *vault.Vault
	tokens       *auth.Tokens
	publicURL    string
	connectURL   string
	clientSecret string
	onOrderSent  func(calls int)
	deadline     time.Duration
	lsTimeout    time.Duration
	// probeInterval is how often an order waiting out an outage looks again.
	probeInterval time.Duration
	ref           reference
	health        health
	setup         setupCache
	menuLocks     keyedMutex
	healthLocks   keyedMutex
	refreshLocks  keyedMutex
	// webhooks joins the copies of a webhook being received (ReceiveWebhook).
	webhooks singleflight.Group
	// sendTurns and sending are the attempts right after commit (SendNow).
	sendTurns chan struct{}
	sending   sync.WaitGroup
}

// New returns the pipeline over its dependencies and adds its job workers
// to d.Workers, the bundle d.Queue was built over. It refuses missing
// dependencies and a bundle that already holds the pipeline's job kinds.
func New(d Deps) (*Pipeline, error) {
	if d.DB == nil || d.Queue == nil || d.Workers == nil || d.Writer == nil || d.Now == nil || d.Lightspeed == nil {
		return nil, errors.New("pos: DB, Queue, Workers, Writer, Now and Lightspeed are required")
	}
	if d.LightspeedTimeout <= 0 {
		d.LightspeedTimeout = 15 * time.Second
	}
	if d.ProbeInterval <= 0 {
		d.ProbeInterval = defaultProbeInterval
	}
	p := &Pipeline{db: d.DB, queue: d.Queue, w: d.Writer, log: d.Log, now: d.Now, ls: d.Lightspeed, vault: d.Vault, tokens: d.Tokens,
		publicURL: d.PublicURL, connectURL: d.ConnectURL, clientSecret: d.ClientSecret, onOrderSent: d.OnOrderSent,
		deadline: d.OrderPosDeadline, lsTimeout: d.LightspeedTimeout, probeInterval: d.ProbeInterval,
		sendTurns: make(chan struct{}, sendNowTurns)}
	if err := p.addWorkers(d.Workers); err != nil {
		return nil, err
	}
	return p, nil
}
