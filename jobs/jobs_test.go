package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

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
