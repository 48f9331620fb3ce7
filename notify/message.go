package notify

import (
	"context"
	"errors"
)

// The kinds of Message, one per audience and occasion.
const (
	// KindOrderStatus tells the shopper their order's status changed.
	KindOrderStatus = "order_status"
	// KindNewOrder tells the store's staff a new order came in.
	KindNewOrder = "new_order"
	// KindAlertRaised tells the store's managers the integration needs attention.
	KindAlertRaised = "alert_raised"
	// KindAlertResolved tells the store's managers an alert is over.
	KindAlertResolved = "alert_resolved"
)

// Message is one notification to send.
type Message struct {
	// ID is the idempotency key: the outbox row id. Every attempt to send
	// the same notification carries the same ID; receivers may dedupe on it.
	ID string
	// Kind is one of the Kind constants.
	Kind string
	// To lists email addresses. It may be empty (a shopper without an email
	// address): SMTP then sends nothing, while Webhook and Log still do.
	To      []string
	Subject string
	// Text is the plain-text body.
	Text string
	// Data holds the message's facts for machine receivers: order_id,
	// leafly_order_id, store_id, status, previous_status,
	// cancel_reason_text, alert_kind and the like.
	Data map[string]any
}

// Notifier sends messages.
type Notifier interface {
	// Notify sends m. An error that wraps ErrRejected is permanent; any
	// other error may succeed on a later attempt.
	Notify(ctx context.Context, m Message) error
}

// ErrRejected is wrapped by errors that retrying will not cure: the receiver
// refused the message or its recipient for good. Callers stop retrying.
var ErrRejected = errors.New("notification rejected")
