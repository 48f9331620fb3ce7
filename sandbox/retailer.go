package sandbox

import (
	"net/http"
	"slices"
)

// retailer is one Lightspeed store account (a domain prefix) with everything
// it owns. Reference data keeps creation order; the rest is keyed by id.
type retailer struct {
	prefix string
	info   retailerInfo

	outlets      []*outlet
	registers    []*register
	users        []*user
	paymentTypes []*paymentType
	taxes        []*tax

	products     map[string]*product
	customers    map[string]*customer
	addresses    map[int64]*address
	addrTokens   map[string]int64 // address id_token → id
	sales        map[string]*sale
	fulfillments map[string]*fulfillment
	webhooks     map[string]*webhook

	limit         window // API bucket
	tokenLimit    window // token endpoint bucket
	limitOverride int    // from the control API; 0: 300 × registers + 50
	stats         *stats
	productSeq    int // numbering for AddProducts
}

// retailerInfo is GET /retailer.
type retailerInfo struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	DomainPrefix      string   `json:"domain_prefix"`
	AccountType       string   `json:"account_type"`
	AccountStatus     string   `json:"account_status"`
	Country           string   `json:"country"`
	Culture           string   `json:"culture"`
	Currency          currency `json:"currency"`
	Timezone          string   `json:"timezone"`
	TaxExclusive      bool     `json:"tax_exclusive"`
	NoTaxGroupID      string   `json:"no_tax_group_id"`
	DiscountProductID string   `json:"discount_product_id"`
	StoreURL          string   `json:"store_url"`
	CreatedAt         string   `json:"created_at"`
	Version           string   `json:"version"` // a string in the spec
}

type currency struct {
	Code   string `json:"code"`
	Symbol string `json:"symbol"`
}

// keyValue is an outlet attribute.
type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type outlet struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Currency       string     `json:"currency"`
	CurrencySymbol string     `json:"currency_symbol"`
	DisplayPrices  string     `json:"display_prices"`
	TimeZone       string     `json:"time_zone"`
	DefaultTaxID   string     `json:"default_tax_id"`
	Attributes     []keyValue `json:"attributes"`
	Email          string     `json:"email"`
	Phone          *string    `json:"phone"`
	Address1       *string    `json:"physical_address_1"`
	City           *string    `json:"physical_city"`
	State          *string    `json:"physical_state"`
	Postcode       *string    `json:"physical_postcode"`
	CountryID      *string    `json:"physical_country_id"`
	Version        int64      `json:"version"`
	DeletedAt      *string    `json:"deleted_at"`
}

type register struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	OutletID         string  `json:"outlet_id"`
	IsOpen           bool    `json:"is_open"`
	InvoicePrefix    string  `json:"invoice_prefix"`
	InvoiceSuffix    string  `json:"invoice_suffix"`
	InvoiceSequence  float64 `json:"invoice_sequence"`
	RegisterOpenTime *string `json:"register_open_time"`
	RegisterClose    *string `json:"register_close_time"`
	EmailReceipt     bool    `json:"email_receipt"`
	PrintReceipt     bool    `json:"print_receipt"`
	Version          int64   `json:"version"`
	DeletedAt        *string `json:"deleted_at"`
}

type user struct {
	ID                  string   `json:"id"`
	Username            string   `json:"username"`
	DisplayName         string   `json:"display_name"`
	Email               string   `json:"email"`
	AccountType         string   `json:"account_type"`
	IsPrimaryUser       bool     `json:"is_primary_user"`
	Enabled             bool     `json:"enabled"`
	RestrictedOutletIDs []string `json:"restricted_outlet_ids"`
	CreatedAt           string   `json:"created_at"`
	UpdatedAt           string   `json:"updated_at"`
	Version             int64    `json:"version"`
	DeletedAt           *string  `json:"deleted_at"`
}

type paymentType struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	TypeID    int      `json:"type_id"`
	Disabled  bool     `json:"disabled"`
	Internal  bool     `json:"internal"`
	OutletIDs []string `json:"outlet_ids"`
	Config    any      `json:"config"`
	CreatedAt string   `json:"created_at"`
	Version   int64    `json:"version"`
	DeletedAt *string  `json:"deleted_at"`
}

type taxRate struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	DisplayName string  `json:"display_name"`
	Rate        float64 `json:"rate"`
}

type tax struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	IsDefault   bool      `json:"is_default"`
	Rates       []taxRate `json:"rates"`
	Version     int64     `json:"version"`
	DeletedAt   *string   `json:"deleted_at"`
}

// rate is the tax's total rate (0.1 = 10 %).
func (t *tax) rate() float64 {
	sum := 0.0
	for _, r := range t.Rates {
		sum += r.Rate
	}
	return sum
}

func (o *outlet) ver() int64      { return o.Version }
func (o *outlet) gone() bool      { return o.DeletedAt != nil }
func (r *register) ver() int64    { return r.Version }
func (r *register) gone() bool    { return r.DeletedAt != nil }
func (u *user) ver() int64        { return u.Version }
func (u *user) gone() bool        { return u.DeletedAt != nil }
func (p *paymentType) ver() int64 { return p.Version }
func (p *paymentType) gone() bool { return p.DeletedAt != nil }
func (t *tax) ver() int64         { return t.Version }
func (t *tax) gone() bool         { return t.DeletedAt != nil }

// find returns the live item with the given id.
func find[T interface {
	*E
	versioned
}, E any](items []T, id string, idOf func(T) string) T {
	i := slices.IndexFunc(items, func(it T) bool { return idOf(it) == id && !it.gone() })
	if i < 0 {
		return nil
	}
	return items[i]
}

func (rt *retailer) outlet(id string) *outlet {
	return find(rt.outlets, id, func(o *outlet) string { return o.ID })
}

func (rt *retailer) register(id string) *register {
	return find(rt.registers, id, func(r *register) string { return r.ID })
}

func (rt *retailer) user(id string) *user {
	return find(rt.users, id, func(u *user) string { return u.ID })
}

func (rt *retailer) paymentType(id string) *paymentType {
	return find(rt.paymentTypes, id, func(p *paymentType) string { return p.ID })
}

func (rt *retailer) tax(id string) *tax {
	return find(rt.taxes, id, func(t *tax) string { return t.ID })
}

func (s *Sandbox) getRetailer(c *call)      { c.data(c.rt.info) }
func (s *Sandbox) listOutlets(c *call)      { list(c, c.rt.outlets) }
func (s *Sandbox) listRegisters(c *call)    { list(c, c.rt.registers) }
func (s *Sandbox) listUsers(c *call)        { list(c, c.rt.users) }
func (s *Sandbox) listPaymentTypes(c *call) { list(c, c.rt.paymentTypes) }
func (s *Sandbox) listTaxes(c *call)        { list(c, c.rt.taxes) }

func (s *Sandbox) getOutlet(c *call)   { found(c, c.rt.outlet(c.r.PathValue("id")), "outlet") }
func (s *Sandbox) getRegister(c *call) { found(c, c.rt.register(c.r.PathValue("id")), "register") }
func (s *Sandbox) getUser(c *call)     { found(c, c.rt.user(c.r.PathValue("id")), "user") }

// found answers {"data": v}, or 404 "<noun> not found" when v is nil.
func found[T any](c *call, v *T, noun string) {
	if v == nil {
		c.fail(http.StatusNotFound, noun+" not found")
		return
	}
	c.data(v)
}
