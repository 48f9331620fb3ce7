package jobs_test

import (
	"context"
	"testing"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
)

// eachDatabase runs test on a fresh embedded database and on a fresh
// PostgreSQL one (skipped without TEST_DATABASE_URL), each with River's
// tables.
func eachDatabase(t *testing.T, test func(t *testing.T, db *storage.DB)) {
	for name, cfg := range map[string]func(t *testing.T) storage.Config{
		"sqlite":   func(t *testing.T) storage.Config { return storage.Config{DataDir: t.TempDir()} },
		"postgres": func(t *testing.T) storage.Config { return storage.Config{DatabaseURL: pgtest.NewDatabase(t)} },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := storage.Open(ctx, cfg(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := jobs.Migrate(ctx, db.SQL(), db.Postgres()); err != nil {
				t.Fatal(err)
			}
			test(t, db)
		})
	}
}
