package domain

import (
	"fmt"
	"strings"
	"time"
)

// SubmitOrder is an order as the ordering system submits it.
type SubmitOrder struct {
	StoreID           string
	LeaflyOrderID     string
	FulfillmentMethod FulfillmentMethod
	Customer          Customer
	DeliveryAddress   *Address
	Lines             []SubmitLine
	HasGovernmentID   bool
}

// SubmitLine is one line of a submitted order.
type SubmitLine struct {
	MenuItemID               string
	Quantity                 int
	UnitPriceCents           int64
	DiscountedUnitPriceCents *int64
	DealTitle                *string
}

// Limits on submitted orders, far above any real basket.
const (
	maxLines    = 200
	maxQuantity = 10_000
	maxCents    = 100_000_000
)

// Validate checks what can be checked without the store or its menu.
func (in SubmitOrder) Validate() error {
	switch {
	case strings.TrimSpace(in.LeaflyOrderID) == "" || len(in.LeaflyOrderID) > 100:
		return bad("leaflyOrderId must have 1 to 100 characters.")
	case in.FulfillmentMethod != FulfillmentPickup && in.FulfillmentMethod != FulfillmentDelivery:
		return bad("fulfillmentMethod must be PICKUP or DELIVERY.")
	case len(in.Lines) == 0:
		return bad("An order needs at least one line.")
	case len(in.Lines) > maxLines:
		return bad("An order may have at most %d lines.", maxLines)
	}
	if err := in.Customer.validate(); err != nil {
		return err
	}
	if in.FulfillmentMethod == FulfillmentDelivery {
		if in.DeliveryAddress == nil {
			return bad("A DELIVERY order needs a deliveryAddress.")
		}
		if err := in.DeliveryAddress.validate(); err != nil {
			return err
		}
	}
	for i, l := range in.Lines {
		if err := l.validate(i); err != nil {
			return err
		}
	}
	return nil
}

func (l SubmitLine) validate(i int) error {
	switch {
	case l.Quantity <= 0 || l.Quantity > maxQuantity:
		return bad("lines[%d].quantity must be between 1 and %d.", i, maxQuantity)
	case l.UnitPriceCents < 0 || l.UnitPriceCents > maxCents:
		return bad("lines[%d].unitPriceCents must be between 0 and %d.", i, maxCents)
	case l.DiscountedUnitPriceCents != nil && (*l.DiscountedUnitPriceCents < 0 || *l.DiscountedUnitPriceCents > l.UnitPriceCents):
		return bad("lines[%d].discountedUnitPriceCents must be between 0 and unitPriceCents.", i)
	case l.DealTitle != nil && len(*l.DealTitle) > 200:
		return bad("lines[%d].dealTitle may have at most 200 characters.", i)
	}
	return nil
}

func (c Customer) validate() error {
	switch {
	case strings.TrimSpace(c.FirstName) == "" || len(c.FirstName) > 100:
		return bad("customer.firstName must have 1 to 100 characters.")
	case strings.TrimSpace(c.LastName) == "" || len(c.LastName) > 100:
		return bad("customer.lastName must have 1 to 100 characters.")
	case c.Email != nil && len(*c.Email) > maxEmailLength:
		return bad("customer.email may have at most %d characters.", maxEmailLength)
	case c.Email != nil && !validEmail(*c.Email):
		return bad("customer.email %q is not a valid email address.", *c.Email)
	case c.Phone != nil && len(*c.Phone) > 40:
		return bad("customer.phone may have at most 40 characters.")
	}
	if c.DateOfBirth != nil {
		if _, err := time.Parse(time.DateOnly, *c.DateOfBirth); err != nil {
			return bad("customer.dateOfBirth %q must be a date written YYYY-MM-DD.", *c.DateOfBirth)
		}
	}
	return nil
}

func (a Address) validate() error {
	fields := []struct{ name, value string }{{"line1", a.Line1}, {"city", a.City}, {"state", a.State}, {"postalCode", a.PostalCode}}
	for _, f := range fields {
		if strings.TrimSpace(f.value) == "" || len(f.value) > 200 {
			return bad("deliveryAddress.%s must have 1 to 200 characters.", f.name)
		}
	}
	if a.Line2 != nil && len(*a.Line2) > 200 {
		return bad("deliveryAddress.line2 may have at most 200 characters.")
	}
	if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country {
		return bad("deliveryAddress.country must be an ISO 3166-1 alpha-2 code such as US.")
	}
	return nil
}

// NewOrder builds a PENDING order from a validated submission, the store it
// is for and the menu items its lines name (by id). The order is queued for
// the POS when the store's integration is enabled.
func NewOrder(id string, in SubmitOrder, store Store, menu map[string]MenuItem, now time.Time) (*Order, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.FulfillmentMethod == FulfillmentPickup && !store.PickupEnabled {
		return nil, bad("Store %s does not take PICKUP orders.", store.ID)
	}
	if in.FulfillmentMethod == FulfillmentDelivery && !store.DeliveryEnabled {
		return nil, bad("Store %s does not take DELIVERY orders.", store.ID)
	}
	o := &Order{
		ID: id, StoreID: store.ID, LeaflyOrderID: in.LeaflyOrderID, Status: StatusPending,
		FulfillmentMethod: in.FulfillmentMethod, Customer: in.Customer, HasGovernmentID: in.HasGovernmentID,
		PosSync:   PosSync{State: PosNotApplicable},
		CreatedAt: now, UpdatedAt: now,
		StatusHistory: []StatusChange{{Status: StatusPending, Source: SourceMarketplace, OccurredAt: now}},
	}
	if in.FulfillmentMethod == FulfillmentDelivery {
		o.DeliveryAddress = in.DeliveryAddress
	}
	if store.Integration.Enabled {
		o.PosSync.State = PosQueued
	}
	for i, l := range in.Lines {
		item, ok := menu[l.MenuItemID]
		if !ok || item.StoreID != store.ID || !item.Active {
			return nil, bad("lines[%d].menuItemId %q is not on the menu of store %s.", i, l.MenuItemID, store.ID)
		}
		o.Lines = append(o.Lines, OrderLine{
			MenuItemID: item.ID, Name: item.Name, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents,
			DiscountedUnitPriceCents: l.DiscountedUnitPriceCents, DealTitle: l.DealTitle,
		})
		o.SubtotalCents += l.UnitPriceCents * int64(l.Quantity)
		o.TotalCents += l.effectiveCents() * int64(l.Quantity)
	}
	return o, nil
}

func (l SubmitLine) effectiveCents() int64 {
	if l.DiscountedUnitPriceCents != nil {
		return *l.DiscountedUnitPriceCents
	}
	return l.UnitPriceCents
}

func bad(format string, args ...any) *Error {
	return &Error{Code: CodeBadUserInput, Message: fmt.Sprintf(format, args...)}
}

// SameShopper reports whether a submission names the shopper of o as NewOrder
// stored it: the same customer and the same delivery address.
func (o *Order) SameShopper(in SubmitOrder) bool {
	c, d := o.Customer, in.Customer
	if c.FirstName != d.FirstName || c.LastName != d.LastName || !sameText(c.Email, d.Email) ||
		!sameText(c.Phone, d.Phone) || !sameText(c.DateOfBirth, d.DateOfBirth) {
		return false
	}
	var address *Address
	if in.FulfillmentMethod == FulfillmentDelivery {
		address = in.DeliveryAddress
	}
	switch {
	case o.DeliveryAddress == nil || address == nil:
		return o.DeliveryAddress == address
	case !sameText(o.DeliveryAddress.Line2, address.Line2):
		return false
	}
	a, b := *o.DeliveryAddress, *address
	a.Line2, b.Line2 = nil, nil
	return a == b
}

// sameText reports whether two optional texts are both absent or equal.
func sameText(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
