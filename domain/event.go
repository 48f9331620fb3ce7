package domain

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

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

// OrderUpdateKind says what changed in an OrderUpdate.
type OrderUpdateKind string

// The order update kinds of the contract.
const (
	OrderCreated        OrderUpdateKind = "CREATED"
	OrderStatusChanged  OrderUpdateKind = "STATUS_CHANGED"
	OrderPosSyncChanged OrderUpdateKind = "POS_SYNC_CHANGED"
)

// OrderUpdate tells subscribers of a store that one of its orders changed in
// a way a dashboard shows. Seq is the update's position in the event log;
// StoreSeq numbers the store's order updates 1, 2, 3… with no gap, so a
// subscriber that sees a number skip knows an update is still on its way
// (0 for an update logged before the numbering existed).
type OrderUpdate struct {
	Seq        int64
	StoreSeq   int64
	Kind       OrderUpdateKind
	Order      *Order
	OccurredAt time.Time
}

// cursorPrefix versions the cursor's encoding, so a later one can change it.
const cursorPrefix = "u1:"

// Cursor is the update's opaque position, increasing within its store: the
// value a client passes back as orderUpdated's after.
func (u *OrderUpdate) Cursor() string {
	return OrderUpdateCursor(u.Seq)
}

// OrderUpdateCursor is the orderUpdated cursor of event log position seq;
// position 0 is before every update.
func OrderUpdateCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
}

// ParseOrderUpdateCursor returns the event log position a cursor names.
func ParseOrderUpdateCursor(cursor string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	num, ok := strings.CutPrefix(string(b), cursorPrefix)
	seq, perr := strconv.ParseInt(num, 10, 64)
	if err != nil || !ok || perr != nil || seq < 0 {
		return 0, ErrCursorUnusable()
	}
	return seq, nil
}

// ErrCursorUnusable is the error for an orderUpdated cursor that is not one,
// or after which an update is no longer replayable.
func ErrCursorUnusable() *Error {
	return Errorf(CodeBadUserInput, "The cursor after is unknown or too old to resume from: reload the order list, then subscribe after its updatesCursor.")
}

// Event is something a store's subscribers hear about. Seq is its position
// in the store-wide event log, increasing with each event committed. Exactly
// one of Update, Alert and Store is set; OrderStatus is set besides Update
// when the update is a status change (creation included), the event
// orderStatusChanged carries.
type Event struct {
	Seq         int64
	StoreID     string
	OrderStatus *OrderStatusEvent
	Update      *OrderUpdate
	Alert       *Alert
	// Store is the store after a change of its own.
	Store *Store
	// Announced is true when the transaction that logged the event also
	// announced it to every replica (storage.DB.AnnounceOrderEvents), so
	// publishing it only delivers it to this replica's subscribers.
	Announced bool
}
