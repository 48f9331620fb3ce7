package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/internal/wait"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/notify"
	"github.com/leafly/lightspeed-orders/storage"
)

// The outbox's delivery. A change writes its notifications in its own
// transaction; right after it commits, the process that made it sends them
// (sender). Only a notification whose first attempt failed goes to the job
// queue, which retries it on the service's back-off; one that was
// rejected is not retried. A notification no process attempted (its
// process stopped between the commit and the send) is handed to the queue
// by a periodic sweep once it is orphanedAfter old. So each notification
// is sent at least once, and once in all but a crash between a send and
// its record.

const (
	// sendNowTimeout bounds the attempt right after commit, its wait for a
	// turn included; an attempt cut short counts as failed and is retried
	// by the queue.
	sendNowTimeout = 10 * time.Second
	// orphanedAfter is how old a notification never attempted must be for
	// the sweep to hand it to the queue: well past sendNowTimeout, so that
	// the sweep does not race an attempt still under way.
	orphanedAfter = 30 * time.Second
	// sweepNotificationsEvery is how often the sweep runs (and at start).
	sweepNotificationsEvery = 10 * time.Second
	// sweepBatch bounds the notifications one sweep hands over.
	sweepBatch = 500
	// sendTurns bounds the attempts after commit under way at once, so
	// that a burst of changes does not take the whole database pool.
	sendTurns = 8
)

// sender makes the attempts after commit, each in a goroutine of its own,
// at most sendTurns at a time.
type sender struct {
	send    func(ctx context.Context, id string)
	turns   chan struct{}
	running sync.WaitGroup
}

func newSender(send func(ctx context.Context, id string)) *sender {
	return &sender{send: send, turns: make(chan struct{}, sendTurns)}
}

// start attempts the notifications ids, committed, in the background.
func (s *sender) start(ids []string) {
	for _, id := range ids {
		s.running.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), sendNowTimeout)
			defer cancel()
			select {
			case s.turns <- struct{}{}:
			case <-ctx.Done():
				return // never attempted: the sweep hands it to the queue
			}
			defer func() { <-s.turns }()
			s.send(ctx, id)
		})
	}
}

// wait returns once the attempts under way are done, or ctx ends.
func (s *sender) wait(ctx context.Context) error { return wait.Group(ctx, &s.running) }

// sendNow is the attempt right after commit at the notification id. It
// leaves alone a notification already sent, attempted or queued, and one
// it could not read (the sweep hands that one over). A failure is recorded
// with the queue's job for the retry, in one transaction.
func (a *App) sendNow(ctx context.Context, id string) {
	n, msg, to, err := a.message(ctx, id)
	if err != nil {
		a.log.WarnContext(ctx, "read notification to send; the sweep hands it to the job queue", "id", id, "err", err)
		return
	}
	if n.SentAt != nil || n.Attempts > 0 || n.QueuedAt != nil {
		return
	}
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendNowTimeout)
	defer cancel()
	sendErr := to.Notify(ctx, msg)
	if sendErr == nil {
		if err := a.db.NotificationSent(record, id); err != nil {
			a.log.ErrorContext(ctx, "record notification sent", "id", id, "err", err)
		}
		return
	}
	var retry func(storage.Tx) error
	if !errors.Is(sendErr, notify.ErrRejected) {
		retry = func(tx storage.Tx) error {
			if err := tx.QueueNotifications([]string{id}, a.now()); err != nil {
				return err
			}
			return a.w.insertParams(record, tx, []river.InsertManyParams{{Args: sendNotificationArgs{ID: id},
				InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(jobs.RetryDelay(1))}}})
		}
	}
	if err := a.db.NotificationFailed(record, id, sendErr.Error(), retry); err != nil {
		a.log.ErrorContext(ctx, "record notification failure", "id", id, "send_err", sendErr, "err", err)
		return
	}
	a.log.WarnContext(ctx, "send notification", "id", id, "err", sendErr, "retried", retry != nil)
}

// sweepNotificationsArgs asks for the notifications no process attempted
// to be handed to the queue.
type sweepNotificationsArgs struct{}

func (sweepNotificationsArgs) Kind() string { return "sweep_notifications" }

type sweepNotificationsWorker struct {
	river.WorkerDefaults[sweepNotificationsArgs]
	app *App
}

// Work hands over, a batch at a time, every notification orphanedAfter
// old that no process attempted.
func (w *sweepNotificationsWorker) Work(ctx context.Context, _ *river.Job[sweepNotificationsArgs]) error {
	cutoff := w.app.now().Add(-orphanedAfter)
	for {
		n, err := w.app.db.SweepNotifications(ctx, cutoff, sweepBatch, func(tx storage.Tx, ids []string) error {
			params := make([]river.InsertManyParams, len(ids))
			for i, id := range ids {
				params[i] = river.InsertManyParams{Args: sendNotificationArgs{ID: id}}
			}
			return w.app.w.insertParams(ctx, tx, params)
		})
		if err != nil {
			return err
		}
		if n > 0 {
			w.app.log.WarnContext(ctx, "notifications never attempted handed to the job queue", "count", n)
		}
		if n < sweepBatch {
			return nil
		}
	}
}
