package sync

import (
	"context"
	"encoding/json"
	"net/http"
)

// Retailer is the store's account settings (GET /retailer).
type Retailer struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	DomainPrefix string `json:"domain_prefix"`
	// TaxExclusive says whether the store shows prices without tax.
	TaxExclusive bool             `json:"tax_exclusive"`
	Timezone     string           `json:"timezone"`
	Currency     RetailerCurrency `json:"currency"`
	// NoTaxGroupID is the "No Tax" tax id for tax-free lines.
	NoTaxGroupID      string `json:"no_tax_group_id"`
	DiscountProductID string `json:"discount_product_id"`
	Country           string `json:"country"`
	Culture           string `json:"culture"`
	AccountStatus     string `json:"account_status"`
	StoreURL          string `json:"store_url"`
}

// RetailerCurrency is the store's currency.
type RetailerCurrency struct {
	Code   string `json:"code"`
	Symbol string `json:"symbol"`
}

// Outlet is a physical store location (GET /outlets).
type Outlet struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Currency       string `json:"currency"`
	CurrencySymbol string `json:"currency_symbol"`
	// DisplayPrices is "inclusive" or "exclusive" of tax.
	DisplayPrices string `json:"display_prices"`
	TimeZone      string `json:"time_zone"`
	// DefaultTaxID is deprecated by Lightspeed but still sent.
	DefaultTaxID      string            `json:"default_tax_id"`
	Attributes        []OutletAttribute `json:"attributes"`
	Email             string            `json:"email"`
	Phone             string            `json:"phone"`
	PhysicalAddress1  string            `json:"physical_address_1"`
	PhysicalAddress2  string            `json:"physical_address_2"`
	PhysicalSuburb    string            `json:"physical_suburb"`
	PhysicalCity      string            `json:"physical_city"`
	PhysicalPostcode  string            `json:"physical_postcode"`
	PhysicalState     string            `json:"physical_state"`
	PhysicalCountryID string            `json:"physical_country_id"`
	DeletedAt         string            `json:"deleted_at"`
	Version           int64             `json:"version"`
}

// OutletAttribute is an outlet setting such as order_reference_prefix.
type OutletAttribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Register is a till in an outlet (GET /registers).
type Register struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	OutletID         string `json:"outlet_id"`
	IsOpen           bool   `json:"is_open"`
	InvoicePrefix    string `json:"invoice_prefix"`
	InvoiceSuffix    string `json:"invoice_suffix"`
	InvoiceSequence  Number `json:"invoice_sequence"`
	RegisterOpenTime string `json:"register_open_time"`
	DeletedAt        string `json:"deleted_at"`
	Version          int64  `json:"version"`
}

// User is a store user; a sale's source.author_id names one (GET /users).
type User struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	// AccountType is cashier, manager or admin.
	AccountType         string   `json:"account_type"`
	IsPrimaryUser       bool     `json:"is_primary_user"`
	RestrictedOutletIDs []string `json:"restricted_outlet_ids"`
	DeletedAt           string   `json:"deleted_at"`
	Version             int64    `json:"version"`
}

// PaymentType is a configured way to pay; its ID goes into a sale payment's
// type.config_id (GET /payment_types). TypeID is not unique.
type PaymentType struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	TypeID    Number          `json:"type_id"`
	Disabled  bool            `json:"disabled"`
	Internal  bool            `json:"internal"`
	OutletIDs []string        `json:"outlet_ids"`
	Config    json.RawMessage `json:"config"`
	DeletedAt string          `json:"deleted_at"`
	Version   int64           `json:"version"`
}

// Tax is a tax (group) whose ID goes into a sale line's tax.id (GET /taxes).
type Tax struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	IsDefault   bool      `json:"is_default"`
	Rates       []TaxRate `json:"rates"`
	DeletedAt   string    `json:"deleted_at"`
	Version     int64     `json:"version"`
}

// TaxRate is one component rate of a tax, e.g. 0.15 for 15 %.
type TaxRate struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Rate        Number `json:"rate"`
}

// Retailer returns the store's settings.
func (c *Client) Retailer(ctx context.Context, t Target) (Retailer, error) {
	return getData[Retailer](ctx, c, t, apiRequest{op: "get retailer", method: http.MethodGet, path: "/retailer"})
}

// Outlets returns every outlet.
func (c *Client) Outlets(ctx context.Context, t Target) ([]Outlet, error) {
	return listAll[Outlet](ctx, c, t, apiRequest{op: "list outlets", method: http.MethodGet, path: "/outlets"})
}

// Registers returns every register.
func (c *Client) Registers(ctx context.Context, t Target) ([]Register, error) {
	return listAll[Register](ctx, c, t, apiRequest{op: "list registers", method: http.MethodGet, path: "/registers"})
}

// Users returns every user.
func (c *Client) Users(ctx context.Context, t Target) ([]User, error) {
	return listAll[User](ctx, c, t, apiRequest{op: "list users", method: http.MethodGet, path: "/users"})
}

// PaymentTypes returns every payment type.
func (c *Client) PaymentTypes(ctx context.Context, t Target) ([]PaymentType, error) {
	return listAll[PaymentType](ctx, c, t, apiRequest{op: "list payment types", method: http.MethodGet, path: "/payment_types"})
}

// Taxes returns every tax.
func (c *Client) Taxes(ctx context.Context, t Target) ([]Tax, error) {
	return listAll[Tax](ctx, c, t, apiRequest{op: "list taxes", method: http.MethodGet, path: "/taxes"})
}
