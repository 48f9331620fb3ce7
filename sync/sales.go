package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sale states (state field; the OpenAPI document's Sale.state enum,
// testdata/x-series-openapi.json).
const (
	StateParked  = "parked"
	StatePending = "pending"
	StateVoided  = "voided"
	StateClosed  = "closed"
)

// Sale attributes: pickup ⊕ delivery, onaccount ⊕ layby, service.
const (
	AttributePickup    = "pickup"
	AttributeDelivery  = "delivery"
	AttributeOnAccount = "onaccount"
	AttributeLayby     = "layby"
	AttributeService   = "service"
)

// Fulfillment methods for FulfillmentDetail.Type and LineItemMetadata.FulfillmentMethod.
const (
	FulfillmentPickup   = "PICKUP"
	FulfillmentDispatch = "DISPATCH"
)

// SaleFields are what a sale is created with (SaleRequest) and changed
// with (SaleUpdate). Source (with AuthorID) and State are required in both.
type SaleFields struct {
	// Source attributes the sale to a user and register and carries our
	// order id (Source.ID) and system name (Source.Type).
	Source SaleSource
	// State is parked, pending, voided or closed.
	State string
	// Attributes qualify the state, e.g. ["pickup"].
	Attributes []string
	CustomerID string
	// Date is sent as RFC3339 UTC; zero means "when Lightspeed receives it".
	Date time.Time
	Note string
	// InvoiceNumber empty lets Lightspeed take the register's next number.
	InvoiceNumber string
	// FulfillmentOutletID is the outlet fulfilling lines that name none.
	FulfillmentOutletID string
	FulfillmentDetails  []FulfillmentDetail
	LineItems           []LineItemInput
	// Payments are optional.
	Payments []PaymentInput
}

// SaleRequest creates a sale (POST /sales, schema SaleRequest).
type SaleRequest struct {
	// ID is our own sale UUID, persisted before sending: the only
	// idempotency handle there is (GET /sales/{id} before any retry).
	ID string
	SaleFields
}

// SaleUpdate changes a sale (PUT /sales/{sale_id}, schema SaleUpdateRequest).
// The schema requires Source.AuthorID and State here too, so a void is
// {Source: {AuthorID: …}, State: StateVoided}. Whether fields left out are
// kept or cleared is not documented; nil slices are left out,
// empty ones are sent as [].
type SaleUpdate SaleFields

// SaleSource says where a sale comes from. In requests AuthorID is the
// user the sale is attributed to; in responses it is read from author.id,
// and OutletID (response only) is filled in.
type SaleSource struct {
	AuthorID   string `json:"author_id"`
	RegisterID string `json:"register_id,omitempty"`
	// ID is the sale's id in the external system (our order id).
	ID string `json:"id,omitempty"`
	// Type names the external system.
	Type     string `json:"type,omitempty"`
	OutletID string `json:"-"`
}

// UnmarshalJSON reads the response shape ({author:{id}, outlet_id, …}), the
// request shape (author_id) and the legacy string form ("USER").
func (s *SaleSource) UnmarshalJSON(b []byte) error {
	var legacy string
	if json.Unmarshal(b, &legacy) == nil {
		*s = SaleSource{Type: legacy}
		return nil
	}
	var v struct {
		AuthorID string `json:"author_id"`
		Author   struct {
			ID string `json:"id"`
		} `json:"author"`
		RegisterID string   `json:"register_id"`
		OutletID   string   `json:"outlet_id"`
		ID         idString `json:"id"`
		Type       string   `json:"type"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = SaleSource{AuthorID: v.AuthorID, RegisterID: v.RegisterID, OutletID: v.OutletID, ID: string(v.ID), Type: v.Type}
	if s.AuthorID == "" {
		s.AuthorID = v.Author.ID
	}
	return nil
}

// FulfillmentDetail says how a sale is fulfilled. DISPATCH needs a shipping
// address: ShippingAddressID (the address id as text) or its token.
type FulfillmentDetail struct {
	Type                 string `json:"type"`
	Note                 string `json:"note,omitempty"`
	ShippingAddressID    string `json:"shipping_address_id,omitempty"`
	ShippingAddressToken string `json:"shipping_address_token,omitempty"`
}

// LineItemInput is a sale line in a request (schema SaleLineItem).
type LineItemInput struct {
	// ID names an existing line to update instead of adding one.
	ID       string       `json:"id,omitempty"`
	Product  ProductRef   `json:"product"`
	Quantity Number       `json:"quantity"`
	Pricing  PricingInput `json:"pricing"`
	Tax      TaxInput     `json:"tax"`
	// Status CONFIRMED makes the line read-only on a pending sale.
	Status string `json:"status,omitempty"`
	// FulfilmentOutletID is spelled with one "l", as Lightspeed spells it on lines.
	FulfilmentOutletID string              `json:"fulfilment_outlet_id,omitempty"`
	Metadata           *LineItemMetadata   `json:"_metadata,omitempty"`
	Attributes         []LineItemAttribute `json:"attributes,omitempty"`
}

// ProductRef names a product.
type ProductRef struct {
	ID string `json:"id"`
}

// PricingInput is a line's unit pricing. Price is the unit price excluding
// tax (inferred from Lightspeed's Sales 101 example, price 12 with tax 1.8:
// https://x-series-api.lightspeedhq.com/docs/sales_101_date_versioned).
type PricingInput struct {
	Price         Number `json:"price"`
	Cost          Number `json:"cost,omitempty"`
	Discount      Number `json:"discount,omitempty"`
	LoyaltyAmount Number `json:"loyalty_amount,omitempty"`
}

// TaxInput is a line's tax: the tax id (the "No Tax" id for tax-free lines)
// and the unit tax amount.
type TaxInput struct {
	ID     string `json:"id"`
	Amount Number `json:"amount"`
}

// LineItemMetadata steers how Lightspeed treats a line.
type LineItemMetadata struct {
	// FulfillmentMethod (PICKUP or DISPATCH) is honoured on create only.
	FulfillmentMethod string `json:"fulfillment_method,omitempty"`
	// IsPriceOverride stops Lightspeed recomputing the price from the product.
	IsPriceOverride bool `json:"is_price_override,omitempty"`
	// Sequence orders the lines.
	Sequence *int `json:"sequence,omitempty"`
}

// LineItemAttribute is a line attribute; name "line_note" is the line note.
type LineItemAttribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PaymentInput is a payment in a request (schema SalePayment).
type PaymentInput struct {
	ID     string `json:"id,omitempty"`
	Amount Number `json:"amount"`
	// Type.ConfigID is a PaymentType.ID.
	Type PaymentTypeRef `json:"type"`
	// Date is sent as RFC3339 UTC.
	Date                time.Time      `json:"-"`
	Source              *PaymentSource `json:"source,omitempty"`
	BillingAddressID    string         `json:"billing_address_id,omitempty"`
	BillingAddressToken string         `json:"billing_address_token,omitempty"`
}

// MarshalJSON writes Date as RFC3339 UTC.
func (p PaymentInput) MarshalJSON() ([]byte, error) {
	type plain PaymentInput
	return json.Marshal(struct {
		plain
		Date string `json:"date,omitempty"`
	}{plain(p), formatTime(p.Date)})
}

// PaymentTypeRef names a payment type by its config id.
type PaymentTypeRef struct {
	ConfigID string `json:"config_id"`
}

// PaymentSource is the register a payment was taken on.
type PaymentSource struct {
	RegisterID string `json:"register_id,omitempty"`
}

// Sale is a sale as Lightspeed returns it (schema Sale, read defensively:
// legacy fields are understood too).
type Sale struct {
	ID         string   `json:"id"`
	State      string   `json:"state"`
	Attributes []string `json:"attributes"`
	// Status is the deprecated legacy status (e.g. AWAITING_PICKUP), when
	// sent. A sale with a Status but no State gets State and Attributes
	// derived from it.
	Status        string     `json:"status"`
	CustomerID    string     `json:"customer_id"`
	Date          string     `json:"date"`
	Note          string     `json:"note"`
	InvoiceNumber string     `json:"invoice_number"`
	ReceiptNumber string     `json:"receipt_number"`
	Source        SaleSource `json:"source"`
	LineItems     []LineItem `json:"line_items"`
	Payments      []Payment  `json:"payments"`
	Totals        SaleTotals `json:"totals"`
	// Version is bumped on every change; from version or _metadata.version.
	Version   int64  `json:"-"`
	DeletedAt string `json:"deleted_at"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// LineItem is a sale line in a response.
type LineItem struct {
	ID       string            `json:"id"`
	Product  ProductRef        `json:"product"`
	Quantity Number            `json:"quantity"`
	Pricing  LineItemPricing   `json:"pricing"`
	Tax      LineItemTax       `json:"tax"`
	Status   string            `json:"status"`
	Note     string            `json:"note"`
	Metadata *LineItemMetadata `json:"_metadata"`
}

// LineItemPricing is a line's unit values and totals.
type LineItemPricing struct {
	Price              Number `json:"price"`
	Total              Number `json:"total"`
	Cost               Number `json:"cost"`
	CostTotal          Number `json:"cost_total"`
	Discount           Number `json:"discount"`
	DiscountTotal      Number `json:"discount_total"`
	LoyaltyAmount      Number `json:"loyalty_amount"`
	LoyaltyAmountTotal Number `json:"loyalty_amount_total"`
}

// LineItemTax is a line's tax: unit amount and total.
type LineItemTax struct {
	ID     string `json:"id"`
	Amount Number `json:"amount"`
	Total  Number `json:"total"`
}

// Payment is a payment in a response.
type Payment struct {
	ID        string      `json:"id"`
	Amount    Number      `json:"amount"`
	Date      string      `json:"date"`
	DeletedAt string      `json:"deleted_at"`
	Type      PaymentKind `json:"type"`
	Source    struct {
		OutletID   string `json:"outlet_id"`
		RegisterID string `json:"register_id"`
	} `json:"source"`
}

// PaymentKind is the payment type of a payment in a response.
type PaymentKind struct {
	ConfigID string `json:"config_id"`
	ID       string `json:"id"`
	Name     string `json:"name"`
}

// SaleTotals are a sale's totals; Price excludes tax.
type SaleTotals struct {
	Price        Number `json:"price"`
	PriceInclTax Number `json:"price_incl_tax"`
	Tax          Number `json:"tax"`
	Loyalty      Number `json:"loyalty"`
	Surcharge    Number `json:"surcharge"`
}

// legacyStatuses maps the deprecated status to state and attribute
// (https://x-series-api.lightspeedhq.com/docs/sales_states_and_attributes).
var legacyStatuses = map[string][2]string{
	"SAVED": {StateParked, ""}, "OPEN": {StatePending, ""}, "CLOSED": {StateClosed, ""}, "VOIDED": {StateVoided, ""},
	"ONACCOUNT": {StatePending, AttributeOnAccount}, "ONACCOUNT_CLOSED": {StateClosed, AttributeOnAccount},
	"LAYBY": {StatePending, AttributeLayby}, "LAYBY_CLOSED": {StateClosed, AttributeLayby},
	"AWAITING_DISPATCH": {StatePending, AttributeDelivery}, "DISPATCHED_CLOSED": {StateClosed, AttributeDelivery},
	"AWAITING_PICKUP": {StatePending, AttributePickup}, "PICKED_UP_CLOSED": {StateClosed, AttributePickup},
	"SERVICE": {StatePending, AttributeService}, "SERVICE_CLOSED": {StateClosed, AttributeService},
}

// UnmarshalJSON reads the version from either place and understands the
// legacy fields (status, register_id, user_id).
func (s *Sale) UnmarshalJSON(b []byte) error {
	type plain Sale
	var v struct {
		plain
		Version  Number `json:"version"`
		Metadata struct {
			Version Number `json:"version"`
		} `json:"_metadata"`
		RegisterID string `json:"register_id"`
		UserID     string `json:"user_id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Sale(v.plain)
	s.Version = max(v.Version.Int64(), v.Metadata.Version.Int64())
	if s.Source.RegisterID == "" {
		s.Source.RegisterID = v.RegisterID
	}
	if s.Source.AuthorID == "" {
		s.Source.AuthorID = v.UserID
	}
	if m, ok := legacyStatuses[s.Status]; ok && s.State == "" {
		s.State = m[0]
		if m[1] != "" && len(s.Attributes) == 0 {
			s.Attributes = []string{m[1]}
		}
	}
	return nil
}

// saleBody is the wire form of SaleRequest and SaleUpdate.
type saleBody struct {
	ID                  string              `json:"id,omitempty"`
	Source              SaleSource          `json:"source"`
	State               string              `json:"state"`
	Attributes          []string            `json:"attributes,omitzero"`
	CustomerID          string              `json:"customer_id,omitempty"`
	Date                string              `json:"date,omitempty"`
	Note                string              `json:"note,omitempty"`
	InvoiceNumber       string              `json:"invoice_number,omitempty"`
	FulfillmentOutletID string              `json:"fulfillment_outlet_id,omitempty"`
	FulfillmentDetails  []FulfillmentDetail `json:"fulfillment_details,omitzero"`
	LineItems           []LineItemInput     `json:"line_items,omitzero"`
	Payments            []PaymentInput      `json:"payments,omitzero"`
}

// body is the wire form of the fields, with id when one is given.
func (f SaleFields) body(id string) saleBody {
	return saleBody{ID: id, Source: f.Source, State: f.State, Attributes: f.Attributes,
		CustomerID: f.CustomerID, Date: formatTime(f.Date), Note: f.Note, InvoiceNumber: f.InvoiceNumber,
		FulfillmentOutletID: f.FulfillmentOutletID, FulfillmentDetails: f.FulfillmentDetails,
		LineItems: f.LineItems, Payments: f.Payments}
}

// MarshalJSON writes the request as Lightspeed expects it.
func (r SaleRequest) MarshalJSON() ([]byte, error) { return json.Marshal(r.body(r.ID)) }

// MarshalJSON writes the update as Lightspeed expects it.
func (u SaleUpdate) MarshalJSON() ([]byte, error) { return json.Marshal(SaleFields(u).body("")) }

// check refuses, before spending rate budget on it, a sale Lightspeed's
// schema would refuse for missing required fields.
func (f SaleFields) check() error {
	var errs []error
	if f.Source.AuthorID == "" {
		errs = append(errs, errors.New("source.author_id is required"))
	}
	if f.State == "" {
		errs = append(errs, errors.New("state is required"))
	}
	for i, l := range f.LineItems {
		if l.Product.ID == "" || l.Tax.ID == "" || l.Quantity == "" || l.Pricing.Price == "" || l.Tax.Amount == "" {
			errs = append(errs, fmt.Errorf("line_items[%d]: product.id, quantity, pricing.price, tax.id and tax.amount are required", i))
		}
	}
	for i, p := range f.Payments {
		if p.Amount == "" || p.Type.ConfigID == "" {
			errs = append(errs, fmt.Errorf("payments[%d]: amount and type.config_id are required", i))
		}
	}
	return errors.Join(errs...)
}

func saleOp(verb, id string) string {
	if id == "" {
		return verb + " sale"
	}
	return verb + " sale " + id
}

// CreateSale creates a sale. What Lightspeed does with an ID it already has
// is UNCONFIRMED; look the sale up with GetSale before retrying.
func (c *Client) CreateSale(ctx context.Context, t Target, r SaleRequest) (Sale, error) {
	op := saleOp("create", r.ID)
	if err := r.check(); err != nil {
		return Sale{}, &Error{Kind: KindRejected, Op: op, Err: err}
	}
	return getData[Sale](ctx, c, t, apiRequest{op: op, method: http.MethodPost, path: "/sales", body: r})
}

// GetSale returns the sale; IsNotFound(err) when it does not exist.
func (c *Client) GetSale(ctx context.Context, t Target, id string) (Sale, error) {
	return getData[Sale](ctx, c, t, apiRequest{op: saleOp("get", id), method: http.MethodGet,
		path: "/sales/{sale_id}", args: []string{id}})
}

// UpdateSale changes the sale, e.g. voids it (State: StateVoided).
func (c *Client) UpdateSale(ctx context.Context, t Target, id string, u SaleUpdate) (Sale, error) {
	op := saleOp("update", id)
	if err := SaleFields(u).check(); err != nil {
		return Sale{}, &Error{Kind: KindRejected, Op: op, Err: err}
	}
	return getData[Sale](ctx, c, t, apiRequest{op: op, method: http.MethodPut,
		path: "/sales/{sale_id}", args: []string{id}, body: u})
}

// SalePage is one page of the sales change feed.
type SalePage struct {
	Sales []Sale
	// MaxVersion is the cursor for the next page (never below the after
	// it was asked with); persist it per retailer.
	MaxVersion int64
}

// SalesAfter returns sales changed after version after, at most pageSize of
// them (0: default); an empty page means the feed is caught up. The
// 2026-07 GET /sales takes no deleted parameter, so none is sent.
func (c *Client) SalesAfter(ctx context.Context, t Target, after int64, pageSize int) (SalePage, error) {
	sales, next, err := getPage[Sale](ctx, c, t, apiRequest{op: "list sales", method: http.MethodGet, path: "/sales"}, after, pageSize)
	return SalePage{Sales: sales, MaxVersion: next}, err
}
