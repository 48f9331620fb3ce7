package pos

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// saleRequest builds the sale of an order: one line per order line at the
// order's price (the menu price it was submitted at) with the outlet's tax, the shopper as customer, pickup or
// delivery, the register and user of the setup, and a note for staff.
func (p *Pipeline) saleRequest(ctx context.Context, s *send) (lssync.SaleRequest, error) {
	o, settings := s.order, s.store.Integration.Settings
	lines, err := p.saleLines(ctx, s)
	if err != nil {
		return lssync.SaleRequest{}, err
	}
	if s.customer, err = p.customerFor(ctx, s); err != nil {
		return lssync.SaleRequest{}, err
	}
	token, addressNote, err := p.deliveryAddress(ctx, s)
	if err != nil {
		return lssync.SaleRequest{}, err
	}
	attribute, method := lssync.AttributePickup, lssync.FulfillmentPickup
	if o.FulfillmentMethod == domain.FulfillmentDelivery {
		attribute, method = lssync.AttributeDelivery, lssync.FulfillmentDispatch
	}
	req := lssync.SaleRequest{ID: s.saleID, SaleFields: lssync.SaleFields{
		Source: lssync.SaleSource{AuthorID: settings.UserID, RegisterID: settings.RegisterID, ID: o.LeaflyOrderID, Type: SourceType},
		State:  lssync.StatePending, Attributes: []string{attribute}, CustomerID: s.customer, Date: o.CreatedAt,
		Note: saleNote(o, addressNote), FulfillmentOutletID: settings.OutletID, LineItems: lines,
	}}
	if method == lssync.FulfillmentPickup || token != "" {
		req.FulfillmentDetails = []lssync.FulfillmentDetail{{Type: method, ShippingAddressToken: token,
			Note: "Leafly order " + o.LeaflyOrderID}}
	}
	for i := range req.LineItems {
		req.LineItems[i].Metadata.FulfillmentMethod = method
	}
	return req, nil
}

// saleLines maps each order line to its menu item's Lightspeed product at
// the line's price: submitOrder took it from the synced menu, and a sale
// sent after a later menu sync must still charge what the order says. A
// line whose item has no active product is an error only the order can fix
// (BAD_USER_INPUT).
func (p *Pipeline) saleLines(ctx context.Context, s *send) ([]lssync.LineItemInput, error) {
	ids := make([]string, len(s.order.Lines))
	for i, l := range s.order.Lines {
		ids[i] = l.MenuItemID
	}
	items, err := p.db.MenuItemsByID(ctx, s.store.ID, ids)
	if err != nil {
		return nil, err
	}
	tax, err := p.outletTax(ctx, s)
	if err != nil {
		return nil, err
	}
	lines := make([]lssync.LineItemInput, len(s.order.Lines))
	for i, l := range s.order.Lines {
		item, ok := items[l.MenuItemID]
		if !ok || !item.Active || item.PosProductID == "" {
			return nil, unmappedError(fmt.Sprintf("%s (menu item %s) no longer has an active Lightspeed product.", l.Name, l.MenuItemID))
		}
		seq := i + 1
		lines[i] = lssync.LineItemInput{
			Product: lssync.ProductRef{ID: item.PosProductID}, Quantity: lssync.NumberFromInt(int64(l.Quantity)),
			Pricing:  lssync.PricingInput{Price: lssync.NumberFromCents(l.UnitPriceCents)},
			Tax:      lssync.TaxInput{ID: tax.id, Amount: lssync.NumberFromCents(tax.on(l.UnitPriceCents))},
			Metadata: &lssync.LineItemMetadata{Sequence: &seq},
		}
	}
	return lines, nil
}

// unmappedError is a line whose menu item has no active Lightspeed product:
// a problem of the order's own.
type unmappedError string

func (e unmappedError) Error() string { return string(e) }

// customerFor returns the Lightspeed customer of the order's shopper: the
// one matched by email (remembered per store), or a new one.
func (p *Pipeline) customerFor(ctx context.Context, s *send) (string, error) {
	c := s.order.Customer
	if c.Email == nil {
		return p.createCustomer(ctx, s)
	}
	return p.db.LightspeedCustomer(ctx, s.store.ID, *c.Email, p.lease(customerCalls), func(ctx context.Context) (string, error) {
		s.calls++
		found, err := p.ls.SearchCustomersByEmail(ctx, s.target, *c.Email)
		if err != nil {
			return "", err
		}
		if len(found) > 0 {
			return found[0].ID, nil
		}
		return p.createCustomer(ctx, s)
	})
}

func (p *Pipeline) createCustomer(ctx context.Context, s *send) (string, error) {
	c := s.order.Customer
	in := lssync.CustomerInput{FirstName: c.FirstName, LastName: c.LastName, Note: "Created for Leafly orders"}
	if c.Email != nil {
		in.Email = *c.Email
	}
	if c.Phone != nil {
		in.Phone = *c.Phone
	}
	if c.DateOfBirth != nil {
		in.DateOfBirth = *c.DateOfBirth
	}
	s.calls++
	created, err := p.ls.CreateCustomer(ctx, s.target, in)
	return created.ID, err
}

// deliveryAddress adds a delivery order's address to the customer and
// returns its token. An address Lightspeed refuses does not stop the sale:
// it goes into the note instead, and the order keeps a warning.
func (p *Pipeline) deliveryAddress(ctx context.Context, s *send) (token, note string, err error) {
	addr := s.order.DeliveryAddress
	if s.order.FulfillmentMethod != domain.FulfillmentDelivery || addr == nil {
		return "", "", nil
	}
	in := lssync.AddressInput{AddressLine1: addr.Line1, City: addr.City, State: addr.State, Postcode: addr.PostalCode,
		CountryCode: addr.Country, Type: lssync.AddressShipping}
	if addr.Line2 != nil {
		in.AddressLine2 = *addr.Line2
	}
	if addr.Country == "US" || addr.Country == "CA" {
		in.StateCode = addr.State
	}
	s.calls++
	created, err := p.ls.AddCustomerAddress(ctx, s.target, s.customer, in)
	switch {
	case err == nil:
		return cmp.Or(created.IDToken, created.ID), "", nil
	case lssync.IsRejected(err):
		_, msg := posError(err)
		warning := "The delivery address is in the sale's note: " + msg
		s.warning = &warning
		return "", oneLine(addr), nil
	}
	return "", "", err
}

func oneLine(addr *domain.Address) string {
	parts := []string{addr.Line1}
	if addr.Line2 != nil {
		parts = append(parts, *addr.Line2)
	}
	parts = append(parts, addr.City, addr.State+" "+addr.PostalCode, addr.Country)
	return strings.Join(parts, ", ")
}

// tax is the tax a sale line carries: its id and total rate.
type tax struct {
	id   string
	rate float64
}

// on returns the unit tax on a price, rounded to the cent.
func (t tax) on(cents int64) int64 { return int64(math.Round(float64(cents) * t.rate)) }

// refTTL is how long a store's outlets and taxes are reused between calls.
const refTTL = time.Hour

// reference caches each store's outlets' default taxes.
type reference struct {
	mu     sync.Mutex
	stores map[string]refEntry
}

type refEntry struct {
	taxes   map[string]tax // by outlet id
	fetched time.Time
}

// outletTax returns the tax of the setup's outlet, from a cache refreshed
// hourly, so orders do not pay for reference data.
func (p *Pipeline) outletTax(ctx context.Context, s *send) (tax, error) {
	outlet := s.store.Integration.Settings.OutletID
	p.ref.mu.Lock()
	e, ok := p.ref.stores[s.store.ID]
	p.ref.mu.Unlock()
	if !ok || p.now().Sub(e.fetched) > refTTL {
		var err error
		if e, err = p.fetchReference(ctx, s); err != nil {
			return tax{}, err
		}
	}
	return e.taxes[outlet], nil
}

func (p *Pipeline) fetchReference(ctx context.Context, s *send) (refEntry, error) {
	outlets, err := p.ls.Outlets(ctx, s.target)
	if err != nil {
		return refEntry{}, err
	}
	taxes, err := p.ls.Taxes(ctx, s.target)
	if err != nil {
		return refEntry{}, err
	}
	byID, fallback := map[string]tax{}, tax{}
	for _, t := range taxes {
		x := tax{id: t.ID}
		for _, r := range t.Rates {
			x.rate += r.Rate.Float64()
		}
		byID[t.ID] = x
		if t.IsDefault || fallback.id == "" {
			fallback = x
		}
	}
	e := refEntry{taxes: map[string]tax{}, fetched: p.now()}
	for _, o := range outlets {
		t, ok := byID[o.DefaultTaxID]
		if !ok {
			t = fallback
		}
		e.taxes[o.ID] = t
	}
	p.ref.mu.Lock()
	if p.ref.stores == nil {
		p.ref.stores = map[string]refEntry{}
	}
	p.ref.stores[s.store.ID] = e
	p.ref.mu.Unlock()
	return e, nil
}
