package sync

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// fulfillmentPageSize is the maximum page_size of GET /fulfillments.
const fulfillmentPageSize = 100

// Fulfillment is the versioned aggregation of a sale's items for one outlet
// and one type (PICKUP, DISPATCH, SERVICE), moving through OPEN, STARTED,
// PICKED, PACKED and FULFILLED. Fulfilling moves the stock.
type Fulfillment struct {
	ID                string                `json:"id"`
	SaleID            string                `json:"sale_id"`
	OutletID          string                `json:"outlet_id"`
	Type              string                `json:"type"`
	State             string                `json:"state"`
	UserIDs           []string              `json:"user_ids"`
	Note              string                `json:"note"`
	ShippingAddressID string                `json:"shipping_address_id"`
	LineItems         []FulfillmentLineItem `json:"line_items"`
	CreatedAt         string                `json:"created_at"`
	UpdatedAt         string                `json:"updated_at"`
	Version           int64                 `json:"version"`
}

// UnmarshalJSON reads ids that may be numbers or strings (the schema's
// examples are 17- and 19-digit strings).
func (f *Fulfillment) UnmarshalJSON(b []byte) error {
	type plain Fulfillment
	var v struct {
		plain
		ID                idString `json:"id"`
		ShippingAddressID idString `json:"shipping_address_id"`
		Version           Number   `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Fulfillment(v.plain)
	f.ID, f.ShippingAddressID, f.Version = string(v.ID), string(v.ShippingAddressID), v.Version.Int64()
	return nil
}

// FulfillmentLineItem is one sale line's progress in a fulfillment; the
// quantities arrive as decimal strings.
type FulfillmentLineItem struct {
	SaleLineItemID    string `json:"sale_line_item_id"`
	ProductID         string `json:"product_id"`
	Quantity          Number `json:"quantity"`
	PickedQuantity    Number `json:"picked_quantity"`
	PackedQuantity    Number `json:"packed_quantity"`
	FulfilledQuantity Number `json:"fulfilled_quantity"`
}

// Fulfillments returns the sale's fulfillments (GET /fulfillments?sale_id=,
// page_number pagination, every page).
func (c *Client) Fulfillments(ctx context.Context, t Target, saleID string) ([]Fulfillment, error) {
	op := "list fulfillments of sale " + saleID
	if strings.TrimSpace(saleID) == "" {
		return nil, &Error{Kind: KindRejected, Op: op, Message: "empty sale id"}
	}
	var all []Fulfillment
	for page := 1; ; page++ {
		q := url.Values{"sale_id": {saleID}, "page_number": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(fulfillmentPageSize)}}
		items, err := getData[[]Fulfillment](ctx, c, t, apiRequest{op: op, method: http.MethodGet, path: "/fulfillments", query: q})
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < fulfillmentPageSize {
			return all, nil
		}
	}
}
