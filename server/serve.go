package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/app"
	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/events"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// broker is what serve needs of an events broker.
type broker interface {
	app.Broker
	Close()
}

// serve runs the service until ctx ends, then shuts it down gracefully. It
// listens first, answering with the starting handler while it waits for the
// database, and serves the full handler once the service is assembled.
func serve(ctx context.Context, cfg config, stdout io.Writer) error {
	out := newLogOutput(stdout)
	defer out.Close()
	log := newLogger(out, cfg.LogLevel)
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("config: HTTP_ADDR: %w", err)
	}
	defer ln.Close()
	if !cfg.publicURLSet {
		cfg.PublicURL = "http://localhost:" + portOf(ln.Addr())
	}
	if cfg.AllowedOrigins == nil {
		cfg.AllowedOrigins = []string{originOf(cfg.PublicURL)}
	}
	if cfg.Sandbox {
		cfg.useSandbox(cfg.PublicURL)
	}
	front := serveFront(ln, cfg, log)
	svc, err := assemble(ctx, cfg, log, &accessLog{log: log, out: out}, front.addr)
	if err != nil {
		_ = front.srv.Close()
		if ctx.Err() != nil {
			log.Info("stopped while starting")
			return nil
		}
		return err
	}
	defer svc.close()
	return svc.run(ctx, front, out)
}

// service is the assembled program: every part serve starts and stops.
type service struct {
	cfg     config
	log     *slog.Logger
	metrics *metrics
	db      *storage.DB
	broker  broker
	listen  func(context.Context) error
	queue   *jobs.Queue
	wakeup  *pgxpool.Pool // River's LISTEN for new jobs, on PostgreSQL
	live    *jobs.Liveness
	sandbox *sandbox.Sandbox
	app     *app.App
	tokens  *auth.Tokens
	handler *server
}

// assemble opens the database (waiting for it, see openDatabase), migrates
// it and wires the parts together. addr is where the service listens.
func assemble(ctx context.Context, cfg config, log *slog.Logger, access *accessLog, addr string) (*service, error) {
	s := &service{cfg: cfg, log: log, metrics: newMetrics(), tokens: auth.NewTokens(cfg.AuthSecret, cfg.AuthPrevious...)}
	var err error
	if s.db, err = openDatabase(ctx, cfg, log, addr); err != nil {
		return nil, err
	}
	if err := checkListenURL(ctx, cfg, log, addr); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	s.metrics.watchDatabase(s.db, log)
	if s.broker, s.listen, err = newBroker(ctx, cfg, s.db, s.metrics, log); err != nil {
		s.db.Close()
		return nil, err
	}
	v, err := openVault(ctx, cfg, s.db)
	if err != nil {
		s.close()
		return nil, err
	}
	notifiers, err := newNotifiers(cfg, log)
	if err != nil {
		s.close()
		return nil, err
	}
	if cfg.Sandbox {
		s.sandbox = newSandbox(log)
	}
	if s.db.Postgres() {
		if s.wakeup, err = jobs.NewListener(cfg.DatabaseListenURL); err != nil {
			s.close()
			return nil, err
		}
	}
	workers := river.NewWorkers()
	if s.queue, err = jobs.New(jobs.Config{DB: s.db.SQL(), Postgres: s.db.Postgres(), Listener: s.wakeup, Workers: workers,
		Periodic: append(pos.PeriodicJobs(cfg.MenuSyncInterval, cfg.ReconcileInterval, cfg.WebhookRetention, cfg.ProbeInterval, cfg.OrderPosDeadline), app.PeriodicJobs()...), Logger: log, JobTimeout: cfg.JobTimeout}); err != nil {
		s.close()
		return nil, err
	}
	if s.app, err = app.New(app.Deps{DB: s.db, Queue: s.queue, Workers: workers, Broker: s.broker, Log: log, Notifiers: notifiers,
		POS: pos.Config{Lightspeed: newLightspeedClient(cfg, s.db, s.metrics, log, s.recordCall), Vault: v, Tokens: s.tokens,
			PublicURL: cfg.PublicURL, ConnectURL: cfg.LightspeedConnectURL, ClientSecret: cfg.LightspeedClientSecret,
			OnOrderSent:      func(calls int) { s.metrics.callsPerOrder.Observe(float64(calls)) },
			OrderPosDeadline: cfg.OrderPosDeadline, LightspeedTimeout: cfg.LightspeedTimeout, ProbeInterval: cfg.ProbeInterval}}); err != nil {
		s.close()
		return nil, err
	}
	s.live = jobs.NewLiveness(s.db.SQL(), s.db.Postgres(), s.queue.ID(), log, s.app.ReclaimSends)
	s.handler = newHandler(cfg, s.app, s.db, s.tokens, s.sandbox, s.metrics, log, access)
	return s, nil
}

// recordCall keeps a Lightspeed call in its order's support trail.
func (s *service) recordCall(ctx context.Context, c lssync.Call) { s.app.RecordCall(ctx, c) }

func (s *service) migrate(ctx context.Context) error {
	if err := s.db.Migrate(ctx); err != nil {
		return err
	}
	return jobs.Migrate(ctx, s.db.SQL(), s.db.Postgres())
}

// run starts the background work, hands HTTP over from the starting
// handler to the service's own and serves until ctx ends.
func (s *service) run(ctx context.Context, front *httpFront, stdout io.Writer) error {
	stopMetrics, merr := s.metrics.serve(s.cfg.MetricsAddr, s.log)
	if merr != nil {
		_ = front.srv.Close()
		return merr
	}
	defer stopMetrics()
	stopDebug, derr := serveDebug(s.cfg.DebugAddr, s.log)
	if derr != nil {
		_ = front.srv.Close()
		return derr
	}
	defer stopDebug()
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	listenDone := make(chan error, 1)
	go func() { listenDone <- s.listen(bg) }()
	if err := s.live.Beat(bg); err != nil {
		_ = front.srv.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	liveDone := make(chan struct{})
	go func() { s.live.Run(bg); close(liveDone) }()
	if err := s.queue.Start(bg); err != nil {
		_ = front.srv.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	front.handler.set(s.handler)

	printBanner(stdout, s.cfg, s.db, s.tokens)
	s.log.Info("listening", "addr", front.addr, "postgres", s.db.Postgres(), "sandbox", s.cfg.Sandbox)
	if s.cfg.SandboxDemo && s.sandbox != nil {
		go s.setUpDemo(bg)
	}

	select {
	case <-ctx.Done():
	case err := <-front.served:
		return fmt.Errorf("serve http: %w", err)
	}
	err := s.shutdown(front.srv, stopBackground, listenDone)
	<-liveDone
	return err
}

// shutdown stops accepting, lets requests finish, closes websockets with a
// close frame, completes subscriptions and stops background work.
func (s *service) shutdown(srv *http.Server, stopBackground func(), listenDone <-chan error) error {
	s.log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	s.handler.closeSubscriptions()
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	if qerr := s.queue.Stop(ctx); qerr != nil {
		s.log.Error("stop job queue", "err", qerr)
	}
	if derr := s.app.Drain(ctx); derr != nil {
		s.log.Error("send notifications after commit", "err", derr)
	}
	// Jobs the queue let finish may have published: close the broker's
	// connections only after them.
	s.broker.Close()
	stopBackground()
	if lerr := <-listenDone; lerr != nil {
		s.log.Error("event listener", "err", lerr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// close releases what assemble opened.
func (s *service) close() {
	if s.sandbox != nil {
		s.sandbox.Close()
	}
	if s.broker != nil {
		s.broker.Close()
	}
	if s.wakeup != nil {
		s.wakeup.Close()
	}
	s.db.Close()
}

// newBroker returns the in-process hub on SQLite (one process) and the
// LISTEN/NOTIFY broker on PostgreSQL (any number of replicas), with the
// function that runs its background work. On PostgreSQL an order change's
// transaction announces its events itself (see
// storage.DB.AnnounceOrderEvents), as it commits.
func newBroker(ctx context.Context, cfg config, db *storage.DB, m *metrics, log *slog.Logger) (broker, func(context.Context) error, error) {
	hub := events.NewHub(events.HubOptions{OnDrop: m.droppedEvents.Inc})
	m.watchSubscribers(hub.Subscribers)
	if !db.Postgres() {
		return hub, func(ctx context.Context) error { <-ctx.Done(); return nil }, nil
	}
	pg, err := events.NewPostgres(events.PostgresOptions{DatabaseURL: cfg.DatabaseURL, ListenURL: cfg.DatabaseListenURL, Hub: hub, Loader: db, Logger: log,
		OnReconnect: m.listenerReconnects.Inc})
	if err != nil {
		return nil, nil, err
	}
	// Before the replica takes subscriptions: what commits until its
	// listener connects is caught up on then.
	if err := pg.Start(ctx); err != nil {
		return nil, nil, err
	}
	db.AnnounceOrderEvents(pg.Channel(), pg.ReplicaID())
	m.watchListener(pg, db)
	return pg, pg.Run, nil
}

// printBanner tells whoever started the service how to reach it. Only the
// embedded default gets a ready-made ADMIN token: a production start's
// output ends up in container logs, where a token would be anyone's.
func printBanner(w io.Writer, cfg config, db *storage.DB, tokens *auth.Tokens) {
	base := cfg.PublicURL
	fmt.Fprintf(w, `Leafly order service is up (%s).
  Console:   %s/
  GraphQL:   %s/query
  WebSocket: %s/query  (graphql-transport-ws or graphql-ws; token in connection_init)
`, where(cfg, db), base, base, wsURL(base))
	if cfg.GraphiQL {
		fmt.Fprintf(w, "  GraphiQL:  %s/graphiql\n", base)
	}
	if db.Postgres() {
		fmt.Fprint(w, "  Tokens: run `server token -role ADMIN` (or -role STORE_MANAGER -store <id>) with the same AUTH_SECRET\n")
		return
	}
	token, err := tokens.Mint(domain.Principal{Subject: "banner", Role: domain.RoleAdmin}, 24*time.Hour, time.Now())
	if err != nil {
		token = "(could not mint: " + err.Error() + ")"
	}
	fmt.Fprintf(w, `  ADMIN token, valid 24h:
    %s
  Try it:
    curl -s %s/query -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
      -d '{"query":"mutation { createStore(input: {name: \"Demo\", timeZone: \"America/Los_Angeles\", pickupEnabled: true, deliveryEnabled: true, advertisingSubscriptionActive: true}) { id name } }"}'
  More tokens: go run ./server token -role STORE_MANAGER -store <id>
`, token, base, token)
}

// where names the database (and the sandbox, when it is served) for the banner.
func where(cfg config, db *storage.DB) string {
	w := "embedded SQLite in " + cfg.DataDir
	if db.Postgres() {
		w = "PostgreSQL"
	}
	if cfg.Sandbox {
		w += ", built-in Lightspeed sandbox at " + cfg.PublicURL + sandboxPath + "/"
	}
	return w
}

func portOf(addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	return port
}

func wsURL(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(base, "http://")
}
