package pos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// fanOutArgs is a periodic job that asks for one job per store.
type fanOutArgs interface {
	river.JobArgs
	// stores lists the stores that get a job.
	stores(ctx context.Context, p *Pipeline) ([]string, error)
	// perStore is the job a store gets and what it is called in errors.
	perStore(storeID string) (job river.JobArgs, what string)
}

// fanOutWorker runs a fanOutArgs job: it enqueues each store's job.
type fanOutWorker[T fanOutArgs] struct {
	river.WorkerDefaults[T]
	p *Pipeline
}

func (w *fanOutWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	ids, err := job.Args.stores(ctx, w.p)
	if err != nil {
		return err
	}
	for _, id := range ids {
		args, what := job.Args.perStore(id)
		if _, err := w.p.queue.Insert(ctx, args, nil); err != nil {
			return fmt.Errorf("enqueue %s of store %s: %w", what, id, err)
		}
	}
	return nil
}

// addWorkers adds the pipeline's job workers, one per job kind, to w. River
// looks a job's worker up in w when the job is inserted or worked, so
// workers added before the queue starts are as good as those it was built
// with.
func (p *Pipeline) addWorkers(w *river.Workers) error {
	return errors.Join(
		river.AddWorkerSafely(w, &menuSyncWorker{p: p}),
		river.AddWorkerSafely(w, &fanOutWorker[menuSyncAllArgs]{p: p}),
		river.AddWorkerSafely(w, &sendOrderWorker{p: p}),
		river.AddWorkerSafely(w, &voidSaleWorker{p: p}),
		river.AddWorkerSafely(w, &applySaleWorker{p: p}),
		river.AddWorkerSafely(w, &reconcileWorker{p: p}),
		river.AddWorkerSafely(w, &fanOutWorker[reconcileAllArgs]{p: p}),
		river.AddWorkerSafely(w, &sweepWorker{p: p}),
		river.AddWorkerSafely(w, &probeWorker{p: p}),
		river.AddWorkerSafely(w, &pruneWebhooksWorker{p: p}),
	)
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
