package jobs_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
)

// TestReclaim hands back the running jobs of a client unseen for longer
// than ClientTTL, and only those: a live client's job and this process's
// own keep running, and a job with no attempt left is discarded.
func TestReclaim(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]func(t *testing.T) storage.Config{
		"sqlite":   func(t *testing.T) storage.Config { return storage.Config{DataDir: t.TempDir()} },
		"postgres": func(t *testing.T) storage.Config { return storage.Config{DatabaseURL: pgtest.NewDatabase(t)} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := storage.Open(ctx, cfg(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := jobs.Migrate(ctx, db.SQL(), db.Postgres()); err != nil {
				t.Fatal(err)
			}
			q, err := jobs.New(jobs.Config{DB: db.SQL(), Postgres: db.Postgres()})
			if err != nil {
				t.Fatal(err)
			}
			d := dialect{db.SQL(), db.Postgres()}
			stale := 2 * jobs.ClientTTL.Seconds()
			d.client(t, "dead", stale)
			d.client(t, "alive", 0)
			d.client(t, "self", stale)
			cases := []struct {
				client      string
				maxAttempts int
				want        string
			}{
				{"dead", 5, "available"},
				{"dead", 1, "discarded"},
				{"alive", 5, "running"},
				{"self", 5, "running"},
			}
			ids := make([]int64, len(cases))
			for i, c := range cases {
				res, err := q.Insert(ctx, pingArgs{N: i}, &river.InsertOpts{MaxAttempts: c.maxAttempts})
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = res.Job.ID
				d.running(t, ids[i], c.client)
			}
			if err := jobs.NewLiveness(db.SQL(), db.Postgres(), "self", nil).Reclaim(ctx); err != nil {
				t.Fatal(err)
			}
			for i, c := range cases {
				var state string
				if err := db.SQL().QueryRow(`SELECT state FROM river_job WHERE id = $1`, ids[i]).Scan(&state); err != nil {
					t.Fatal(err)
				}
				if state != c.want {
					t.Errorf("job of %s with %d attempts allowed: state %s, want %s", c.client, c.maxAttempts, state, c.want)
				}
			}
		})
	}
}

// dialect writes the rows a crash leaves behind, in the database's SQL.
type dialect struct {
	db       *sql.DB
	postgres bool
}

// client records a queue client last seen ago seconds before now.
func (d dialect) client(t *testing.T, id string, ago float64) {
	t.Helper()
	q := `INSERT INTO job_clients (id, seen_at) VALUES ($1, now() - make_interval(secs => $2))`
	if !d.postgres {
		q = `INSERT INTO job_clients (id, seen_at) VALUES ($1, unixepoch('subsec') - $2)`
	}
	if _, err := d.db.Exec(q, id, ago); err != nil {
		t.Fatal(err)
	}
}

// running marks a job as being run by client, as River's fetch does.
func (d dialect) running(t *testing.T, id int64, client string) {
	t.Helper()
	q := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(), attempted_by = ARRAY[$1] WHERE id = $2`
	if !d.postgres {
		q = `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec'), attempted_by = jsonb(json_array($1)) WHERE id = $2`
	}
	if _, err := d.db.Exec(q, client, id); err != nil {
		t.Fatal(err)
	}
}
