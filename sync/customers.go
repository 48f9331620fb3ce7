package sync

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Customer is a store customer as Lightspeed returns it.
type Customer struct {
	ID              string `json:"id"`
	CustomerCode    string `json:"customer_code"`
	CustomerGroupID string `json:"customer_group_id"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	CompanyName     string `json:"company_name"`
	Email           string `json:"email"`
	Phone           string `json:"phone"`
	Mobile          string `json:"mobile"`
	Note            string `json:"note"`
	Balance         Number `json:"balance"`
	LoyaltyBalance  Number `json:"loyalty_balance"`
	DeletedAt       string `json:"deleted_at"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       string `json:"updated_at"`
	Version         int64  `json:"version"`
}

// CustomerInput creates a customer (POST /customers, schema CustomerBase).
// FirstName and LastName are required by the schema and always sent.
type CustomerInput struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	// DateOfBirth is YYYY-MM-DD.
	DateOfBirth     string `json:"date_of_birth,omitempty"`
	Mobile          string `json:"mobile,omitempty"`
	CompanyName     string `json:"company_name,omitempty"`
	Note            string `json:"note,omitempty"`
	CustomerCode    string `json:"customer_code,omitempty"`
	CustomerGroupID string `json:"customer_group_id,omitempty"`
	// DoNotEmail opts the customer out of email; nil leaves the default.
	DoNotEmail *bool `json:"do_not_email,omitempty"`
	// EnableLoyalty nil leaves the store's default.
	EnableLoyalty     *bool  `json:"enable_loyalty,omitempty"`
	PhysicalAddress1  string `json:"physical_address_1,omitempty"`
	PhysicalAddress2  string `json:"physical_address_2,omitempty"`
	PhysicalSuburb    string `json:"physical_suburb,omitempty"`
	PhysicalCity      string `json:"physical_city,omitempty"`
	PhysicalPostcode  string `json:"physical_postcode,omitempty"`
	PhysicalState     string `json:"physical_state,omitempty"`
	PhysicalCountryID string `json:"physical_country_id,omitempty"`
}

// Address types for AddressInput.Type.
const (
	AddressBilling  = "BILLING"
	AddressShipping = "SHIPPING"
)

// AddressInput adds a structured address to a customer
// (POST /customers/{customer_id}/addresses, schema CustomerAddressBase).
// AddressLine1 (≤50), City (≤28), Postcode, CountryCode (ISO-2) and Type
// are required; StateCode is required for US and CA. Since 2026-07
// postcodes are validated per country, so a 400 here is a bad address.
type AddressInput struct {
	AddressLine1 string `json:"address_line_1"`
	AddressLine2 string `json:"address_line_2,omitempty"`
	Suburb       string `json:"suburb,omitempty"`
	City         string `json:"city"`
	State        string `json:"state,omitempty"`
	StateCode    string `json:"state_code,omitempty"`
	Postcode     string `json:"postcode"`
	CountryCode  string `json:"country_code"`
	Type         string `json:"type"`
}

// Address is a customer's structured address. ID or IDToken goes into a
// sale's fulfillment_details[].shipping_address_id / _token.
type Address struct {
	// ID is the address id. The schema types it int64 here but string in
	// FulfillmentDetail.shipping_address_id, so it is kept as its decimal
	// text, read from either form.
	ID           string `json:"id"`
	IDToken      string `json:"id_token"`
	CustomerID   string `json:"customer_id"`
	AddressLine1 string `json:"address_line_1"`
	AddressLine2 string `json:"address_line_2"`
	Suburb       string `json:"suburb"`
	City         string `json:"city"`
	State        string `json:"state"`
	StateCode    string `json:"state_code"`
	Postcode     string `json:"postcode"`
	CountryCode  string `json:"country_code"`
	Type         string `json:"type"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
}

// UnmarshalJSON reads the address id whether it is a number or a string.
func (a *Address) UnmarshalJSON(b []byte) error {
	type plain Address
	var v struct {
		plain
		ID idString `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = Address(v.plain)
	a.ID = string(v.ID)
	return nil
}

// searchPageSize bounds a customer search; one email rarely matches more.
const searchPageSize = 100

// SearchCustomersByEmail returns the customers whose email is email (case
// aside), via GET /search?type=customers&email= (offset-paginated; only the
// first 100 matches are looked at). Newly created customers may take a moment to
// become searchable (UNCONFIRMED), so callers should remember what they
// created.
func (c *Client) SearchCustomersByEmail(ctx context.Context, t Target, email string) ([]Customer, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, &Error{Kind: KindRejected, Op: "search customers", Message: "empty email"}
	}
	q := url.Values{"type": {"customers"}, "email": {email}, "page_size": {strconv.Itoa(searchPageSize)}, "offset": {"0"}}
	found, err := getData[[]Customer](ctx, c, t, apiRequest{op: "search customers", method: http.MethodGet, path: "/search", query: q})
	// Whether the search matches exactly or by prefix is not documented;
	// keep only the same address.
	return slices.DeleteFunc(found, func(cu Customer) bool {
		return !strings.EqualFold(strings.TrimSpace(cu.Email), email)
	}), err
}

// CreateCustomer creates a customer.
func (c *Client) CreateCustomer(ctx context.Context, t Target, in CustomerInput) (Customer, error) {
	return getData[Customer](ctx, c, t, apiRequest{op: "create customer", method: http.MethodPost, path: "/customers", body: in})
}

// AddCustomerAddress adds a structured address to the customer.
func (c *Client) AddCustomerAddress(ctx context.Context, t Target, customerID string, in AddressInput) (Address, error) {
	return getData[Address](ctx, c, t, apiRequest{op: "add customer address", method: http.MethodPost,
		path: "/customers/{customer_id}/addresses", args: []string{customerID}, body: in})
}
