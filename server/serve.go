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

	"github.com/leafly/lightspeed-orders/app"
	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/events"
	"github.com/leafly/lightspeed-orders/storage"
)

// broker is what serve needs of an events broker.
type broker interface {
	app.Broker
	Close()
}

// serve runs the service until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, cfg config, stdout io.Writer) error {
	log := newLogger(stdout, cfg.LogLevel)
	m := newMetrics()
	db, err := storage.Open(ctx, storage.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxOpenConns: cfg.DBMaxConns, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	b, runBroker, err := newBroker(cfg, db, m, log)
	if err != nil {
		return err
	}
	defer b.Close()
	tokens := auth.NewTokens(cfg.AuthSecret)
	h := newHandler(cfg, app.New(db, b, log), db, tokens, m, log)

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("config: HTTP_ADDR: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	brokerDone := make(chan error, 1)
	go func() { brokerDone <- runBroker(bg) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	printBanner(stdout, cfg, ln.Addr(), db, tokens)
	log.Info("listening", "addr", ln.Addr().String(), "postgres", db.Postgres())

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopBackground()
		return fmt.Errorf("serve http: %w", err)
	}
	return shutdown(srv, h, b, stopBackground, brokerDone, cfg.ShutdownTimeout, log)
}

// shutdown stops accepting, lets requests finish, closes websockets with a
// close frame, completes subscriptions and stops background work.
func shutdown(srv *http.Server, h *server, b broker, stopBackground func(), brokerDone <-chan error, timeout time.Duration, log *slog.Logger) error {
	log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	h.closeWebsockets()
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	b.Close()
	stopBackground()
	if berr := <-brokerDone; berr != nil {
		log.Error("event listener", "err", berr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newBroker returns the in-process hub on SQLite (one process) and the
// LISTEN/NOTIFY broker on PostgreSQL (any number of replicas), with the
// function that runs its background work.
func newBroker(cfg config, db *storage.DB, m *metrics, log *slog.Logger) (broker, func(context.Context) error, error) {
	hub := events.NewHub(events.HubOptions{OnDrop: m.droppedEvents.Inc})
	m.watchSubscribers(hub.Subscribers)
	if !db.Postgres() {
		return hub, func(ctx context.Context) error { <-ctx.Done(); return nil }, nil
	}
	pg, err := events.NewPostgres(events.PostgresOptions{DatabaseURL: cfg.DatabaseURL, Hub: hub, Loader: db, Logger: log,
		OnReconnect: m.listenerReconnects.Inc})
	if err != nil {
		return nil, nil, err
	}
	return pg, pg.Run, nil
}

// printBanner tells whoever started the service how to reach it.
func printBanner(w io.Writer, cfg config, addr net.Addr, db *storage.DB, tokens *auth.Tokens) {
	base := cfg.PublicURL
	if !cfg.publicURLSet {
		base = "http://localhost:" + portOf(addr)
	}
	where := "embedded SQLite in " + cfg.DataDir
	if db.Postgres() {
		where = "PostgreSQL"
	}
	token, err := tokens.Mint(domain.Principal{Subject: "banner", Role: domain.RoleAdmin}, 24*time.Hour, time.Now())
	if err != nil {
		token = "(could not mint: " + err.Error() + ")"
	}
	fmt.Fprintf(w, `Leafly order service is up (%s).
  GraphQL:   %s/query
  WebSocket: %s/query  (graphql-transport-ws or graphql-ws; token in connection_init)
  ADMIN token, valid 24h:
    %s
  Try it:
    curl -s %s/query -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
      -d '{"query":"mutation { createStore(input: {name: \"Demo\", timeZone: \"America/Los_Angeles\", pickupEnabled: true, deliveryEnabled: true, advertisingSubscriptionActive: true}) { id name } }"}'
  More tokens: go run ./server token -role STORE_MANAGER -store <id>
`, where, base, wsURL(base), token, base, token)
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
