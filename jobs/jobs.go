// Package jobs runs the service's durable background work on River: the
// queue lives in the service's own database (PostgreSQL, or the embedded
// SQLite file), so a job enqueued inside a transaction exists exactly when
// that transaction commits, and survives crashes and restarts.
//
// Nouns: a job kind is one args type and one worker (they live with the use
// cases they run, in packages app and pos; Backoff and PendingStates are
// their shared retry and uniqueness settings); the Queue is the River client that
// stores, schedules, retries and runs them; periodic jobs are enqueued on a
// schedule by whichever replica is River's leader; Liveness runs again, within
// seconds, the jobs a crashed process was running, and hands back through
// its Reclaimers the work it kept outside the queue.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// PendingStates are the job states in which a unique job counts as already
// asked for (River requires running among them).
var PendingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// Backoff is river.WorkerDefaults with the service's retry policy for work
// that calls out: from a second, doubling, to a minute.
type Backoff[T river.JobArgs] struct {
	river.WorkerDefaults[T]
}

// NextRetry backs off from a second to a minute.
func (Backoff[T]) NextRetry(job *river.Job[T]) time.Time {
	return time.Now().Add(RetryDelay(job.Attempt))
}

// RetryDelay is how long Backoff waits after the attempt-th failed attempt.
func RetryDelay(attempt int) time.Duration {
	d := time.Second << min(max(attempt-1, 0), 6)
	return min(d, time.Minute)
}

// QueueLightspeed holds the jobs that call Lightspeed for an order or a
// store. They may wait their turn under Lightspeed's rate limit, so they
// have workers of their own: a burst of orders waiting for its turn must
// not hold up the notifications, probes and sweeps of the default queue.
const QueueLightspeed = "lightspeed"

// lightspeedWorkers bounds the jobs of QueueLightspeed a replica runs at
// once. They mostly wait, on Lightspeed's answers and on the database pool,
// and none waits long for the rate limit (see pos's turnWait), so many run
// at once: with 20, a burst of orders queued in River while new
// submissions took the pool, and its p99 from submit to CONFIRMED was about
// twice that with 64 (BENCHMARKS.md, the eighteenth run).
const lightspeedWorkers = 64

// Queue is the service's River client over database/sql transactions.
type Queue = river.Client[*sql.Tx]

// Config says what the queue runs.
type Config struct {
	DB       *sql.DB
	Postgres bool
	Workers  *river.Workers
	Periodic []*river.PeriodicJob
	Logger   *slog.Logger
	// MaxWorkers bounds the jobs run at once by this replica on
	// river.QueueDefault (default 20); QueueLightspeed runs
	// lightspeedWorkers.
	MaxWorkers int
	// Listener, on PostgreSQL, is the pool River takes one connection
	// from, and keeps, to LISTEN for new jobs: idle workers then wake when
	// a transaction that enqueued a job commits, on any replica, and poll
	// only as the fallback: for a notice River skipped (it sends at most
	// one per queue every FetchCooldown) and for a retry or snooze due
	// within River's scheduler interval (5s), which gets none (a sale
	// still being recorded snoozes 1s). Nil polls.
	// SQLite always polls.
	Listener *pgxpool.Pool
	// PollInterval is how often idle workers look for new jobs (default
	// 1s with a Listener, 200ms without). With a Listener the poll is only
	// the fallback, and at 200ms it was half of an idle replica's CPU
	// (BENCHMARKS.md). Without one, a job its transaction enqueued waits
	// for the poll; on SQLite a poll at 50ms was half of the server's CPU
	// while it took ten webhooks a second, most of it SQLite compiling
	// River's statement at every poll.
	PollInterval time.Duration
	// JobTimeout bounds one run of a job (default 1m). A job still running
	// twice that long is rescued and run again by River: the fallback when
	// Liveness cannot tell its process died.
	JobTimeout time.Duration
}

func driver(db *sql.DB, postgres bool, listener *pgxpool.Pool) riverdriver.Driver[*sql.Tx] {
	if !postgres {
		return silent{riversqlite.New(db)}
	}
	if listener != nil {
		return riverdatabasesql.NewWithPgxListener(db, listener)
	}
	return riverdatabasesql.New(db)
}

// NewListener returns the pool for Config.Listener: at most one connection
// to the PostgreSQL databaseURL names, made when the queue starts (River
// keeps it, and closes it when the queue stops). Its application_name is
// ListenerApplicationName unless databaseURL sets one. Close the pool after
// stopping the queue.
func NewListener(databaseURL string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("job listener: parse database url: %w", err)
	}
	pc.MaxConns, pc.MinConns = 1, 0
	if pc.ConnConfig.RuntimeParams["application_name"] == "" {
		pc.ConnConfig.RuntimeParams["application_name"] = ListenerApplicationName
	}
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("job listener: %w", err)
	}
	return p, nil
}

// ListenerApplicationName names the connection of NewListener in
// pg_stat_activity.
const ListenerApplicationName = "jobs-listener"

// silent is a River driver whose transactions announce nothing. On SQLite
// the one process polls (PollOnly), so River's notice of each
// transaction's new jobs (a row of river_notification) would cost a
// statement for nobody. On PostgreSQL every transaction that enqueues an
// available job sends River's NOTIFY (at most one per queue every
// FetchCooldown per process), which wakes the listening replicas.
type silent struct {
	riverdriver.Driver[*sql.Tx]
}

// SupportsListenNotify is false: River then sends no notices.
func (silent) SupportsListenNotify() bool { return false }

// migrationLock is the PostgreSQL advisory lock key that serialises
// replicas migrating River's tables at the same start (River takes none).
const migrationLock = 7_461_002

// Migrate creates or upgrades River's tables. On PostgreSQL each migration
// runs in a transaction of its own holding migrationLock, so replicas
// started together on a new database take turns instead of failing on each
// other's tables (a migration may use what the one before it committed).
func Migrate(ctx context.Context, db *sql.DB, postgres bool) error {
	m, err := rivermigrate.New(driver(db, postgres, nil), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if !postgres {
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("river migrations: %w", err)
		}
		return nil
	}
	for _, v := range m.AllVersions() {
		if err := migrateTo(ctx, db, m, v.Version); err != nil {
			return fmt.Errorf("river migrations: %w", err)
		}
	}
	return nil
}

// migrateTo applies River's migrations up to version, if another replica
// has not, under migrationLock.
func migrateTo(ctx context.Context, db *sql.DB, m *rivermigrate.Migrator[*sql.Tx], version int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return err
	}
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{TargetVersion: version}); err != nil {
		return err
	}
	return tx.Commit()
}

// Migration is one of River's migrations and whether it is applied.
type Migration struct {
	Version int
	Name    string
	Applied bool
}

// Migrations lists River's migrations, applied or pending, in version
// order. It changes nothing.
func Migrations(ctx context.Context, db *sql.DB, postgres bool) ([]Migration, error) {
	m, err := rivermigrate.New(driver(db, postgres, nil), nil)
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	applied := map[int]bool{}
	for _, e := range existing {
		applied[e.Version] = true
	}
	var all []Migration
	for _, v := range m.AllVersions() {
		all = append(all, Migration{Version: v.Version, Name: v.Name, Applied: applied[v.Version]})
	}
	return all, nil
}

// New returns a queue ready to Start. Without workers it can only insert.
func New(cfg Config) (*Queue, error) {
	if cfg.Listener != nil && !cfg.Postgres {
		return nil, errors.New("river client: a listener needs PostgreSQL")
	}
	poll := 200 * time.Millisecond
	if cfg.Listener != nil {
		poll = time.Second
	}
	rc := &river.Config{
		ID:                newClientID(),
		Logger:            quiet(cfg.Logger),
		Workers:           cfg.Workers,
		PeriodicJobs:      cfg.Periodic,
		FetchPollInterval: orDefault(cfg.PollInterval, poll),
		FetchCooldown:     10 * time.Millisecond,
		PollOnly:          cfg.Listener == nil,
		JobTimeout:        orDefault(cfg.JobTimeout, time.Minute),
	}
	rc.RescueStuckJobsAfter = 2 * rc.JobTimeout
	if cfg.Workers != nil {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: orDefault(cfg.MaxWorkers, 20)},
			QueueLightspeed: {MaxWorkers: lightspeedWorkers}}
	}
	q, err := river.NewClient(driver(cfg.DB, cfg.Postgres, cfg.Listener), rc)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return q, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
