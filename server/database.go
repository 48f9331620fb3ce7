package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
// tried again with backoff for up to DATABASE_WAIT (see reach); the
// embedded SQLite file is local: its failures are immediate.
func openDatabase(ctx context.Context, cfg config, log *slog.Logger, addr string) (*storage.DB, error) {
	sc := storage.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxOpenConns: cfg.DBMaxConns, Logger: log}
	if cfg.DatabaseURL == "" {
		db, err := storage.Open(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("config: DATA_DIR: %w", err)
		}
		return db, nil
	}
	var db *storage.DB
	err := reach(ctx, cfg, log, addr, "DATABASE_URL", func(ctx context.Context) (err error) {
		db, err = storage.Open(ctx, sc)
		return err
	})
	return db, err
}

// checkListenURL connects once to DATABASE_LISTEN_URL, when it is set
// apart from DATABASE_URL, so that a mistake in it stops the start with a
// line naming it rather than failing later in the event listener or the job
// queue.
func checkListenURL(ctx context.Context, cfg config, log *slog.Logger, addr string) error {
	if cfg.DatabaseListenURL == cfg.DatabaseURL {
		return nil
	}
	return reach(ctx, cfg, log, addr, "DATABASE_LISTEN_URL", func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, cfg.DatabaseListenURL)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
}

// reach calls try until it succeeds, for up to DATABASE_WAIT, so that a
// service started beside its database comes up by itself; each failed
// attempt is logged with the delay before the next. A PostgreSQL that
// answers and refuses (bad credentials, no such database) is a mistake
// waiting does not cure: that failure is immediate. Errors name setting.
func reach(ctx context.Context, cfg config, log *slog.Logger, addr, setting string, try func(context.Context) error) error {
	wait, cancel := context.WithTimeout(ctx, cfg.DatabaseWait)
	defer cancel()
	deadline, _ := wait.Deadline()
	delay := firstDatabaseDelay
	for attempt := 1; ; attempt++ {
		err := try(wait)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case refused(err):
			return fmt.Errorf("config: %s: %w", setting, err)
		case time.Until(deadline) <= delay:
			return fmt.Errorf("config: %s: PostgreSQL not reachable within DATABASE_WAIT (%s): %w", setting, cfg.DatabaseWait, err)
		}
		log.Warn("waiting for database", "addr", addr, "setting", setting, "attempt", attempt, "err", err.Error(), "retry_in", delay.String())
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
