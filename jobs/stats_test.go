package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
)

// TestReadStats counts jobs by kind and state and measures how long the
// oldest due one has waited, on both databases. Jobs inserted with a time
// are scheduled (past or not) until River's leader makes them available:
// none runs here.
func TestReadStats(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		s, err := jobs.ReadStats(ctx, db.SQL(), db.Postgres())
		if err != nil || len(s.Counts) != 0 || s.OldestAvailableSeconds != 0 {
			t.Fatalf("empty queue: %+v, %v; want no counts and no wait", s, err)
		}
		q, err := jobs.New(jobs.Config{DB: db.SQL(), Postgres: db.Postgres()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.Insert(ctx, pingArgs{}, nil); err != nil {
			t.Fatal(err)
		}
		due := time.Now().Add(-90 * time.Second)
		for _, at := range []time.Time{due, due.Add(30 * time.Second), time.Now().Add(time.Hour)} {
			if _, err := q.Insert(ctx, pingArgs{}, &river.InsertOpts{ScheduledAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		s, err = jobs.ReadStats(ctx, db.SQL(), db.Postgres())
		if err != nil {
			t.Fatal(err)
		}
		want := []jobs.Count{{Kind: "test_ping", State: "available", Jobs: 1}, {Kind: "test_ping", State: "scheduled", Jobs: 3}}
		if len(s.Counts) != len(want) || s.Counts[0] != want[0] || s.Counts[1] != want[1] {
			t.Errorf("counts %+v, want %+v", s.Counts, want)
		}
		if s.OldestAvailableSeconds < 89 || s.OldestAvailableSeconds > 150 {
			t.Errorf("oldest available job waited %.1fs, want about 90s", s.OldestAvailableSeconds)
		}
	})
}
