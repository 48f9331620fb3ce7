package domain

import "time"

// OrderStatusEvent tells subscribers of a store that an order changed status.
type OrderStatusEvent struct {
	Order          *Order
	PreviousStatus *Status
	Status         Status
	Source         Source
	OccurredAt     time.Time
}

// AlertKind is the kind of an integration alert.
type AlertKind string

// The alert kinds of the contract.
const (
	AlertPartnerOutage      AlertKind = "PARTNER_OUTAGE"
	AlertCredentialsInvalid AlertKind = "CREDENTIALS_INVALID"
	AlertOrderNotSent       AlertKind = "ORDER_NOT_SENT"
)

// Alert tells a dispensary that its integration needs attention.
type Alert struct {
	ID         string
	StoreID    string
	Kind       AlertKind
	Message    string
	RaisedAt   time.Time
	ResolvedAt *time.Time
}

// Event is something a store's subscribers hear about: exactly one of
// OrderStatus and Alert is set. Seq is its position in the store-wide event
// log, increasing with each event committed.
type Event struct {
	Seq         int64
	StoreID     string
	OrderStatus *OrderStatusEvent
	Alert       *Alert
}
