package sandbox

import (
	"cmp"
	"crypto/rand"
	"net/http"
	"net/mail"
	"slices"
	"strings"
)

// customer is a Customer; the request body (CustomerBase) decodes into the
// same struct, then the server-managed fields are set.
type customer struct {
	ID                   string   `json:"id"`
	CustomerCode         string   `json:"customer_code"`
	CustomerGroupID      string   `json:"customer_group_id"`
	Name                 *string  `json:"name"`
	FirstName            *string  `json:"first_name"`
	LastName             *string  `json:"last_name"`
	Email                *string  `json:"email"`
	Phone                *string  `json:"phone"`
	Mobile               *string  `json:"mobile"`
	CompanyName          *string  `json:"company_name"`
	Note                 *string  `json:"note"`
	DateOfBirth          *string  `json:"date_of_birth"`
	Gender               *string  `json:"gender"`
	DoNotEmail           bool     `json:"do_not_email"`
	EnableLoyalty        bool     `json:"enable_loyalty"`
	EnablePromotionalSMS bool     `json:"enable_promotional_sms"`
	Balance              float64  `json:"balance"`
	LoyaltyBalance       float64  `json:"loyalty_balance"`
	YearToDate           float64  `json:"year_to_date"`
	OnAccountLimit       *float64 `json:"on_account_limit"`
	TaxID                *string  `json:"tax_id"`
	Website              *string  `json:"website"`
	Twitter              *string  `json:"twitter"`
	Fax                  *string  `json:"fax"`
	PhysicalAddress1     *string  `json:"physical_address_1"`
	PhysicalAddress2     *string  `json:"physical_address_2"`
	PhysicalCity         *string  `json:"physical_city"`
	PhysicalSuburb       *string  `json:"physical_suburb"`
	PhysicalState        *string  `json:"physical_state"`
	PhysicalPostcode     *string  `json:"physical_postcode"`
	PhysicalCountryID    *string  `json:"physical_country_id"`
	PostalAddress1       *string  `json:"postal_address_1"`
	PostalAddress2       *string  `json:"postal_address_2"`
	PostalCity           *string  `json:"postal_city"`
	PostalSuburb         *string  `json:"postal_suburb"`
	PostalState          *string  `json:"postal_state"`
	PostalPostcode       *string  `json:"postal_postcode"`
	PostalCountryID      *string  `json:"postal_country_id"`
	CustomField1         *string  `json:"custom_field_1"`
	CustomField2         *string  `json:"custom_field_2"`
	CustomField3         *string  `json:"custom_field_3"`
	CustomField4         *string  `json:"custom_field_4"`
	CreatedAt            string   `json:"created_at"`
	UpdatedAt            string   `json:"updated_at"`
	DeletedAt            *string  `json:"deleted_at"`
	Version              int64    `json:"version"`
}

func (cu *customer) ver() int64 { return cu.Version }
func (cu *customer) gone() bool { return cu.DeletedAt != nil }

// validate checks a CustomerBase body: first and last name are required.
func (cu *customer) validate() string {
	switch {
	case cu.FirstName == nil || strings.TrimSpace(*cu.FirstName) == "":
		return "first_name is required"
	case cu.LastName == nil || strings.TrimSpace(*cu.LastName) == "":
		return "last_name is required"
	case cu.Gender != nil && *cu.Gender != "M" && *cu.Gender != "F" && *cu.Gender != "":
		return "gender must be M, F or null"
	}
	if cu.Email != nil && *cu.Email != "" {
		if _, err := mail.ParseAddress(*cu.Email); err != nil {
			return "email is not a valid email address"
		}
	}
	return ""
}

// createCustomer is POST /customers → 201 {data: Customer}. Emails are not
// unique in Lightspeed: deduplicating shoppers is the client's job.
func (s *Sandbox) createCustomer(c *call) {
	cu := &customer{}
	if !c.decode(cu) {
		return
	}
	if msg := cu.validate(); msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	cu.ID, cu.CustomerGroupID, cu.DeletedAt = newID(), stableID(c.rt.prefix, "customer_group", "All Customers"), nil
	cu.Balance, cu.LoyaltyBalance, cu.YearToDate = 0, 0, 0
	if cu.CustomerCode == "" {
		cu.CustomerCode = customerCode(*cu.FirstName)
	}
	full := strings.TrimSpace(*cu.FirstName + " " + *cu.LastName)
	cu.Name = &full
	s.saveCustomer(c.rt, cu)
	c.json(http.StatusCreated, map[string]any{"data": cu})
}

// saveCustomer stores a new customer version and announces it.
func (s *Sandbox) saveCustomer(rt *retailer, cu *customer) {
	now := stamp(s.now())
	if cu.CreatedAt == "" {
		cu.CreatedAt = now
	}
	cu.UpdatedAt, cu.Version = now, s.nextVersion()
	rt.customers[cu.ID] = cu
	s.emit(rt, "customer.update", withRetailer(cu, rt.info.ID))
}

// customerCode makes a loyalty code like "Ana-37YP".
func customerCode(first string) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	name := strings.Fields(first)
	if len(name) == 0 {
		return string(b)
	}
	return name[0] + "-" + string(b)
}

func (s *Sandbox) getCustomer(c *call) {
	found(c, c.rt.customers[c.r.PathValue("id")], "customer")
}

func (s *Sandbox) listCustomers(c *call) { list(c, values(c.rt.customers)) }

// liveCustomer returns the customer of a path, answering 404 when there is none.
func (c *call) liveCustomer() *customer {
	cu := c.rt.customers[c.r.PathValue("id")]
	if cu == nil || cu.DeletedAt != nil {
		c.fail(http.StatusNotFound, "customer not found")
		return nil
	}
	return cu
}

// createAddress is POST /customers/{id}/addresses → 201 {data: address + id_token}.
func (s *Sandbox) createAddress(c *call) {
	cu := c.liveCustomer()
	if cu == nil {
		return
	}
	in := addressInput{}
	if !c.decode(&in) {
		return
	}
	if msg := in.validate(); msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	now := stamp(s.now())
	in = in.normalized()
	a := &address{IDToken: randomToken("addr_"), addressView: addressView{ID: s.nextAddressID,
		CustomerID: cu.ID, addressInput: in, CountryName: countryName(in.CountryCode), CreatedAt: now, UpdatedAt: now}}
	s.nextAddressID++
	c.rt.addresses[a.ID] = a
	c.rt.addrTokens[a.IDToken] = a.ID
	c.json(http.StatusCreated, map[string]any{"data": a})
}

// listAddresses is GET /customers/{id}/addresses (no id_token: it is shown once).
func (s *Sandbox) listAddresses(c *call) {
	cu := c.liveCustomer()
	if cu == nil {
		return
	}
	out := []addressView{}
	for _, a := range c.rt.addresses {
		if a.CustomerID == cu.ID {
			out = append(out, a.addressView)
		}
	}
	slices.SortFunc(out, func(a, b addressView) int { return cmp.Compare(a.ID, b.ID) })
	c.data(out)
}
