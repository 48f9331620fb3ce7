package app

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// pruneWebhooksArgs asks for the webhook bodies older than Retention to be
// deleted.
type pruneWebhooksArgs struct {
	Retention time.Duration `json:"retention"`
}

func (pruneWebhooksArgs) Kind() string { return "prune_webhooks" }

type pruneWebhooksWorker struct {
	river.WorkerDefaults[pruneWebhooksArgs]
	app *App
}

func (w *pruneWebhooksWorker) Work(ctx context.Context, job *river.Job[pruneWebhooksArgs]) error {
	n, err := w.app.db.PruneWebhooks(ctx, w.app.now().Add(-job.Args.Retention))
	if err != nil {
		return fmt.Errorf("prune webhooks: %w", err)
	}
	if n > 0 {
		w.app.log.InfoContext(ctx, "old lightspeed webhooks pruned", "count", n, "retention", job.Args.Retention.String())
	}
	return nil
}

// pruneWebhooksJob deletes webhook bodies older than retention every hour,
// or every retention when that is shorter, and at start (replicas that
// restart more often than hourly still prune).
func pruneWebhooksJob(retention time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(min(retention, time.Hour)),
		func() (river.JobArgs, *river.InsertOpts) { return pruneWebhooksArgs{Retention: retention}, nil },
		&river.PeriodicJobOpts{ID: "prune_webhooks", RunOnStart: true})
}
