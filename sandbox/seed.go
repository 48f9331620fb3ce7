package sandbox

import (
	"strconv"
	"strings"
)

// Retailer is a snapshot of a sandbox retailer: the ids a test needs to
// build requests. Changing it changes nothing in the sandbox.
type Retailer struct {
	ID, DomainPrefix string
	OutletIDs        []string
	RegisterIDs      []string
	UserIDs          []string
	PaymentTypeIDs   []string // enabled ones
	TaxID            string   // the default tax
	NoTaxID          string   // "No Tax", for tax-free lines
	ProductIDs       []string // live products by version, the discount product excluded
}

// AddRetailer adds a retailer with one outlet, one register, one admin user,
// a Cash payment type, "No Tax" and a 10 % "Sales Tax" (the default), and
// the discount product every Lightspeed store has. Ids derive from the
// domain prefix, so they are the same on every run. An existing retailer is
// left as is. It returns nil for an empty or path-unsafe prefix.
func (s *Sandbox) AddRetailer(domainPrefix string) *Retailer {
	if domainPrefix == "" || strings.ContainsAny(domainPrefix, "/?#% ") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addRetailer(domainPrefix)
	return s.snapshot(domainPrefix)
}

// Retailer returns a snapshot of the retailer with that domain prefix.
func (s *Sandbox) Retailer(domainPrefix string) (*Retailer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retailers[domainPrefix] == nil {
		return nil, false
	}
	return s.snapshot(domainPrefix), true
}

func (s *Sandbox) snapshot(prefix string) *Retailer {
	rt := s.retailers[prefix]
	out := &Retailer{ID: rt.info.ID, DomainPrefix: prefix, TaxID: defaultTaxID(rt), NoTaxID: rt.info.NoTaxGroupID}
	for _, o := range rt.outlets {
		out.OutletIDs = append(out.OutletIDs, o.ID)
	}
	for _, r := range rt.registers {
		out.RegisterIDs = append(out.RegisterIDs, r.ID)
	}
	for _, u := range rt.users {
		out.UserIDs = append(out.UserIDs, u.ID)
	}
	for _, p := range rt.paymentTypes {
		if !p.Disabled {
			out.PaymentTypeIDs = append(out.PaymentTypeIDs, p.ID)
		}
	}
	products, _ := page(values(rt.products), cursor{size: maxPageSize})
	for _, p := range products {
		if p.ID != rt.info.DiscountProductID {
			out.ProductIDs = append(out.ProductIDs, p.ID)
		}
	}
	return out
}

// addRetailer creates the retailer's skeleton; the caller holds s.mu.
func (s *Sandbox) addRetailer(prefix string) *retailer {
	if rt := s.retailers[prefix]; rt != nil {
		return rt
	}
	id := func(parts ...string) string { return stableID(append([]string{prefix}, parts...)...) }
	now := stamp(s.now())
	rt := &retailer{prefix: prefix, products: map[string]*product{}, customers: map[string]*customer{},
		addresses: map[int64]*address{}, addrTokens: map[string]int64{}, sales: map[string]*sale{},
		fulfillments: map[string]*fulfillment{}, webhooks: map[string]*webhook{}, stats: newStats()}
	rt.info = retailerInfo{ID: id("retailer"), Name: prefix, DomainPrefix: prefix, AccountType: "retail",
		AccountStatus: "active", Country: "US", Culture: "en-US", Currency: currency{Code: "USD", Symbol: "$"},
		Timezone: "America/Los_Angeles", TaxExclusive: true, NoTaxGroupID: id("tax", "No Tax"),
		DiscountProductID: id("product", "discount"), StoreURL: "https://" + prefix + ".retail.lightspeed.app",
		CreatedAt: now}
	s.retailers[prefix] = rt
	s.prefixes = append(s.prefixes, prefix)
	s.addTax(rt, "No Tax", false, taxRate{Name: "No Tax", Rate: 0})
	s.addTax(rt, "Sales Tax", true, taxRate{Name: "Sales Tax", Rate: 0.1})
	o := s.addOutlet(rt, "Main Outlet", "MAIN")
	s.addRegister(rt, "Main Register", o.ID, "MR-")
	s.addUser(rt, "admin", "Store Admin", "admin", true)
	s.addPaymentType(rt, "Cash", 1, false)
	s.putProduct(rt, productSpec{Name: "Discount", SKU: "vend-discount", TaxID: rt.info.NoTaxGroupID,
		PriceExcludingTax: number{set: true}}, rt.info.DiscountProductID)
	rt.info.Version = strconv.FormatInt(s.nextVersion(), 10)
	return rt
}

func (s *Sandbox) addTax(rt *retailer, name string, isDefault bool, rates ...taxRate) *tax {
	t := &tax{ID: stableID(rt.prefix, "tax", name), Name: name, DisplayName: name, IsDefault: isDefault,
		Version: s.nextVersion()}
	for _, r := range rates {
		r.ID, r.DisplayName = stableID(rt.prefix, "tax", name, "rate", r.Name), r.Name
		t.Rates = append(t.Rates, r)
	}
	rt.taxes = append(rt.taxes, t)
	return t
}

func (s *Sandbox) addOutlet(rt *retailer, name, orderPrefix string) *outlet {
	o := &outlet{ID: stableID(rt.prefix, "outlet", name), Name: name, Currency: "USD", CurrencySymbol: "$",
		DisplayPrices: "exclusive", TimeZone: rt.info.Timezone, DefaultTaxID: defaultTaxID(rt),
		Attributes: []keyValue{{Key: "order_reference_prefix", Value: orderPrefix}},
		Email:      strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@" + rt.prefix + ".example",
		Version:    s.nextVersion()}
	rt.outlets = append(rt.outlets, o)
	return o
}

func (s *Sandbox) addRegister(rt *retailer, name, outletID, invoicePrefix string) *register {
	opened := stamp(s.now())
	r := &register{ID: stableID(rt.prefix, "register", name), Name: name, OutletID: outletID, IsOpen: true,
		InvoicePrefix: invoicePrefix, InvoiceSequence: 1000, RegisterOpenTime: &opened,
		PrintReceipt: true, Version: s.nextVersion()}
	rt.registers = append(rt.registers, r)
	return r
}

func (s *Sandbox) addUser(rt *retailer, username, display, accountType string, primary bool) *user {
	now := stamp(s.now())
	u := &user{ID: stableID(rt.prefix, "user", username), Username: username, DisplayName: display,
		Email: username + "@" + rt.prefix + ".example", AccountType: accountType, IsPrimaryUser: primary,
		Enabled: true, RestrictedOutletIDs: []string{}, CreatedAt: now, UpdatedAt: now, Version: s.nextVersion()}
	rt.users = append(rt.users, u)
	return u
}

func (s *Sandbox) addPaymentType(rt *retailer, name string, typeID int, disabled bool) *paymentType {
	p := &paymentType{ID: stableID(rt.prefix, "payment_type", name), Name: name, TypeID: typeID,
		Disabled: disabled, OutletIDs: []string{}, CreatedAt: stamp(s.now()), Version: s.nextVersion()}
	rt.paymentTypes = append(rt.paymentTypes, p)
	return p
}
