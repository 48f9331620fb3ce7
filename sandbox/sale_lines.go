package sandbox

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// saleLine is a SaleResponseLineItem. Money is per unit in pricing.price and
// tax.amount (tax-exclusive unit price, as Sales 101 implies); totals are × quantity.
type saleLine struct {
	ID             string       `json:"id"`
	Product        idRef        `json:"product"`
	Quantity       float64      `json:"quantity"`
	Pricing        linePricing  `json:"pricing"`
	Tax            lineTax      `json:"tax"`
	Status         string       `json:"status"`
	Note           *string      `json:"note"`
	SalespersonID  *string      `json:"salesperson_id"`
	Source         lineSource   `json:"source"`
	Metadata       lineMetadata `json:"_metadata"`
	Return         lineReturn   `json:"return"`
	Promotions     []any        `json:"promotions"`
	Surcharges     []any        `json:"surcharges"`
	Customizations []any        `json:"customizations"`
	GiftCardNumber *string      `json:"gift_card_number"`

	fulfillmentMethod string
	attributes        []lineAttribute
}

type linePricing struct {
	Price              float64 `json:"price"`
	Total              float64 `json:"total"`
	Cost               float64 `json:"cost"`
	CostTotal          float64 `json:"cost_total"`
	Discount           float64 `json:"discount"`
	DiscountTotal      float64 `json:"discount_total"`
	LoyaltyAmount      float64 `json:"loyalty_amount"`
	LoyaltyAmountTotal float64 `json:"loyalty_amount_total"`
}

type lineTax struct {
	ID     string  `json:"id"`
	Amount float64 `json:"amount"`
	Total  float64 `json:"total"`
}

type lineSource struct {
	RegisterID string `json:"register_id"`
}

type lineMetadata struct {
	Sequence        int            `json:"sequence"`
	IsPriceOverride bool           `json:"is_price_override"`
	TaxComponents   []taxComponent `json:"tax_components"`
}

type taxComponent struct {
	RateID   string  `json:"rate_id"`
	TotalTax float64 `json:"total_tax"`
}

type lineReturn struct {
	IsReturn bool    `json:"is_return"`
	Reason   *string `json:"reason"`
}

// salePayment is a SaleResponsePayment.
type salePayment struct {
	ID                   string         `json:"id"`
	Amount               float64        `json:"amount"`
	Date                 string         `json:"date"`
	DeletedAt            *string        `json:"deleted_at"`
	Type                 paymentTypeRef `json:"type"`
	Source               paymentSource  `json:"source"`
	ExternalAttributes   []any          `json:"external_attributes"`
	ExternalApplications []any          `json:"external_applications"`
}

type paymentTypeRef struct {
	ConfigID string `json:"config_id"`
	ID       string `json:"id"`
	Name     string `json:"name"`
}

type paymentSource struct {
	ID         *string `json:"id"`
	OutletID   string  `json:"outlet_id"`
	RegisterID string  `json:"register_id"`
}

// applyLines replaces the sale's lines with the request's, validating each;
// a line that names an existing line id keeps that id.
func (s *Sandbox) applyLines(rt *retailer, sl *sale, items *[]lineItemRequest) string {
	if items == nil {
		return ""
	}
	lines := make([]*saleLine, 0, len(*items))
	for i, in := range *items {
		line, msg := s.buildLine(rt, sl, in, i)
		if msg != "" {
			return fmt.Sprintf("line_items[%d]%s", i, msg)
		}
		lines = append(lines, line)
	}
	sl.LineItems = lines
	return ""
}

// buildLine validates one SaleLineItem: product, quantity, pricing.price and
// tax {id, amount} are required; the product and tax must exist.
func (s *Sandbox) buildLine(rt *retailer, sl *sale, in lineItemRequest, i int) (*saleLine, string) {
	switch {
	case in.Product == nil || in.Product.ID == "":
		return nil, ".product.id is required"
	case rt.products[in.Product.ID] == nil || rt.products[in.Product.ID].DeletedAt != nil:
		return nil, ".product.id: product " + in.Product.ID + " not found"
	case !in.Quantity.set || in.Quantity.v == 0:
		return nil, ".quantity is required and must not be zero"
	case in.Pricing == nil || !in.Pricing.Price.set:
		return nil, ".pricing.price is required"
	case in.Tax == nil || in.Tax.ID == "" || !in.Tax.Amount.set:
		return nil, ".tax.id and .tax.amount are required"
	case rt.tax(in.Tax.ID) == nil:
		return nil, ".tax.id: tax " + in.Tax.ID + " not found"
	}
	line := &saleLine{ID: in.ID, Product: idRef{ID: in.Product.ID}, Quantity: in.Quantity.v,
		Status: cmp.Or(in.Status, "CONFIRMED"), Source: lineSource{RegisterID: sl.Source.RegisterID},
		Promotions: []any{}, Surcharges: []any{}, Customizations: []any{},
		Tax: lineTax{ID: in.Tax.ID, Amount: round5(in.Tax.Amount.v)}, attributes: in.Attributes,
		Pricing: linePricing{Price: round5(in.Pricing.Price.v), Cost: in.Pricing.Cost.v,
			Discount: in.Pricing.Discount.v, LoyaltyAmount: in.Pricing.LoyaltyAmount.v},
		Metadata: lineMetadata{Sequence: i}, Return: lineReturn{IsReturn: in.Quantity.v < 0}}
	if line.ID == "" || !slices.ContainsFunc(sl.LineItems, func(l *saleLine) bool { return l.ID == in.ID }) {
		line.ID = newID()
	}
	if in.Metadata != nil {
		line.fulfillmentMethod = in.Metadata.FulfillmentMethod
		line.Metadata.IsPriceOverride = in.Metadata.IsPriceOverride
		if in.Metadata.Sequence != nil {
			line.Metadata.Sequence = *in.Metadata.Sequence
		}
	}
	if in.Source != nil && in.Source.AuthorID != "" {
		line.SalespersonID = &in.Source.AuthorID
	}
	for _, a := range in.Attributes {
		if a.Name == "line_note" {
			line.Note = &a.Value
		}
	}
	return line, ""
}

// applyPayments replaces the sale's payments; the payment type must exist
// and be enabled.
func (s *Sandbox) applyPayments(rt *retailer, sl *sale, items *[]paymentRequest) string {
	if items == nil {
		return ""
	}
	pays := make([]*salePayment, 0, len(*items))
	for i, in := range *items {
		where := fmt.Sprintf("payments[%d]", i)
		if !in.Amount.set || in.Type == nil || in.Type.ConfigID == "" {
			return where + ": amount and type.config_id are required"
		}
		pt := rt.paymentType(in.Type.ConfigID)
		switch {
		case pt == nil:
			return where + ".type.config_id: payment type " + in.Type.ConfigID + " not found"
		case pt.Disabled:
			return where + ".type.config_id: payment type " + pt.Name + " is disabled"
		}
		p := &salePayment{ID: cmp.Or(in.ID, newID()), Amount: round5(in.Amount.v), Date: sl.Date,
			Type:               paymentTypeRef{ConfigID: pt.ID, ID: strconv.Itoa(pt.TypeID), Name: pt.Name},
			Source:             paymentSource{RegisterID: sl.Source.RegisterID, OutletID: sl.Source.OutletID},
			ExternalAttributes: []any{}, ExternalApplications: []any{}}
		if in.Date != nil {
			t, err := time.Parse(time.RFC3339, *in.Date)
			if err != nil {
				return where + ".date must be an RFC 3339 timestamp"
			}
			p.Date = stamp(t)
		}
		pays = append(pays, p)
	}
	sl.Payments = pays
	return ""
}

// totalSale computes line totals, tax components and the sale totals.
func (s *Sandbox) totalSale(rt *retailer, sl *sale) {
	var t saleTotals
	byTax := map[string]float64{}
	for _, l := range sl.LineItems {
		q := l.Quantity
		l.Pricing.Total = round5(l.Pricing.Price * q)
		l.Pricing.CostTotal = round5(l.Pricing.Cost * q)
		l.Pricing.DiscountTotal = round5(l.Pricing.Discount * q)
		l.Pricing.LoyaltyAmountTotal = round5(l.Pricing.LoyaltyAmount * q)
		l.Tax.Total = round5(l.Tax.Amount * q)
		l.Metadata.TaxComponents = taxComponents(rt.tax(l.Tax.ID), l.Tax.Total)
		t.Price += l.Pricing.Total
		t.Tax += l.Tax.Total
		t.Loyalty += l.Pricing.LoyaltyAmountTotal
		byTax[l.Tax.ID] += l.Tax.Total
	}
	t.Price, t.Tax, t.Loyalty = round5(t.Price), round5(t.Tax), round5(t.Loyalty)
	t.PriceInclTax = round5(t.Price + t.Tax)
	sl.Totals = t
	sl.Taxes = make([]saleTax, 0, len(byTax))
	for id, v := range byTax {
		sl.Taxes = append(sl.Taxes, saleTax{ID: id, Tax: round5(v)})
	}
	slices.SortFunc(sl.Taxes, func(a, b saleTax) int { return cmp.Compare(a.ID, b.ID) })
}

// taxComponents splits a line's tax over the rates of its tax.
func taxComponents(t *tax, total float64) []taxComponent {
	out := []taxComponent{}
	if t == nil {
		return out
	}
	rate := t.rate()
	for _, r := range t.Rates {
		share := 0.0
		if rate > 0 {
			share = round5(total * r.Rate / rate)
		}
		out = append(out, taxComponent{RateID: r.ID, TotalTax: share})
	}
	return out
}

// paid is the sum of the sale's live payments.
func (sl *sale) paid() float64 {
	sum := 0.0
	for _, p := range sl.Payments {
		if p.DeletedAt == nil {
			sum += p.Amount
		}
	}
	return round5(sum)
}
