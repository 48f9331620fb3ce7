package sandbox

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// saleRequest is SaleRequest (POST) and SaleUpdateRequest (PUT). Pointers
// tell an absent field from an empty one: a PUT changes only what it sends.
type saleRequest struct {
	ID                  *string              `json:"id"`
	Source              *saleRequestSource   `json:"source"`
	State               *string              `json:"state"`
	Attributes          *[]string            `json:"attributes"`
	CustomerID          *string              `json:"customer_id"`
	Date                *string              `json:"date"`
	Note                *string              `json:"note"`
	InvoiceNumber       *string              `json:"invoice_number"`
	ShortCode           *string              `json:"short_code"`
	LineItems           *[]lineItemRequest   `json:"line_items"`
	Payments            *[]paymentRequest    `json:"payments"`
	FulfillmentOutletID *string              `json:"fulfillment_outlet_id"`
	FulfillmentDetails  *[]fulfillmentDetail `json:"fulfillment_details"`
}

type saleRequestSource struct {
	AuthorID   string  `json:"author_id"`
	RegisterID string  `json:"register_id"`
	ID         *string `json:"id"`
	Type       *string `json:"type"`
}

type idRef struct {
	ID string `json:"id"`
}

type lineItemRequest struct {
	ID       string `json:"id"`
	Product  *idRef `json:"product"`
	Quantity number `json:"quantity"`
	Pricing  *struct {
		Price         number `json:"price"`
		Cost          number `json:"cost"`
		Discount      number `json:"discount"`
		LoyaltyAmount number `json:"loyalty_amount"`
	} `json:"pricing"`
	Tax *struct {
		ID     string `json:"id"`
		Amount number `json:"amount"`
	} `json:"tax"`
	Status     string          `json:"status"`
	Attributes []lineAttribute `json:"attributes"`
	Metadata   *struct {
		FulfillmentMethod string `json:"fulfillment_method"`
		IsPriceOverride   bool   `json:"is_price_override"`
		Sequence          *int   `json:"sequence"`
	} `json:"_metadata"`
	Source *struct {
		AuthorID   string `json:"author_id"`
		RegisterID string `json:"register_id"`
	} `json:"source"`
}

type lineAttribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type paymentRequest struct {
	ID     string `json:"id"`
	Amount number `json:"amount"`
	Type   *struct {
		ConfigID string `json:"config_id"`
	} `json:"type"`
	Date   *string `json:"date"`
	Source *struct {
		RegisterID string `json:"register_id"`
	} `json:"source"`
}

// fulfillmentDetail is one FulfillmentDetail of a sale request.
type fulfillmentDetail struct {
	Type                 string  `json:"type"`
	Note                 string  `json:"note"`
	ShippingAddressID    *string `json:"shipping_address_id"`
	ShippingAddressToken *string `json:"shipping_address_token"`
}

var (
	saleStates     = []string{"parked", "pending", "voided", "closed"}
	saleAttributes = []string{"pickup", "delivery", "onaccount", "layby", "service"}
)

// applySale validates req field by field and applies it to sl (a copy the
// caller discards on error). It returns the first problem, or "".
func (s *Sandbox) applySale(rt *retailer, sl *sale, req *saleRequest) string {
	steps := []func() string{
		func() string { return s.applySource(rt, sl, req.Source) },
		func() string { return applyState(sl, req.State) },
		func() string { return applyAttributes(sl, req.Attributes) },
		func() string { return applyCustomer(rt, sl, req.CustomerID) },
		func() string { return applyDate(sl, req.Date) },
		func() string { return applyFulfillment(rt, sl, req.FulfillmentOutletID, req.FulfillmentDetails) },
		func() string { return s.applyLines(rt, sl, req.LineItems) },
		func() string { return s.applyPayments(rt, sl, req.Payments) },
	}
	for _, step := range steps {
		if msg := step(); msg != "" {
			return msg
		}
	}
	setIf(&sl.Note, req.Note)
	setIf(&sl.ShortCode, req.ShortCode)
	setIf(&sl.InvoiceNumber, req.InvoiceNumber)
	return ""
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// applySource sets author, register (default: the first register), outlet
// (derived from the register) and the external id and type.
func (s *Sandbox) applySource(rt *retailer, sl *sale, src *saleRequestSource) string {
	if src == nil {
		return ""
	}
	if src.AuthorID != "" || sl.Source.Author.ID == "" {
		if src.AuthorID == "" {
			return "source.author_id is required"
		}
		if rt.user(src.AuthorID) == nil {
			return "source.author_id: user " + src.AuthorID + " not found"
		}
		sl.Source.Author.ID = src.AuthorID
	}
	regID := src.RegisterID
	if regID == "" && sl.Source.RegisterID == "" && len(rt.registers) > 0 {
		regID = rt.registers[0].ID
	}
	if regID != "" {
		reg := rt.register(regID)
		if reg == nil {
			return "source.register_id: register " + regID + " not found"
		}
		sl.Source.RegisterID, sl.Source.OutletID = reg.ID, reg.OutletID
	}
	if src.ID != nil {
		sl.Source.ID = src.ID
	}
	if src.Type != nil {
		sl.Source.Type = src.Type
	}
	return ""
}

// applyState checks the state and the move: closed sales can only be voided,
// voided ones not changed at all (checked by the caller).
func applyState(sl *sale, state *string) string {
	if state == nil {
		return ""
	}
	if !slices.Contains(saleStates, *state) {
		return "state must be one of " + strings.Join(saleStates, ", ")
	}
	if sl.State == "closed" && *state != "closed" && *state != "voided" {
		return "a closed sale can only be voided"
	}
	sl.State = *state
	return ""
}

// applyAttributes enforces the enum and the exclusive pairs.
func applyAttributes(sl *sale, attrs *[]string) string {
	if attrs == nil {
		return ""
	}
	for _, a := range *attrs {
		if !slices.Contains(saleAttributes, a) {
			return "attributes: unknown attribute " + strconv.Quote(a)
		}
	}
	has := func(a string) bool { return slices.Contains(*attrs, a) }
	if has("pickup") && has("delivery") {
		return "attributes: pickup and delivery are mutually exclusive"
	}
	if has("onaccount") && has("layby") {
		return "attributes: onaccount and layby are mutually exclusive"
	}
	sl.Attributes = slices.Compact(slices.Clone(*attrs))
	return ""
}

func applyCustomer(rt *retailer, sl *sale, id *string) string {
	if id == nil {
		return ""
	}
	if *id != "" {
		if cu := rt.customers[*id]; cu == nil || cu.DeletedAt != nil {
			return "customer_id: customer " + *id + " not found"
		}
	}
	sl.CustomerID = id
	if *id == "" {
		sl.CustomerID = nil
	}
	return ""
}

// applyDate requires RFC 3339, as date-based sales do.
func applyDate(sl *sale, date *string) string {
	if date == nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339, *date)
	if err != nil {
		return "date must be an RFC 3339 timestamp such as 2016-05-05T23:35:34Z"
	}
	sl.Date = stamp(t)
	return ""
}

// applyFulfillment checks the fulfilling outlet and the fulfillment details:
// DISPATCH needs a shipping address (id or token) of this retailer.
func applyFulfillment(rt *retailer, sl *sale, outletID *string, details *[]fulfillmentDetail) string {
	if outletID != nil && *outletID != "" {
		if rt.outlet(*outletID) == nil {
			return "fulfillment_outlet_id: outlet " + *outletID + " not found"
		}
		sl.fulfillmentOutletID = *outletID
	}
	if details == nil {
		return ""
	}
	for i, d := range *details {
		where := fmt.Sprintf("fulfillment_details[%d]", i)
		switch {
		case d.Type != "DISPATCH" && d.Type != "PICKUP":
			return where + ".type must be DISPATCH or PICKUP"
		case d.Type == "DISPATCH" && resolveAddress(rt, d) == nil:
			return where + ": DISPATCH needs a valid shipping_address_id or shipping_address_token"
		}
	}
	sl.details = slices.Clone(*details)
	return ""
}

// resolveAddress finds the shipping address a fulfillment detail names.
func resolveAddress(rt *retailer, d fulfillmentDetail) *address {
	if d.ShippingAddressToken != nil && *d.ShippingAddressToken != "" {
		return rt.addresses[rt.addrTokens[*d.ShippingAddressToken]]
	}
	if d.ShippingAddressID != nil {
		id, err := strconv.ParseInt(*d.ShippingAddressID, 10, 64)
		if err == nil {
			return rt.addresses[id]
		}
	}
	return nil
}
