package domain

import (
	"strings"
	"time"
)

// Lightspeed's sale states do not match Leafly's statuses one to one. This
// is the one table that maps them.

// Sale is what the service reads of a Lightspeed sale to map it.
type Sale struct {
	// State is Lightspeed's state: parked, pending, closed or voided.
	State string
	// Deleted is true for a deleted sale.
	Deleted bool
	// Packed is true once a fulfillment of the sale is packed or further
	// on (see FulfillmentPacked).
	Packed bool
	// Version orders the sale's changes; older ones are ignored.
	Version int64
}

// FulfillmentPacked reports whether a Lightspeed fulfillment in this state
// makes its sale packed: PACKED, or FULFILLED further on, in any case.
func FulfillmentPacked(state string) bool {
	switch strings.ToUpper(state) {
	case "PACKED", "FULFILLED":
		return true
	}
	return false
}

// saleStatus is the mapping: the Leafly status a sale stands for.
func saleStatus(s Sale) (Status, bool) {
	switch {
	case s.Deleted || s.State == "voided":
		return StatusCanceled, true
	case s.State == "closed":
		return StatusPickedUp, true
	case s.State == "pending" && s.Packed:
		return StatusReady, true
	case s.State == "pending":
		return StatusConfirmed, true
	}
	return "", false
}

// ApplySale moves the order to what the sale says, from the POS: sale
// created → CONFIRMED; fulfillment packed → READY; sale closed → PICKED_UP,
// with READY recorded first when it was skipped; sale voided or deleted →
// CANCELED, reason DISPENSARY. It returns the changes made: none for a
// backward, repeated or unknown state.
func (o *Order) ApplySale(s Sale, at time.Time) []StatusChange {
	target, ok := saleStatus(s)
	if !ok || !CanMove(o.FulfillmentMethod, o.Status, target) {
		return nil
	}
	var changes []StatusChange
	if target == StatusPickedUp && progress[o.Status] < progress[StatusReady] {
		if c, err := o.Move(StatusReady, SourcePOS, at); err == nil {
			changes = append(changes, c)
		}
	}
	if target == StatusCanceled {
		c, _ := o.Cancel(CancelDispensary, SourcePOS, at)
		return append(changes, c)
	}
	c, _ := o.Move(target, SourcePOS, at)
	return append(changes, c)
}
