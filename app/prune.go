package app

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// pruneEventsEvery is how often the event log is pruned (and at start).
const pruneEventsEvery = time.Hour

// clockMargin is added to OrderUpdateReplayWindow before an update is
// pruned, so that a replica whose clock runs behind the pruning one's
// never accepts a cursor whose updates are gone.
const clockMargin = time.Hour

// pruneEventsArgs asks for the events no reader can need any more to be
// deleted from the event log.
type pruneEventsArgs struct{}

func (pruneEventsArgs) Kind() string { return "prune_events" }

type pruneEventsWorker struct {
	river.WorkerDefaults[pruneEventsArgs]
	app *App
}

// Work deletes what storage.DB.PruneEvents names for a cutoff of the
// replay window (and the clock margin) ago: every update a resume would
// still accept, and its cursor, stays.
func (w *pruneEventsWorker) Work(ctx context.Context, _ *river.Job[pruneEventsArgs]) error {
	n, err := w.app.db.PruneEvents(ctx, w.app.now().Add(-OrderUpdateReplayWindow-clockMargin))
	if err != nil {
		return fmt.Errorf("prune events: %w", err)
	}
	if n > 0 {
		w.app.log.InfoContext(ctx, "old events pruned", "count", n)
	}
	return nil
}

// PeriodicJobs are the App's own periodic jobs, for the queue's config:
// pruning the event log every hour and sweeping the notifications no
// process attempted every sweepNotificationsEvery, both at start too.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(pruneEventsEvery),
			func() (river.JobArgs, *river.InsertOpts) { return pruneEventsArgs{}, nil },
			&river.PeriodicJobOpts{ID: "prune_events", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(sweepNotificationsEvery),
			func() (river.JobArgs, *river.InsertOpts) { return sweepNotificationsArgs{}, nil },
			&river.PeriodicJobOpts{ID: "sweep_notifications", RunOnStart: true}),
	}
}
