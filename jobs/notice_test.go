package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
)

// TestEnqueueNotice: on PostgreSQL a transaction that enqueues a job sends
// River's notice of it, which wakes the replicas' workers; on SQLite it
// sends none (no river_notification row): the one process polls, so a
// notice would be a statement for nobody.
func TestEnqueueNotice(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		q, err := jobs.New(jobs.Config{DB: db.SQL(), Postgres: db.Postgres()})
		if err != nil {
			t.Fatal(err)
		}
		var listener *pgx.Conn
		if db.Postgres() {
			conn, err := db.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := conn.Raw(func(dc any) error { listener = dc.(*stdlib.Conn).Conn(); return nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := listener.Exec(ctx, `LISTEN "public.river_insert"`); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.InsertTx(ctx, tx, pingArgs{N: 1}, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if !db.Postgres() {
			var n int
			if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM river_notification").Scan(&n); err != nil || n != 0 {
				t.Errorf("%d notices, %v; want none", n, err)
			}
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if n, err := listener.WaitForNotification(wctx); err != nil || n.Payload != `{"queue": "default"}` {
			t.Errorf("first notice heard: %+v, %v; want the default queue's", n, err)
		}
	})
}
