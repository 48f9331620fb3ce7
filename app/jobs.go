package app

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// pendingStates are the job states in which a unique job counts as already
// asked for (River requires running among them).
var pendingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// backoffDefaults is river.WorkerDefaults with the service's retry policy
// for work that calls out: from a second, doubling, to a minute.
type backoffDefaults[T river.JobArgs] struct {
	river.WorkerDefaults[T]
}

// NextRetry backs off from a second to a minute.
func (backoffDefaults[T]) NextRetry(job *river.Job[T]) time.Time {
	return time.Now().Add(backoff(job.Attempt))
}

func backoff(attempt int) time.Duration {
	d := time.Second << min(max(attempt-1, 0), 6)
	return min(d, time.Minute)
}

// fanOutArgs is a periodic job that asks for one job per store.
type fanOutArgs interface {
	river.JobArgs
	// stores lists the stores that get a job.
	stores(ctx context.Context, a *App) ([]string, error)
	// perStore is the job a store gets and what it is called in errors.
	perStore(storeID string) (job river.JobArgs, what string)
}

// fanOutWorker runs a fanOutArgs job: it enqueues each store's job.
type fanOutWorker[T fanOutArgs] struct {
	river.WorkerDefaults[T]
	app *App
}

func (w *fanOutWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	ids, err := job.Args.stores(ctx, w.app)
	if err != nil {
		return err
	}
	for _, id := range ids {
		args, what := job.Args.perStore(id)
		if _, err := w.app.queue.Insert(ctx, args, nil); err != nil {
			return fmt.Errorf("enqueue %s of store %s: %w", what, id, err)
		}
	}
	return nil
}

// Workers returns the app's job workers, one per job kind.
func (a *App) Workers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &menuSyncWorker{app: a})
	river.AddWorker(w, &fanOutWorker[menuSyncAllArgs]{app: a})
	river.AddWorker(w, &sendOrderWorker{app: a})
	river.AddWorker(w, &voidSaleWorker{app: a})
	river.AddWorker(w, &applySaleWorker{app: a})
	river.AddWorker(w, &reconcileWorker{app: a})
	river.AddWorker(w, &fanOutWorker[reconcileAllArgs]{app: a})
	river.AddWorker(w, &sendNotificationWorker{app: a})
	river.AddWorker(w, &sweepWorker{app: a})
	river.AddWorker(w, &probeWorker{app: a})
	river.AddWorker(w, &pruneWebhooksWorker{app: a})
	return w
}

// PeriodicJobs returns the jobs River's leader enqueues on a schedule.
// Received webhook bodies are kept for webhookRetention.
// The probe runs every probeInterval, the deadline sweep as sweepInterval
// says for orderPosDeadline.
func PeriodicJobs(menuSyncInterval, reconcileInterval, webhookRetention, probeInterval, orderPosDeadline time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(menuSyncInterval),
			func() (river.JobArgs, *river.InsertOpts) { return menuSyncAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: "menu_sync_all", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(reconcileInterval),
			func() (river.JobArgs, *river.InsertOpts) { return reconcileAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: "reconcile_all", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(sweepInterval(orderPosDeadline)),
			func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil }, &river.PeriodicJobOpts{ID: "sweep_unsent_orders"}),
		river.NewPeriodicJob(river.PeriodicInterval(probeInterval),
			func() (river.JobArgs, *river.InsertOpts) { return probeArgs{}, nil }, &river.PeriodicJobOpts{ID: "probe_lightspeed"}),
		pruneWebhooksJob(webhookRetention),
	}
}
