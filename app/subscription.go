package app

import (
	"context"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// OrderUpdateReplayWindow is how long an order update stays replayable: an
// orderUpdated cursor for an older update is refused, so that a resuming
// client reloads its list rather than replaying a day of changes.
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

// SubscribeOrderUpdates streams the updates of the store's orders. With
// after (a cursor of an earlier update) it first replays the updates logged
// since, then goes on with live ones, each update once.
func (a *App) SubscribeOrderUpdates(ctx context.Context, storeID string, after *string) (<-chan *domain.OrderUpdate, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	if after == nil {
		return a.broker.SubscribeOrderUpdates(ctx, storeID), nil
	}
	from, err := a.replayFrom(ctx, storeID, *after)
	if err != nil {
		return nil, err
	}
	// Subscribed before the log is read: an update committing meanwhile
	// comes both ways, and resume drops the second copy.
	live := a.broker.SubscribeOrderUpdates(ctx, storeID)
	out := make(chan *domain.OrderUpdate)
	go a.resume(ctx, storeID, from, live, out)
	return out, nil
}

// replayFrom returns the log position after names, refusing a cursor that
// is malformed, of another store, or older than OrderUpdateReplayWindow.
func (a *App) replayFrom(ctx context.Context, storeID, after string) (int64, error) {
	seq, err := domain.ParseOrderUpdateCursor(after)
	if err != nil {
		return 0, err
	}
	at, ok, err := a.db.OrderUpdateTime(ctx, storeID, seq)
	if err != nil {
		return 0, err
	}
	if !ok || at.Before(a.now().Add(-OrderUpdateReplayWindow)) {
		return 0, domain.ErrCursorUnusable()
	}
	return seq, nil
}

// resume sends out the updates logged after from, then the live ones that
// were neither replayed nor at or before from (the client had those; a
// replica's listener may bring them late). A store's updates commit in seq
// order, so nothing committed after the replay read lies at or below it.
func (a *App) resume(ctx context.Context, storeID string, from int64, live <-chan *domain.OrderUpdate, out chan<- *domain.OrderUpdate) {
	defer close(out)
	replayed, ok := a.replay(ctx, storeID, from, out)
	if !ok {
		return
	}
	for u := range live {
		if _, dup := replayed[u.Seq]; dup || u.Seq <= from {
			delete(replayed, u.Seq)
			continue
		}
		if !deliver(ctx, out, u) {
			return
		}
	}
}

// replay sends out the store's logged updates after seq, page by page, and
// returns the seqs it sent; false when the subscription ended or the log
// could not be read (logged: the client resumes from its last cursor).
func (a *App) replay(ctx context.Context, storeID string, seq int64, out chan<- *domain.OrderUpdate) (map[int64]struct{}, bool) {
	sent := make(map[int64]struct{})
	for {
		evs, err := a.db.OrderUpdatesAfter(ctx, storeID, seq, replayPage)
		if err != nil {
			a.log.ErrorContext(ctx, "replay order updates", "store", storeID, "after", seq, "err", err)
			return nil, false
		}
		for _, ev := range evs {
			if !deliver(ctx, out, ev.Update) {
				return nil, false
			}
			sent[ev.Seq], seq = struct{}{}, ev.Seq
		}
		if len(evs) < replayPage {
			return sent, true
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
