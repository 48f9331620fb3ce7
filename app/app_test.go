package app_test

import (
	"testing"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/app"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/sandbox"
	"github.com/leafly/lightspeed-orders/storage"
)

// TestNewRefusesHalfBuilt: an App cannot exist without its queue, and two
// Apps cannot share one bundle of workers (a job kind has one worker).
func TestNewRefusesHalfBuilt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storage.Config{DataDir: t.TempDir()}, sandbox.Options{}, nil)
	if _, err := app.New(app.Deps{DB: e.db, Broker: e.deps.Broker, Log: e.deps.Log, POS: e.deps.POS}); err == nil {
		t.Error("New without a queue succeeded, want an error")
	}
	deps := e.deps
	deps.Workers = river.NewWorkers()
	q, err := jobs.New(jobs.Config{DB: e.db.SQL(), Workers: deps.Workers})
	if err != nil {
		t.Fatal(err)
	}
	deps.Queue = q
	if _, err := app.New(deps); err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := app.New(deps); err == nil {
		t.Error("a second App over the same workers bundle was built, want an error")
	}
}
