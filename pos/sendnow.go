package pos

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/wait"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// Sending a new order right after its commit. The process that stores an
// order queued for the POS names itself the order's sender (TakeSend, in
// the order's own row) and attempts the send as soon as the order commits
// (SendNow), with no job in the queue: a job's insert, fetch and
// completion were a quarter of the execution time of an order's statements
// that do not wait for a lock (BENCHMARKS.md). Only a send
// that did not succeed at once goes to the job queue, which retries it on
// the service's back-off (handOver). A send whose process stopped before
// it finished is handed to the queue by any live process once the sender
// has missed its beats for jobs.ClientTTL (ReclaimSends, run by
// jobs.Liveness), and one a live process dropped once the order is
// orphanedAfter unchanged. Two attempts at one order are harmless (see
// SendOrder), so a send handed over while its first attempt still runs
// makes no second sale.

const (
	// sendNowTimeout bounds the attempt right after commit, its wait for a
	// turn included, as the job queue bounds a job's run.
	sendNowTimeout = time.Minute
	// orphanedAfter is how long a queued order with a live sender may stay
	// unchanged before the queue takes its send: well past sendNowTimeout,
	// so that no attempt is still under way.
	orphanedAfter = 2 * sendNowTimeout
	// sendNowTurns bounds the attempts after commit under way at once, as
	// the queue's workers bound the jobs of jobs.QueueLightspeed.
	sendNowTurns = 64
	// handOverTimeout bounds the write that hands a send to the queue.
	handOverTimeout = 10 * time.Second
	// reclaimBatch bounds the orders one transaction of ReclaimSends
	// hands over.
	reclaimBatch = 500
)

// TakeSend makes this process the sender of o, a new order queued for the
// POS: call it before the order is stored, and SendNow once it commits.
func (p *Pipeline) TakeSend(o *domain.Order) {
	if o.PosSync.State == domain.PosQueued {
		o.PosSync.Sender = p.queue.ID()
	}
}

// SendNow attempts, in the background, the send of a committed order
// whose sender TakeSend made this process. An attempt that fails, or does
// not get a turn within sendNowTimeout, hands the send to the job queue.
func (p *Pipeline) SendNow(orderID string) {
	p.sending.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), sendNowTimeout)
		defer cancel()
		var err error
		select {
		case p.sendTurns <- struct{}{}:
			err = p.SendOrder(ctx, orderID)
			<-p.sendTurns
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			p.handOver(orderID, err)
		}
	})
}

// Drain waits for the attempts SendNow started, until ctx ends: call it
// once nothing submits orders any more. A send not finished by then is
// handed to the queue by a live process (ReclaimSends).
func (p *Pipeline) Drain(ctx context.Context) error { return wait.Group(ctx, &p.sending) }

// handOver gives the job queue the send of an order whose attempt right
// after commit failed: its job runs when failure says to try again, and
// the order no longer names a sender. An order sent, taken off the POS
// path or handed over meanwhile is left as it is.
func (p *Pipeline) handOver(orderID string, failure error) {
	at := p.now().Add(jobs.RetryDelay(1))
	if d, ok := retryAfter(failure, p.now()); ok {
		at = p.now().Add(d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), handOverTimeout)
	defer cancel()
	me := p.queue.ID()
	var handed bool
	_, err := p.w.UpdateOrder(ctx, orderID, func(o *domain.Order) ([]river.JobArgs, error) {
		if o.PosSync.State != domain.PosQueued || o.PosSync.Sender != me {
			return nil, nil
		}
		o.PosSync.Sender, handed = "", true
		return []river.JobArgs{SendOrderArgs{OrderID: o.ID, at: at}}, nil
	})
	if err != nil {
		p.log.ErrorContext(ctx, "hand an order's send to the job queue; it is handed over once unchanged for long", "order", orderID, "after", orphanedAfter, "send_err", failure, "err", err)
		return
	}
	if handed {
		p.log.InfoContext(ctx, "order's send handed to the job queue", "order", orderID, "at", at, "reason", failure)
	}
}

// retryAfter says how long after now the send of an order that failed
// with err should be tried again, when err says: a job snoozed (the turn
// under the rate limit is further off, or the store is in an outage), or
// Lightspeed's rate limit told when.
func retryAfter(err error, now time.Time) (time.Duration, bool) {
	var snooze *rivertype.JobSnoozeError
	if errors.As(err, &snooze) {
		return snooze.Duration, true
	}
	var e *lssync.Error
	if errors.As(err, &e) && e.Kind == lssync.KindRateLimited && !e.RetryAfter.IsZero() {
		return max(e.RetryAfter.Sub(now), 0) + 50*time.Millisecond, true
	}
	return 0, false
}

// ReclaimSends hands to the job queue the sends of queued orders whose
// sender stopped beating for ttl or dropped them (the order unchanged for
// orphanedAfter), a batch per transaction. jobs.Liveness runs it.
func (p *Pipeline) ReclaimSends(ctx context.Context, ttl time.Duration) error {
	for {
		ids, err := p.db.OrphanedSends(ctx, ttl, p.now().Add(-orphanedAfter), reclaimBatch, func(tx storage.Tx, ids []string) error {
			sqlTx, err := tx.SQL()
			if err != nil {
				return err
			}
			params := make([]river.InsertManyParams, len(ids))
			for i, id := range ids {
				params[i] = river.InsertManyParams{Args: SendOrderArgs{OrderID: id}}
			}
			_, err = p.queue.InsertManyTx(ctx, sqlTx, params)
			return err
		})
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			p.log.WarnContext(ctx, "sends of orders whose process stopped handed to the job queue", "orders", len(ids), "first", ids[0])
		}
		if len(ids) < reclaimBatch {
			return nil
		}
	}
}
