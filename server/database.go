package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leafly/lightspeed-orders/storage"
)

// The backoff between attempts to reach PostgreSQL at start: it doubles
// from the first delay up to the last.
const (
	firstDatabaseDelay = 250 * time.Millisecond
	lastDatabaseDelay  = 5 * time.Second
)

// openDatabase opens the database cfg names. An unreachable PostgreSQL is
// tried again with backoff for up to DATABASE_WAIT, so that a service
// started beside its database comes up by itself; each failed attempt is
// logged with the delay before the next. A PostgreSQL that answers and
// refuses (bad credentials, no such database) is a mistake waiting does not
// cure, and the embedded SQLite file is local: their failures are immediate.
func openDatabase(ctx context.Context, cfg config, log *slog.Logger, addr string) (*storage.DB, error) {
	sc := storage.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxOpenConns: cfg.DBMaxConns, Logger: log}
	if cfg.DatabaseURL == "" {
		db, err := storage.Open(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("config: DATA_DIR: %w", err)
		}
		return db, nil
	}
	wait, cancel := context.WithTimeout(ctx, cfg.DatabaseWait)
	defer cancel()
	deadline, _ := wait.Deadline()
	delay := firstDatabaseDelay
	for attempt := 1; ; attempt++ {
		db, err := storage.Open(wait, sc)
		switch {
		case err == nil:
			return db, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case refused(err):
			return nil, fmt.Errorf("config: DATABASE_URL: %w", err)
		case time.Until(deadline) <= delay:
			return nil, fmt.Errorf("config: DATABASE_URL: PostgreSQL not reachable within DATABASE_WAIT (%s): %w", cfg.DatabaseWait, err)
		}
		log.Warn("waiting for database", "addr", addr, "attempt", attempt, "err", err.Error(), "retry_in", delay.String())
		select {
		case <-wait.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, lastDatabaseDelay)
	}
}

// refused reports whether PostgreSQL answered the connection with a refusal
// that stays: bad credentials (SQLSTATE class 28) or no such database.
func refused(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "28") || pg.Code == "3D000")
}
