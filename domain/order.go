package domain

import (
	"net/mail"
	"strings"
	"time"
)

// FulfillmentMethod is how the shopper receives an order.
type FulfillmentMethod string

// The fulfilment methods.
const (
	FulfillmentPickup   FulfillmentMethod = "PICKUP"
	FulfillmentDelivery FulfillmentMethod = "DELIVERY"
)

// PosSyncState is where an order stands with the POS.
type PosSyncState string

// The POS sync states of the contract.
const (
	PosNotApplicable PosSyncState = "NOT_APPLICABLE"
	PosQueued        PosSyncState = "QUEUED"
	PosSent          PosSyncState = "SENT"
	PosNotSent       PosSyncState = "NOT_SENT"
)

// Customer is the shopper who placed an order.
type Customer struct {
	FirstName   string
	LastName    string
	Email       *string
	Phone       *string
	DateOfBirth *string
}

// Address is a delivery address.
type Address struct {
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2,omitempty"`
	City       string  `json:"city"`
	State      string  `json:"state"`
	PostalCode string  `json:"postalCode"`
	Country    string  `json:"country"`
}

// OrderLine is one menu item of an order. Prices are the menu price and,
// when a Leafly deal applies, the discounted price and the deal's title.
type OrderLine struct {
	MenuItemID               string
	Name                     string
	Quantity                 int
	UnitPriceCents           int64
	DiscountedUnitPriceCents *int64
	DealTitle                *string
}

// PosSync is where an order stands with the store's Lightspeed account.
type PosSync struct {
	State      PosSyncState
	SaleID     *string
	CustomerID *string
	Attempts   int
	// LastError says, for people, why the last attempt failed.
	LastError *string
	// ErrorCode says, for programs, why the order is not in the POS.
	ErrorCode *PosErrorCode
	// Warning is a problem that did not stop the sale, such as a delivery
	// address Lightspeed refused (the address is then in the sale's note).
	Warning *string
	// SaleVersion is the version of the sale last applied to the order.
	SaleVersion int64
	// HintedVersion is the highest version of the sale a webhook announced
	// while the order was QUEUED (math.MaxInt64 for a webhook without a
	// version): the send that records the sale has the sale re-read when
	// it records an older version.
	HintedVersion int64
	// Sender is the process (its job client id) attempting the send right
	// after the order's commit, while it does; empty when the job queue
	// holds the order's send, or nothing does.
	Sender string
}

// PosErrorCode is the machine-readable reason an order is not in the POS.
type PosErrorCode string

// The reasons an order may fail to reach the POS.
const (
	// PosErrRejected: Lightspeed refused the sale itself.
	PosErrRejected PosErrorCode = "REJECTED"
	// PosErrUnmappedItem: a line's menu item has no active Lightspeed product.
	PosErrUnmappedItem PosErrorCode = "UNMAPPED_ITEM"
	// PosErrNotConfigured: the integration's setup is missing.
	PosErrNotConfigured PosErrorCode = "NOT_CONFIGURED"
	// PosErrOutage: Lightspeed failed or did not answer; retried.
	PosErrOutage PosErrorCode = "PARTNER_OUTAGE"
	// PosErrCredentials: Lightspeed refused the store's credentials.
	PosErrCredentials PosErrorCode = "CREDENTIALS_INVALID"
	// PosErrRateLimited: Lightspeed asked to wait; retried after the wait.
	PosErrRateLimited PosErrorCode = "RATE_LIMITED"
	// PosErrCanceled: the order was canceled before it reached the POS.
	PosErrCanceled PosErrorCode = "CANCELED"
)

// Order is a pickup or delivery order placed on Leafly.
type Order struct {
	ID                string
	StoreID           string
	LeaflyOrderID     string
	Status            Status
	FulfillmentMethod FulfillmentMethod
	Customer          Customer
	DeliveryAddress   *Address
	Lines             []OrderLine
	SubtotalCents     int64
	TotalCents        int64
	HasGovernmentID   bool
	CancelReason      *CancelReason
	PosSync           PosSync
	StatusHistory     []StatusChange
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// CancelReasonText is the shopper-facing text of the cancel reason, if any.
func (o *Order) CancelReasonText() *string {
	if o.CancelReason == nil {
		return nil
	}
	t := o.CancelReason.Text()
	return &t
}

// Actionable reports whether dashboard actions are allowed on the order now,
// given whether its store's order integration is enabled.
func (o *Order) Actionable(integrationEnabled bool) bool {
	if o.Status.Terminal() {
		return false
	}
	return !integrationEnabled || o.PosSync.State == PosNotSent
}

// Move records a status change made by source at time at. It refuses with
// CodeConflict any move the status machine does not allow.
func (o *Order) Move(to Status, source Source, at time.Time) (StatusChange, error) {
	if !CanMove(o.FulfillmentMethod, o.Status, to) {
		return StatusChange{}, Errorf(CodeConflict, "A %s order cannot move from %s to %s.", strings.ToLower(string(o.FulfillmentMethod)), o.Status, to)
	}
	change := StatusChange{Status: to, Source: source, OccurredAt: at}
	o.Status = to
	o.UpdatedAt = at
	o.StatusHistory = append(o.StatusHistory, change)
	return change, nil
}

// Cancel moves the order to CANCELED with the given reason.
func (o *Order) Cancel(reason CancelReason, source Source, at time.Time) (StatusChange, error) {
	if !reason.Valid() {
		return StatusChange{}, Errorf(CodeBadUserInput, "Unknown cancel reason %q.", reason)
	}
	change, err := o.Move(StatusCanceled, source, at)
	if err != nil {
		return change, err
	}
	o.CancelReason = &reason
	return change, nil
}

// Limits on free text that are not elsewhere: far above any real value,
// low enough that no input makes a query or a Lightspeed call expensive.
const (
	// MaxSearchLength is the most characters an order search may have.
	MaxSearchLength = 200
	// maxEmailLength is the longest address SMTP carries (RFC 5321).
	maxEmailLength = 254
)

// validEmail reports whether s is a single bare email address.
func validEmail(s string) bool {
	if len(s) > maxEmailLength {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// OrderFilter narrows a store's order list. Nil or empty fields match all.
type OrderFilter struct {
	Status            []Status
	FulfillmentMethod *FulfillmentMethod
	PosSyncState      []PosSyncState
	CreatedAfter      *time.Time
	CreatedBefore     *time.Time
	// Search matches the shopper's name or email, or the Leafly order id.
	Search *string
}

// Validate refuses a search too long to be a name, an email or an order id.
func (f OrderFilter) Validate() error {
	if f.Search != nil && len(*f.Search) > MaxSearchLength {
		return bad("filter.search may have at most %d characters.", MaxSearchLength)
	}
	return nil
}

// IsZero reports whether f matches every order.
func (f OrderFilter) IsZero() bool {
	return len(f.Status) == 0 && f.FulfillmentMethod == nil && len(f.PosSyncState) == 0 &&
		f.CreatedAfter == nil && f.CreatedBefore == nil && (f.Search == nil || strings.TrimSpace(*f.Search) == "")
}

// PosCall is one call to Lightspeed made for an order: the support trail.
type PosCall struct {
	OrderID   string
	StartedAt time.Time
	Method    string
	Path      string
	// Status is Lightspeed's HTTP status, 0 when it did not answer.
	Status   int
	Duration time.Duration
	Error    *string
}

// DurationMs is how long the call took, in milliseconds.
func (c *PosCall) DurationMs() int { return int(c.Duration.Milliseconds()) }
