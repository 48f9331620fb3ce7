package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/notify"
)

// Notifications: each one is an outbox row written in the transaction of
// the change it tells of, and sent after commit (outbox.go). Which changes call for one is
// decided here (storage only stores the rows): the shopper hears of each
// status change after the order was placed, the store of each new order,
// and the store's alert recipients of each alert raised or resolved.

// Notifiers are where notifications go: Shopper for shoppers, Store for
// dispensary staff and managers.
type Notifiers struct {
	Shopper, Store notify.Notifier
}

// sendNotificationArgs asks for one outbox row to be sent: the retry of a
// failed attempt, or the send of one no process attempted.
type sendNotificationArgs struct {
	ID string `json:"id"`
}

func (sendNotificationArgs) Kind() string { return "send_notification" }

// InsertOpts retry for a day's worth of back-off.
func (sendNotificationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.PendingStates}}
}

type sendNotificationWorker struct {
	jobs.Backoff[sendNotificationArgs]
	app *App
}

func (w *sendNotificationWorker) Work(ctx context.Context, job *river.Job[sendNotificationArgs]) error {
	err := w.app.SendNotification(ctx, job.Args.ID)
	if errors.Is(err, notify.ErrRejected) {
		return river.JobCancel(err)
	}
	return err
}

// notificationsFor returns the notifications the events of a change call
// for: one per status change and one per alert raised.
func notificationsFor(evs []domain.Event) []domain.Notification {
	var ns []domain.Notification
	for _, ev := range evs {
		switch {
		case ev.OrderStatus != nil:
			ns = append(ns, statusNotification(ev.StoreID, ev.OrderStatus))
		case ev.Alert != nil:
			ns = append(ns, alertNotification(domain.NotifyAlertRaised, ev.Alert, ev.Alert.RaisedAt))
		}
	}
	return ns
}

// statusNotification tells the store of a new order (a change from no
// status) and the shopper of any later change.
func statusNotification(storeID string, c *domain.OrderStatusEvent) domain.Notification {
	id := c.Order.ID
	n := domain.Notification{Kind: domain.NotifyOrderStatus, ID: string(domain.NotifyOrderStatus) + ":" + id + ":" + string(c.Status),
		StoreID: storeID, OrderID: &id, Status: new(c.Status), PreviousStatus: c.PreviousStatus, CreatedAt: c.OccurredAt}
	if c.PreviousStatus == nil {
		n.Kind, n.ID = domain.NotifyNewOrder, string(domain.NotifyNewOrder)+":"+id
	}
	return n
}

// resolvedNotifications tell the store's alert recipients the alerts were
// resolved.
func resolvedNotifications(alerts []*domain.Alert) []domain.Notification {
	ns := make([]domain.Notification, len(alerts))
	for i, al := range alerts {
		ns[i] = alertNotification(domain.NotifyAlertResolved, al, *al.ResolvedAt)
	}
	return ns
}

func alertNotification(kind domain.NotificationKind, al *domain.Alert, at time.Time) domain.Notification {
	return domain.Notification{ID: string(kind) + ":" + al.ID, Kind: kind, StoreID: al.StoreID, AlertID: &al.ID, CreatedAt: at}
}

// SendNotification builds the message of an outbox row from the order as
// it is now and sends it. A notification already sent is not sent again.
func (a *App) SendNotification(ctx context.Context, id string) error {
	n, msg, to, err := a.message(ctx, id)
	if err != nil || n.SentAt != nil {
		return err
	}
	if err := to.Notify(ctx, msg); err != nil {
		if ferr := a.db.NotificationFailed(ctx, id, err.Error(), nil); ferr != nil {
			a.log.ErrorContext(ctx, "record notification failure", "id", id, "err", ferr)
		}
		return fmt.Errorf("send notification %s: %w", id, err)
	}
	return a.db.NotificationSent(ctx, id)
}

// message reads the notification id and builds its message: an order's in
// one statement, an alert's in three.
func (a *App) message(ctx context.Context, id string) (domain.Notification, notify.Message, notify.Notifier, error) {
	n, store, o, ok, err := a.db.OrderNotification(ctx, id)
	if err != nil {
		return n, notify.Message{}, nil, err
	}
	if ok {
		msg, to := a.orderMessage(n, *store, *o)
		return n, msg, to, nil
	}
	if n, err = a.db.Notification(ctx, id); err != nil || n.SentAt != nil {
		return n, notify.Message{}, nil, err
	}
	if n.AlertID == nil {
		return n, notify.Message{}, nil, fmt.Errorf("notification %s names neither an order nor an alert", n.ID)
	}
	if store, err = a.db.Store(ctx, n.StoreID); err != nil {
		return n, notify.Message{}, nil, err
	}
	alert, err := a.db.Alert(ctx, *n.AlertID)
	if err != nil {
		return n, notify.Message{}, nil, err
	}
	return n, notify.AlertMessage(*store, *alert, n.Kind == domain.NotifyAlertResolved, n.ID), a.notifiers.Store, nil
}

// orderMessage is the message of n, a notification of order o (no message
// shows its history).
func (a *App) orderMessage(n domain.Notification, store domain.Store, o domain.Order) (notify.Message, notify.Notifier) {
	if n.Kind == domain.NotifyNewOrder {
		return notify.NewOrderMessage(store, o, n.ID), a.notifiers.Store
	}
	o.Status = *n.Status
	return notify.OrderStatusMessage(store, o, n.PreviousStatus, n.ID), a.notifiers.Shopper
}
