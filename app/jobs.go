package app

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// pendingStates are the job states in which a unique job counts as already
// asked for (River requires running among them).
var pendingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// Workers returns the app's job workers, one per job kind.
func (a *App) Workers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &menuSyncWorker{app: a})
	river.AddWorker(w, &menuSyncAllWorker{app: a})
	river.AddWorker(w, &sendOrderWorker{app: a})
	river.AddWorker(w, &voidSaleWorker{app: a})
	river.AddWorker(w, &applySaleWorker{app: a})
	river.AddWorker(w, &reconcileWorker{app: a})
	river.AddWorker(w, &reconcileAllWorker{app: a})
	river.AddWorker(w, &sendNotificationWorker{app: a})
	river.AddWorker(w, &sweepWorker{app: a})
	river.AddWorker(w, &probeWorker{app: a})
	river.AddWorker(w, &pruneWebhooksWorker{app: a})
	return w
}

// PeriodicJobs returns the jobs River's leader enqueues on a schedule.
// Received webhook bodies are kept for webhookRetention.
func PeriodicJobs(menuSyncInterval, reconcileInterval, webhookRetention time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(menuSyncInterval),
			func() (river.JobArgs, *river.InsertOpts) { return menuSyncAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: "menu_sync_all", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(reconcileInterval),
			func() (river.JobArgs, *river.InsertOpts) { return reconcileAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: "reconcile_all", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(sweepInterval),
			func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil }, &river.PeriodicJobOpts{ID: "sweep_unsent_orders"}),
		river.NewPeriodicJob(river.PeriodicInterval(probeInterval),
			func() (river.JobArgs, *river.InsertOpts) { return probeArgs{}, nil }, &river.PeriodicJobOpts{ID: "probe_lightspeed"}),
		pruneWebhooksJob(webhookRetention),
	}
}
