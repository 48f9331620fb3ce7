package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/notify"
	"github.com/leafly/lightspeed-orders/storage"
)

// Notifications: each one is an outbox row written with the change it
// tells of, and sent by a job.

// Notifiers are where notifications go: Shopper for shoppers, Store for
// dispensary staff and managers.
type Notifiers struct {
	Shopper, Store notify.Notifier
}

// sendNotificationArgs asks for one outbox row to be sent.
type sendNotificationArgs struct {
	ID string `json:"id"`
}

func (sendNotificationArgs) Kind() string { return "send_notification" }

// InsertOpts retry for a day's worth of back-off.
func (sendNotificationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}

type sendNotificationWorker struct {
	backoffDefaults[sendNotificationArgs]
	app *App
}

func (w *sendNotificationWorker) Work(ctx context.Context, job *river.Job[sendNotificationArgs]) error {
	err := w.app.SendNotification(ctx, job.Args.ID)
	if errors.Is(err, notify.ErrRejected) {
		return river.JobCancel(err)
	}
	return err
}

// enqueueNotification is the outbox hook: it queues the sending of each
// notification in the transaction that writes it.
func (a *App) enqueueNotification(tx *sql.Tx, id string) error {
	_, err := a.queue.InsertTx(context.Background(), tx, sendNotificationArgs{ID: id}, nil)
	return err
}

// SendNotification builds the message of an outbox row from the order as
// it is now and sends it. A notification already sent is not sent again.
func (a *App) SendNotification(ctx context.Context, id string) error {
	n, err := a.db.Notification(ctx, id)
	if err != nil || n.SentAt != nil {
		return err
	}
	msg, to, err := a.message(ctx, n)
	if err != nil {
		return err
	}
	if err := to.Notify(ctx, msg); err != nil {
		if ferr := a.db.NotificationFailed(ctx, id, err.Error()); ferr != nil {
			a.log.ErrorContext(ctx, "record notification failure", "id", id, "err", ferr)
		}
		return fmt.Errorf("send notification %s: %w", id, err)
	}
	return a.db.NotificationSent(ctx, id)
}

func (a *App) message(ctx context.Context, n storage.Notification) (notify.Message, notify.Notifier, error) {
	store, err := a.db.Store(ctx, n.StoreID)
	if err != nil {
		return notify.Message{}, nil, err
	}
	if n.AlertID != nil {
		alert, err := a.db.Alert(ctx, *n.AlertID)
		if err != nil {
			return notify.Message{}, nil, err
		}
		return notify.AlertMessage(*store, *alert, n.Kind == storage.NotifyAlertResolved, n.ID), a.notifiers.Store, nil
	}
	if n.OrderID == nil {
		return notify.Message{}, nil, fmt.Errorf("notification %s names neither an order nor an alert", n.ID)
	}
	o, err := a.db.Order(ctx, *n.OrderID)
	if err != nil {
		return notify.Message{}, nil, err
	}
	if n.Kind == storage.NotifyNewOrder {
		return notify.NewOrderMessage(*store, *o, n.ID), a.notifiers.Store, nil
	}
	shown := *o
	shown.Status = domain.Status(*n.Status)
	return notify.OrderStatusMessage(*store, shown, (*domain.Status)(n.PreviousStatus), n.ID), a.notifiers.Shopper, nil
}
