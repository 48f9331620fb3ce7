package domain

import "time"

// Status is where an order stands in Leafly's lifecycle.
type Status string

// Leafly's order statuses, in lifecycle order. PICKED_UP, CANCELED and
// EXPIRED are terminal.
const (
	StatusPending           Status = "PENDING"
	StatusConfirmed         Status = "CONFIRMED"
	StatusReady             Status = "READY"
	StatusOutForDelivery    Status = "OUT_FOR_DELIVERY"
	StatusArrivedAtCustomer Status = "ARRIVED_AT_CUSTOMER"
	StatusPickedUp          Status = "PICKED_UP"
	StatusCanceled          Status = "CANCELED"
	StatusExpired           Status = "EXPIRED"
)

// progress orders the forward path; CANCELED and EXPIRED stand outside it.
var progress = map[Status]int{
	StatusPending:           0,
	StatusConfirmed:         1,
	StatusReady:             2,
	StatusOutForDelivery:    3,
	StatusArrivedAtCustomer: 4,
	StatusPickedUp:          5,
}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	_, forward := progress[s]
	return forward || s == StatusCanceled || s == StatusExpired
}

// Terminal reports whether no status may follow s.
func (s Status) Terminal() bool {
	return s == StatusPickedUp || s == StatusCanceled || s == StatusExpired
}

// deliveryOnly reports whether s only makes sense for a delivery.
func (s Status) deliveryOnly() bool {
	return s == StatusOutForDelivery || s == StatusArrivedAtCustomer
}

// CanMove reports whether an order of the given fulfilment method may go
// from one status to another: forward only, skipping allowed, never repeated
// or reversed; CANCELED or EXPIRED from any non-terminal status.
func CanMove(method FulfillmentMethod, from, to Status) bool {
	switch {
	case !from.Valid() || !to.Valid() || from.Terminal():
		return false
	case to == StatusCanceled || to == StatusExpired:
		return true
	case to.deliveryOnly() && method != FulfillmentDelivery:
		return false
	}
	return progress[to] > progress[from]
}

// Source says who made a status change.
type Source string

// The sources of status changes.
const (
	SourceMarketplace Source = "MARKETPLACE"
	SourcePOS         Source = "POS"
	SourceDashboard   Source = "DASHBOARD"
	SourceSystem      Source = "SYSTEM"
)

// StatusChange is one entry of an order's status history.
type StatusChange struct {
	Status     Status
	Source     Source
	OccurredAt time.Time
}

// CancelReason says why an order was canceled.
type CancelReason string

// The cancel reasons of the contract.
const (
	CancelCustomer    CancelReason = "CUSTOMER"
	CancelDispensary  CancelReason = "DISPENSARY"
	CancelPOS         CancelReason = "POS"
	CancelNotPickedUp CancelReason = "NOT_PICKED_UP"
)

var cancelTexts = map[CancelReason]string{
	CancelCustomer:    "Canceled by customer",
	CancelDispensary:  "Canceled by dispensary",
	CancelPOS:         "The dispensary could not accept this order",
	CancelNotPickedUp: "Not picked up",
}

// Valid reports whether r is one of the cancel reasons above.
func (r CancelReason) Valid() bool {
	_, ok := cancelTexts[r]
	return ok
}

// Text is the shopper-facing wording of r.
func (r CancelReason) Text() string { return cancelTexts[r] }
