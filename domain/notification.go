package domain

import "time"

// NotificationKind says what a notification tells of.
type NotificationKind string

// The kinds of notification the outbox holds.
const (
	NotifyNewOrder      NotificationKind = "new_order"
	NotifyOrderStatus   NotificationKind = "order_status"
	NotifyAlertRaised   NotificationKind = "alert_raised"
	NotifyAlertResolved NotificationKind = "alert_resolved"
)

// Notification is one row of the outbox: what to tell whom is built when it
// is sent, from the order or alert as it is then. Its ID makes it unique
// (one shopper notification per status change, one new-order notification
// per order, one per alert raised or resolved).
type Notification struct {
	ID             string
	Kind           NotificationKind
	StoreID        string
	OrderID        *string
	AlertID        *string
	Status         *Status
	PreviousStatus *Status
	CreatedAt      time.Time
	SentAt         *time.Time
	Attempts       int
	LastError      *string
	// QueuedAt is when the notification was handed to the job queue: after
	// a first attempt failed, or when no attempt followed its change.
	QueuedAt *time.Time
}
