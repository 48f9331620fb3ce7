package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	sqlite "github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Config says which database to open.
type Config struct {
	// DatabaseURL is a PostgreSQL URL; empty means the embedded SQLite file.
	DatabaseURL string
	// DataDir holds the embedded SQLite file.
	DataDir string
	// MaxOpenConns bounds the PostgreSQL pool (default DefaultMaxOpenConns).
	MaxOpenConns int
	Logger       *slog.Logger
	// Now is the clock the database records times by (time.Now when nil).
	Now func() time.Time
}

// DB is the service's database.
type DB struct {
	gorm  *gorm.DB
	sql   *sql.DB
	reads reader // the pool's, for the reads scanned by hand: pgxReads on PostgreSQL
	// orderReads, on PostgreSQL, runs ReadOrder's reads (nil on SQLite).
	orderReads *orderReads
	// readers is, on SQLite, the pool that reads runs on (see openReaders).
	readers  *sql.DB
	postgres bool
	log      *slog.Logger
	clock    func() time.Time
	// announce, when set, is where the event log's statement for order
	// changes announces their events (see AnnounceOrderEvents).
	announce *announcement
}

// announcement is a PostgreSQL notification channel and the origin its
// notices carry.
type announcement struct{ channel, origin string }

// AnnounceOrderEvents has every transaction that logs order events on
// PostgreSQL also notify channel of each, with a payload of the events
// broker's (seq, store, origin): the notices go out as the transaction
// commits, and the events it returns are Announced. Call it before the
// first write.
func (db *DB) AnnounceOrderEvents(channel, origin string) {
	db.announce = &announcement{channel, origin}
}

// Open connects to the database cfg names. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{postgres: cfg.DatabaseURL != "", log: log, clock: cfg.Now}
	if db.clock == nil {
		db.clock = time.Now
	}
	dialector, err := dialector(cfg)
	if err != nil {
		return nil, err
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                db.now,
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	configurePool(sqlDB, cfg)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	db.gorm, db.sql = g, sqlDB
	if db.postgres {
		db.reads = db.pgxReads
		db.orderReads = &orderReads{db: db, alone: aloneReads}
		return db, nil
	}
	if db.readers, err = openReaders(cfg); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	db.reads = sqlReader(&preparedReads{pool: db.readers})
	return db, nil
}

func dialector(cfg Config) (gorm.Dialector, error) {
	if cfg.DatabaseURL != "" {
		return postgres.Open(cfg.DatabaseURL), nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return sqlite.Open(sqliteDSN(cfg)), nil
}

// sqliteDSN names the embedded SQLite file, with the settings of every
// connection. Transactions begin IMMEDIATE: another process on the same
// file (the CLI, a test's second handle) then waits out busy_timeout at
// BEGIN. A deferred transaction that reads and then writes after the other
// process committed fails at once with SQLITE_BUSY, whatever the timeout.
// Within the process the single writing connection serialises anyway.
func sqliteDSN(cfg Config) string {
	return "file:" + filepath.Join(cfg.DataDir, "orders.db") +
		"?_txlock=immediate&_time_format=sqlite&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
}

// readerConns is the number of SQLite connections that only read.
const readerConns = 4

// openReaders opens, on SQLite, the connections of the reads scanned by
// hand (DB.reads), which only read (query_only): in WAL mode each read sees
// every transaction committed before it began, and runs beside the one
// writing connection and the other reads instead of waiting its turn on
// that connection. Reads in a transaction stay on the transaction's.
//
// The readers read the file's first 256 MiB through a memory map
// (mmap_size) instead of copying each page they lack into their own 2 MiB
// page caches with a pread: a page of a large store's orders read at random
// depths costs about 12% less CPU. The map's pages are the kernel's page
// cache, shared by the readers. The writing connection keeps pread: mapped,
// it cost an order's intake about 10% more CPU (BENCHMARKS.md).
func openReaders(cfg Config) (*sql.DB, error) {
	readers, err := sql.Open("sqlite", sqliteDSN(cfg)+"&_pragma=query_only(1)&_pragma=mmap_size(268435456)")
	if err != nil {
		return nil, fmt.Errorf("open database readers: %w", err)
	}
	readers.SetMaxOpenConns(readerConns)
	readers.SetMaxIdleConns(readerConns)
	return readers, nil
}

// maxPrepared bounds the statements preparedReads keeps. The reads are a
// few fixed statements; a filter's lists make one more for each length.
const maxPrepared = 128

// preparedReads runs SQLite's reads on statements prepared once and kept
// (database/sql prepares each on a connection the first time it runs there).
// modernc.org/sqlite keeps a prepared statement's compiled program, but
// compiles again every statement it is handed as text: parsing the read of
// an order was a third of order(id)'s CPU on SQLite (BENCHMARKS.md). Past
// maxPrepared statements, the rest run as text.
type preparedReads struct {
	pool *sql.DB
	// stmts maps each query to its statement. It is replaced, never
	// changed, so that reads look it up without a lock.
	stmts atomic.Pointer[map[string]*sql.Stmt]

	mu sync.Mutex // held to prepare, so that each query is prepared once
}

func (p *preparedReads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := p.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if stmt == nil {
		return p.pool.QueryContext(ctx, query, args...)
	}
	return stmt.QueryContext(ctx, args...)
}

// prepared returns query's statement, prepared now if it was not; nil
// when maxPrepared are kept already.
func (p *preparedReads) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if stmt := p.lookup(query); stmt != nil {
		return stmt, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stmt := p.lookup(query); stmt != nil {
		return stmt, nil
	}
	kept := p.stmts.Load()
	if len(deref(kept)) >= maxPrepared {
		return nil, nil
	}
	stmt, err := p.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	next := make(map[string]*sql.Stmt, 1+len(deref(kept)))
	maps.Copy(next, deref(kept))
	next[query] = stmt
	p.stmts.Store(&next)
	return stmt, nil
}

// lookup returns query's statement, nil when it has none.
func (p *preparedReads) lookup(query string) *sql.Stmt {
	if kept := p.stmts.Load(); kept != nil {
		return (*kept)[query]
	}
	return nil
}

// DefaultMaxOpenConns is the PostgreSQL pool's size unless the caller sets
// one. More connections are not faster: every change of a store's orders
// holds the store's row to its commit (see numberUpdates), so connections
// past what PostgreSQL's cores can run mostly add transactions waiting for
// that row, and backends warming caches of their own. On a 2-core
// PostgreSQL a burst of 500 orders cost 8.7–10.1 ms of PostgreSQL CPU per
// order with 20 connections and 5.6 ms with 8, and no read got slower
// (BENCHMARKS.md, the sixteenth run).
const DefaultMaxOpenConns = 8

// configurePool sizes the pool. SQLite allows one writer at a time; a single
// connection serialises transactions instead of failing them with SQLITE_BUSY.
func configurePool(db *sql.DB, cfg Config) {
	if cfg.DatabaseURL == "" {
		db.SetMaxOpenConns(1)
		return
	}
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = DefaultMaxOpenConns
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// Postgres reports whether the database is PostgreSQL (else SQLite).
func (db *DB) Postgres() bool { return db.postgres }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// SQL returns the underlying connection pool, for job queues and tools that
// speak database/sql.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the connection pool.
func (db *DB) Close() error {
	if db.readers != nil {
		_ = db.readers.Close()
	}
	return db.sql.Close()
}

// transaction runs fn in a transaction: a pipeTx on PostgreSQL.
func (db *DB) transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	g := db.gorm.WithContext(ctx)
	if !db.postgres {
		return g.Transaction(fn)
	}
	g.Statement.ConnPool = pipelined{db.sql}
	return g.Transaction(func(tx *gorm.DB) error {
		err := fn(tx)
		// A statement that cannot return a held write's failure (a
		// QueryRowContext's) fails with "transaction aborted": the
		// error names the cause too.
		if p, ok := tx.Statement.ConnPool.(*pipeTx); ok && err != nil && p.err != nil && !errors.Is(err, p.err) {
			err = errors.Join(p.err, err)
		}
		return err
	})
}

// notFound turns gorm's not-found into err, leaving other errors as they are.
func notFound(err error, nf error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nf
	}
	return err
}

// pgxReads is the reader of the pool on PostgreSQL: it runs the read on the
// pgx connection under one of the pool's connections, so that its rows are
// scanned by pgx itself, without database/sql's conversion of each value
// through driver.Value.
func (db *DB) pgxReads(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, err := pgxOf(dc)
		if err != nil {
			return err
		}
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		return scanRows(rows, scan)
	})
}

// pgxOf returns the pgx connection under a database/sql one's driver
// connection (sql.Conn.Raw's).
func pgxOf(dc any) (*pgx.Conn, error) {
	c, ok := dc.(*stdlib.Conn)
	if !ok {
		return nil, fmt.Errorf("storage: the PostgreSQL driver's connection is a %T, not pgx's", dc)
	}
	return c.Conn(), nil
}

// scanRows hands rows to scan (see rawRows), then closes them and returns
// their error.
func scanRows(rows pgx.Rows, scan func(rowScanner) error) error {
	defer rows.Close()
	if err := scan(rawRows{rows}); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}
