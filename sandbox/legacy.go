package sandbox

import (
	"encoding/json"
	"time"
)

// Webhook payloads are the API 1.0 representation of the entity, not the
// 2026-07 one: a sale arrives as a register_sale with the legacy status.

// legacySale is the register_sale shape of a sale.update payload.
type legacySale struct {
	ID                   string          `json:"id"`
	Source               string          `json:"source"`
	SourceID             string          `json:"source_id"`
	RegisterID           string          `json:"register_id"`
	OutletID             string          `json:"outlet_id"`
	CustomerID           *string         `json:"customer_id"`
	UserID               string          `json:"user_id"`
	SaleDate             string          `json:"sale_date"`
	CreatedAt            string          `json:"created_at"`
	UpdatedAt            string          `json:"updated_at"`
	DeletedAt            *string         `json:"deleted_at"`
	Status               string          `json:"status"`
	State                *string         `json:"state,omitempty"`      // absent when legacy_only
	Attributes           *[]string       `json:"attributes,omitempty"` // absent when legacy_only
	Note                 string          `json:"note"`
	ShortCode            string          `json:"short_code"`
	InvoiceNumber        string          `json:"invoice_number"`
	ReturnFor            *string         `json:"return_for"`
	TotalPrice           float64         `json:"total_price"`
	TotalTax             float64         `json:"total_tax"`
	TotalCost            float64         `json:"total_cost"`
	Totals               legacyTotals    `json:"totals"`
	RegisterSaleProducts []legacyLine    `json:"register_sale_products"`
	RegisterSalePayments []legacyPayment `json:"register_sale_payments"`
	Version              int64           `json:"version"`
	RetailerID           string          `json:"retailer_id"`
}

type legacyTotals struct {
	TotalTax     float64 `json:"total_tax"`
	TotalPrice   float64 `json:"total_price"`
	TotalPayment float64 `json:"total_payment"`
	TotalToPay   float64 `json:"total_to_pay"`
}

type legacyLine struct {
	ID           string          `json:"id"`
	ProductID    string          `json:"product_id"`
	RegisterID   string          `json:"register_id"`
	Sequence     int             `json:"sequence"`
	Handle       string          `json:"handle"`
	SKU          string          `json:"sku"`
	Name         string          `json:"name"`
	Quantity     float64         `json:"quantity"`
	Price        float64         `json:"price"`
	Cost         float64         `json:"cost"`
	PriceSet     bool            `json:"price_set"`
	Discount     float64         `json:"discount"`
	LoyaltyValue float64         `json:"loyalty_value"`
	Tax          float64         `json:"tax"`
	TaxID        string          `json:"tax_id"`
	TaxName      string          `json:"tax_name"`
	TaxRate      float64         `json:"tax_rate"`
	TaxTotal     float64         `json:"tax_total"`
	PriceTotal   float64         `json:"price_total"`
	Status       string          `json:"status"`
	Attributes   []lineAttribute `json:"attributes"`
}

type legacyPayment struct {
	ID                    string  `json:"id"`
	RegisterID            string  `json:"register_id"`
	RetailerPaymentTypeID string  `json:"retailer_payment_type_id"`
	PaymentTypeID         string  `json:"payment_type_id"`
	Name                  string  `json:"name"`
	Amount                float64 `json:"amount"`
	PaymentDate           string  `json:"payment_date"`
}

// legacySale builds the sale.update payload. Whether the real payload
// carries state and attributes is UNCONFIRMED: they are included unless the
// control API set legacy_only.
func (s *Sandbox) legacySale(rt *retailer, sl *sale) legacySale {
	out := legacySale{ID: sl.ID, Source: deref(sl.Source.Type), SourceID: deref(sl.Source.ID),
		RegisterID: sl.Source.RegisterID, OutletID: sl.Source.OutletID, CustomerID: sl.CustomerID,
		UserID: sl.Source.Author.ID, SaleDate: legacyTime(sl.Date), CreatedAt: legacyTime(sl.CreatedAt),
		UpdatedAt: legacyTime(sl.UpdatedAt), DeletedAt: sl.DeletedAt, Status: legacyStatus(sl),
		Note: sl.Note, ShortCode: sl.ShortCode, InvoiceNumber: sl.InvoiceNumber,
		TotalPrice: sl.Totals.Price, TotalTax: sl.Totals.Tax, Version: sl.Version, RetailerID: rt.info.ID,
		RegisterSaleProducts: []legacyLine{}, RegisterSalePayments: []legacyPayment{}}
	if !s.hooks.LegacyOnly {
		state, attrs := sl.State, sl.Attributes
		out.State, out.Attributes = &state, &attrs
	}
	for _, l := range sl.LineItems {
		out.RegisterSaleProducts = append(out.RegisterSaleProducts, legacyLineOf(rt, l))
		out.TotalCost += l.Pricing.CostTotal
	}
	for _, p := range sl.Payments {
		out.RegisterSalePayments = append(out.RegisterSalePayments, legacyPayment{ID: p.ID,
			RegisterID: p.Source.RegisterID, RetailerPaymentTypeID: p.Type.ConfigID, PaymentTypeID: p.Type.ID,
			Name: p.Type.Name, Amount: p.Amount, PaymentDate: legacyTime(p.Date)})
	}
	paid := sl.paid()
	out.TotalCost = round5(out.TotalCost)
	out.Totals = legacyTotals{TotalTax: sl.Totals.Tax, TotalPrice: sl.Totals.Price, TotalPayment: paid,
		TotalToPay: round5(sl.Totals.PriceInclTax - paid)}
	return out
}

func legacyLineOf(rt *retailer, l *saleLine) legacyLine {
	out := legacyLine{ID: l.ID, ProductID: l.Product.ID, RegisterID: l.Source.RegisterID,
		Sequence: l.Metadata.Sequence, Quantity: l.Quantity, Price: l.Pricing.Price, Cost: l.Pricing.Cost,
		PriceSet: l.Metadata.IsPriceOverride, Discount: l.Pricing.Discount, LoyaltyValue: l.Pricing.LoyaltyAmount,
		Tax: l.Tax.Amount, TaxID: l.Tax.ID, TaxTotal: l.Tax.Total, PriceTotal: l.Pricing.Total,
		Status: l.Status, Attributes: l.attributes}
	if out.Attributes == nil {
		out.Attributes = []lineAttribute{}
	}
	if p := rt.products[l.Product.ID]; p != nil {
		out.Handle, out.SKU, out.Name = p.Handle, p.SKU, p.Name
	}
	if t := rt.tax(l.Tax.ID); t != nil {
		out.TaxName, out.TaxRate = t.Name, t.rate()
	}
	return out
}

// legacyTime writes an RFC 3339 time the 1.0 way ("2016-05-05 23:35:34").
func legacyTime(v string) string {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return v
	}
	return t.UTC().Format(time.DateTime)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// legacyProduct is a product.update payload: the product plus the 1.0
// names (base_name, price, tax_name) and retailer_id.
func legacyProduct(rt *retailer, p *product) map[string]any {
	out := withRetailer(p, rt.info.ID)
	out["base_name"] = p.Name
	out["price"] = p.PriceExcludingTax
	if t := rt.tax(p.taxID); t != nil {
		out["tax_id"], out["tax_name"] = t.ID, t.Name
	}
	return out
}

// withRetailer turns v into a JSON object with retailer_id added.
func withRetailer(v any, retailerID string) map[string]any {
	js, _ := json.Marshal(v)
	out := map[string]any{}
	_ = json.Unmarshal(js, &out)
	out["retailer_id"] = retailerID
	return out
}
