package app

import (
	"context"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/storage"
)

// OrderUpdateReplayWindow is how long an order update stays replayable: an
// orderUpdated cursor after which an older update lies is refused, so that
// a resuming client reloads its list rather than replaying a day of changes.
const OrderUpdateReplayWindow = 24 * time.Hour

// replayPage is how many logged updates a replay reads at a time.
const replayPage = 500

// SubscribeOrderStatus streams the status changes of the store's orders.
func (a *App) SubscribeOrderStatus(ctx context.Context, storeID string) (<-chan *domain.OrderStatusEvent, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	return a.broker.SubscribeOrderStatus(ctx, storeID), nil
}

// SubscribeAlerts streams the alerts raised for the store.
func (a *App) SubscribeAlerts(ctx context.Context, storeID string) (<-chan *domain.Alert, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	return a.broker.SubscribeAlerts(ctx, storeID), nil
}

// SubscribeStore streams the store after each change of its own.
func (a *App) SubscribeStore(ctx context.Context, storeID string) (<-chan *domain.Store, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	return a.broker.SubscribeStore(ctx, storeID), nil
}

// SubscribeOrderUpdates streams the updates of the store's orders, in the
// order they committed, each once: with after (a cursor of an earlier update
// or a list's updatesCursor) from there, replaying the updates logged since
// first, and without it from the store's latest update.
func (a *App) SubscribeOrderUpdates(ctx context.Context, storeID string, after *string) (<-chan *domain.OrderUpdate, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	var from storage.UpdatePosition
	if after != nil {
		var err error
		if from, err = a.replayFrom(ctx, storeID, *after); err != nil {
			return nil, err
		}
	}
	// Subscribed before the log is read: an update committing meanwhile
	// comes both ways, and resume drops the second copy.
	live := a.broker.SubscribeOrderUpdates(ctx, storeID)
	if after == nil {
		var err error
		if from, err = a.db.LatestOrderUpdate(ctx, storeID); err != nil {
			return nil, err
		}
	}
	out := make(chan *domain.OrderUpdate)
	go a.resume(ctx, storeID, from, live, out)
	return out, nil
}

// OrderUpdatesCursor returns the orderUpdated cursor of the store's latest
// committed update ("before every update" when it has none). Read before a
// list, it leaves no gap: every update the list may not show comes after it.
func (a *App) OrderUpdatesCursor(ctx context.Context, storeID string) (string, error) {
	at, err := a.db.LatestOrderUpdate(ctx, storeID)
	if err != nil {
		return "", err
	}
	return domain.OrderUpdateCursor(at.Seq), nil
}

// replayFrom returns the log position after names, refusing a cursor that
// is malformed or of another store, and one after which an update is no
// longer replayable (older than OrderUpdateReplayWindow): a cursor of a
// quiet store stays usable however old it is.
func (a *App) replayFrom(ctx context.Context, storeID, after string) (storage.UpdatePosition, error) {
	seq, err := domain.ParseOrderUpdateCursor(after)
	if err != nil {
		return storage.UpdatePosition{}, err
	}
	m, ok, err := a.db.OrderUpdateMark(ctx, storeID, seq)
	if err != nil {
		return storage.UpdatePosition{}, err
	}
	if !ok || !m.Next.IsZero() && m.Next.Before(a.now().Add(-OrderUpdateReplayWindow)) {
		return storage.UpdatePosition{}, domain.ErrCursorUnusable()
	}
	return m.At, nil
}

// resume sends out the updates logged after at, then the live ones in the
// store's order. A live update numbered right after the last one sent goes
// out as it is; one already sent (or before the start) is dropped; one that
// skips a number is read back from the log with those before it: a store's
// updates commit in number order (storage.LatestOrderUpdate), so the log
// holds them, while their publication may still be on its way (another
// goroutine, another replica).
func (a *App) resume(ctx context.Context, storeID string, at storage.UpdatePosition, live <-chan *domain.OrderUpdate, out chan<- *domain.OrderUpdate) {
	defer close(out)
	at, ok := a.replay(ctx, storeID, at, out)
	for ok {
		u, open := <-live
		switch {
		case !open:
			return
		case u.Seq <= at.Seq: // sent already
		case u.StoreSeq == at.StoreSeq+1:
			ok = deliver(ctx, out, u)
			at = storage.UpdatePosition{Seq: u.Seq, StoreSeq: u.StoreSeq}
		default:
			at, ok = a.replay(ctx, storeID, at, out)
		}
	}
}

// replay sends out the store's logged updates after at, page by page, and
// returns the position of the last one sent; false when the subscription
// ended or the log could not be read (logged: the client resumes from its
// last cursor).
func (a *App) replay(ctx context.Context, storeID string, at storage.UpdatePosition, out chan<- *domain.OrderUpdate) (storage.UpdatePosition, bool) {
	for {
		evs, err := a.db.OrderUpdatesAfter(ctx, storeID, at.Seq, replayPage)
		if err != nil {
			if ctx.Err() == nil { // not merely the subscription ending
				a.log.ErrorContext(ctx, "replay order updates", "store", storeID, "after", at.Seq, "err", err)
			}
			return at, false
		}
		for _, ev := range evs {
			if !deliver(ctx, out, ev.Update) {
				return at, false
			}
			at = storage.UpdatePosition{Seq: ev.Seq, StoreSeq: ev.Update.StoreSeq}
		}
		if len(evs) < replayPage {
			return at, true
		}
	}
}

// deliver hands v to out unless ctx ends first, and reports whether it did.
func deliver[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}
