package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
)

type pingArgs struct{ N int }

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	got chan int
}

func (w *pingWorker) Work(_ context.Context, job *river.Job[pingArgs]) error {
	w.got <- job.Args.N
	return nil
}

// TestTransactionalEnqueue enqueues inside a transaction: a rolled-back job
// never runs, a committed one does.
func TestTransactionalEnqueue(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		w := &pingWorker{got: make(chan int, 2)}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		q, err := jobs.New(jobs.Config{DB: db.SQL(), Postgres: db.Postgres(), Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(ctx)
		for n, commit := range []bool{false, true} {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := q.InsertTx(ctx, tx, pingArgs{N: n}, nil); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		select {
		case n := <-w.got:
			if n != 1 {
				t.Fatalf("ran job %d, want only the committed job 1", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the committed job did not run within 10s")
		}
	})
}

// TestInsertWakesWorkers: on PostgreSQL a job another process enqueues in
// a transaction runs as soon as that transaction commits: the workers
// listen for River's notice instead of waiting for their poll (an hour
// here). SQLite has no listener and polls (TestTransactionalEnqueue).
func TestInsertWakesWorkers(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	db := mustOpen(t, url)
	if err := jobs.Migrate(ctx, db.SQL(), true); err != nil {
		t.Fatal(err)
	}
	listener, err := jobs.NewListener(url)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	w := &pingWorker{got: make(chan int, 2)}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	q, err := jobs.New(jobs.Config{DB: db.SQL(), Postgres: true, Listener: listener, Workers: workers, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	other := mustOpen(t, url)
	// The workers' first fetch may run job 0; only a notice runs job 1.
	// Each is enqueued by a queue of its own: a queue sends at most one
	// notice every 10ms.
	for n := range 2 {
		ins, err := jobs.New(jobs.Config{DB: other.SQL(), Postgres: true})
		if err != nil {
			t.Fatal(err)
		}
		tx, err := other.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ins.InsertTx(ctx, tx, pingArgs{N: n}, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-w.got:
			if got != n {
				t.Fatalf("ran job %d, want %d", got, n)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("job %d did not run within 10s of its commit", n)
		}
	}
}

// mustOpen opens the PostgreSQL database url names until the test ends.
func mustOpen(t *testing.T, url string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), storage.Config{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConcurrentMigrate: replicas started together on a new PostgreSQL
// database all migrate River's tables at once; each start succeeds and
// the migrations are applied once.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	const replicas = 4
	errs := make(chan error, replicas)
	for range replicas {
		go func() {
			db, err := storage.Open(ctx, storage.Config{DatabaseURL: url, MaxOpenConns: 1})
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- jobs.Migrate(ctx, db.SQL(), true)
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("a replica's migration failed: %v", err)
		}
	}
	db, err := storage.Open(ctx, storage.Config{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := jobs.Migrations(ctx, db.SQL(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if !m.Applied {
			t.Errorf("River migration %d %s not applied", m.Version, m.Name)
		}
	}
}
