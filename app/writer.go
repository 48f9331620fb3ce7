package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
)

// writer makes every write of an order, a store or an alert, for the use
// cases and for the POS pipeline (it is pos.Writer): in the write's
// transaction it adds the notifications the change calls for (decided in
// notification.go) and the jobs the change asked for; after commit it
// publishes the change's events and starts sending its notifications
// (outbox.go).
type writer struct {
	db     *storage.DB
	queue  *jobs.Queue
	broker Broker
	log    *slog.Logger
	sender *sender
}

// CreateOrder stores a new order with the jobs it calls for; created is
// false when the order existed already (see storage's CreateOrder).
func (w *writer) CreateOrder(ctx context.Context, o *domain.Order, jobs []river.JobArgs) (*domain.Order, bool, error) {
	var sends []string
	stored, created, evs, err := w.db.CreateOrder(ctx, o, func(tx storage.Tx, evs []domain.Event) error {
		return w.writeOutbox(ctx, tx, notificationsFor(evs), jobs, &sends)
	})
	if err != nil {
		return nil, false, err
	}
	w.committed(ctx, evs, sends)
	return stored, created, nil
}

// UpdateOrder is storage's UpdateOrder: change may return jobs the change
// calls for, which are enqueued in its transaction.
func (w *writer) UpdateOrder(ctx context.Context, id string, change func(*domain.Order) ([]river.JobArgs, error)) (*domain.Order, error) {
	return w.UpdateOrderWith(ctx, id, nil, change)
}

// UpdateOrderWith is UpdateOrder that also runs with in its transaction,
// once the order is saved and before the outbox is written.
func (w *writer) UpdateOrderWith(ctx context.Context, id string, with func(storage.Tx) error,
	change func(*domain.Order) ([]river.JobArgs, error)) (*domain.Order, error) {
	var jobs []river.JobArgs
	var sends []string
	o, evs, err := w.db.UpdateOrder(ctx, id, func(o *domain.Order) (err error) {
		jobs, err = change(o)
		return err
	}, func(tx storage.Tx, evs []domain.Event) (err error) {
		if with != nil {
			if err := with(tx); err != nil {
				return err
			}
		}
		return w.writeOutbox(ctx, tx, notificationsFor(evs), jobs, &sends)
	})
	if err != nil {
		return nil, err
	}
	w.committed(ctx, evs, sends)
	return o, nil
}

// UpdateStore is storage's UpdateStore, publishing the store's change to
// storeUpdated subscribers after commit.
func (w *writer) UpdateStore(ctx context.Context, id string, change func(*domain.Store) error) (*domain.Store, error) {
	s, evs, err := w.db.UpdateStore(ctx, id, change)
	if err != nil {
		return nil, err
	}
	w.publish(ctx, evs)
	return s, nil
}

// RaiseAlert records an alert unless one is open for the incident, and
// tells subscribers.
func (w *writer) RaiseAlert(ctx context.Context, alert *domain.Alert, orderID *string) error {
	var sends []string
	evs, err := w.db.RaiseAlert(ctx, alert, orderID, func(tx storage.Tx, evs []domain.Event) error {
		return w.writeOutbox(ctx, tx, notificationsFor(evs), nil, &sends)
	})
	if err != nil {
		return err
	}
	w.committed(ctx, evs, sends)
	return nil
}

// ResolveAlerts resolves the store's open alerts of a kind.
func (w *writer) ResolveAlerts(ctx context.Context, storeID string, kind domain.AlertKind, at time.Time) error {
	var sends []string
	err := w.db.ResolveAlerts(ctx, storeID, kind, at, func(tx storage.Tx, alerts []*domain.Alert) error {
		return w.writeOutbox(ctx, tx, resolvedNotifications(alerts), nil, &sends)
	})
	if err != nil {
		return err
	}
	w.committed(ctx, nil, sends)
	return nil
}

// writeOutbox writes, in the transaction of a change, the notifications ns
// it calls for and the jobs the change asked for. It appends to sends the
// ids of the notifications it wrote, to send once the change commits: one
// already written is not written or sent again. (The outbox rows go with
// the transaction's next statement, see storage.Tx.AddNotification:
// sends is complete once it commits.)
func (w *writer) writeOutbox(ctx context.Context, tx storage.Tx, ns []domain.Notification, jobs []river.JobArgs, sends *[]string) error {
	for _, n := range ns {
		if err := tx.AddNotification(n, func() { *sends = append(*sends, n.ID) }); err != nil {
			return fmt.Errorf("write notification %s: %w", n.ID, err)
		}
	}
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		params[i] = river.InsertManyParams{Args: j}
	}
	return w.insertParams(ctx, tx, params)
}

// insertParams enqueues jobs in tx, in one statement: they exist exactly
// when it commits.
func (w *writer) insertParams(ctx context.Context, tx storage.Tx, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	sqlTx, err := tx.SQL()
	if err != nil {
		return err
	}
	if _, err := w.queue.InsertManyTx(ctx, sqlTx, params); err != nil {
		return fmt.Errorf("enqueue %s: %w", kinds(params), err)
	}
	return nil
}

// kinds lists the kinds of jobs, for errors.
func kinds(params []river.InsertManyParams) string {
	ks := make([]string, len(params))
	for i, p := range params {
		ks[i] = p.Args.Kind()
	}
	return strings.Join(ks, ", ")
}

// committed is what follows a change's commit: its events are published
// and its notifications sends started.
func (w *writer) committed(ctx context.Context, evs []domain.Event, sends []string) {
	w.publish(ctx, evs)
	w.sender.start(sends)
}

// publish hands a change's committed events to the broker, together. A
// failure to publish loses no data (the event log keeps them for replicas
// to catch up) and is logged.
func (w *writer) publish(ctx context.Context, evs []domain.Event) {
	if len(evs) == 0 {
		return
	}
	if err := w.broker.Publish(ctx, evs...); err != nil {
		w.log.ErrorContext(ctx, "publish events", "first", evs[0].Seq, "last", evs[len(evs)-1].Seq, "store", evs[0].StoreID, "err", err)
	}
}
