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
	case l.DiscountedUnitPriceCents != nil && (*l.DiscountedUnitPriceCents < 0 || *l.DiscountedUnitPriceCents > maxCents):
		return bad("lines[%d].discountedUnitPriceCents must be between 0 and %d.", i, maxCents)
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
// the POS when the store's integration is enabled. Every line must name an
// active item of the store's menu at its synced price (a Leafly deal may
// only lower it): the POS charges the menu price, so an order at another
// price would not be the sale staff ring up. Each wrong line is reported.
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
	var wrong []LineError
	for i, l := range in.Lines {
		item, ok := menu[l.MenuItemID]
		if !ok || item.StoreID != store.ID || !item.Active {
			wrong = append(wrong, LineError{Index: i, MenuItemID: l.MenuItemID, Field: "menuItemId",
				Message: fmt.Sprintf("lines[%d].menuItemId %q is not on the menu of store %s.", i, l.MenuItemID, store.ID)})
			continue
		}
		wrong = append(wrong, l.priceErrors(i, item)...)
		o.Lines = append(o.Lines, OrderLine{
			MenuItemID: item.ID, Name: item.Name, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents,
			DiscountedUnitPriceCents: l.DiscountedUnitPriceCents, DealTitle: l.DealTitle,
		})
		o.SubtotalCents += l.UnitPriceCents * int64(l.Quantity)
		o.TotalCents += l.effectiveCents() * int64(l.Quantity)
	}
	if len(wrong) > 0 {
		return nil, linesError(wrong)
	}
	return o, nil
}

// LineError is what is wrong with one line of a submitted order, for the
// ordering system to fix that line: Index is its position in lines, Field
// the input field at fault. For a price, SentCents is the price the line
// carried and MenuPriceCents the item's price in the store's synced menu.
type LineError struct {
	Index          int
	MenuItemID     string
	Field          string
	Message        string
	SentCents      *int64
	MenuPriceCents *int64
}

// priceErrors compares a line's prices with its menu item's: the unit price
// must be the menu price, and a deal price may not exceed it.
func (l SubmitLine) priceErrors(i int, item MenuItem) []LineError {
	var wrong []LineError
	price := func(field string, sent int64, format string) LineError {
		return LineError{Index: i, MenuItemID: item.ID, Field: field, SentCents: &sent, MenuPriceCents: &item.PriceCents,
			Message: fmt.Sprintf(format, i, field, sent, dollars(sent), item.Name, item.ID, item.PriceCents, dollars(item.PriceCents))}
	}
	if l.UnitPriceCents != item.PriceCents {
		wrong = append(wrong, price("unitPriceCents", l.UnitPriceCents,
			"lines[%d].%s is %d (%s) but the menu price of %q (menuItemId %s) is %d (%s)."))
	}
	if d := l.DiscountedUnitPriceCents; d != nil && *d > item.PriceCents {
		wrong = append(wrong, price("discountedUnitPriceCents", *d,
			"lines[%d].%s is %d (%s), above the menu price of %q (menuItemId %s), %d (%s): a deal may only lower the price."))
	}
	return wrong
}

// linesError refuses a submission for its wrong lines, all of them in one
// message and in Error.Lines.
func linesError(wrong []LineError) *Error {
	messages := make([]string, 0, len(wrong)+1)
	prices := false
	for _, w := range wrong {
		messages = append(messages, w.Message)
		prices = prices || w.MenuPriceCents != nil
	}
	if prices {
		messages = append(messages, "Send each item's price from the store's menu (menuItems priceCents) in unitPriceCents, and a Leafly deal price in discountedUnitPriceCents.")
	}
	return &Error{Code: CodeBadUserInput, Message: strings.Join(messages, " "), Lines: wrong}
}

func (l SubmitLine) effectiveCents() int64 {
	if l.DiscountedUnitPriceCents != nil {
		return *l.DiscountedUnitPriceCents
	}
	return l.UnitPriceCents
}

// dollars writes cents, which are not negative, as US dollars: $35.00.
func dollars(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

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
