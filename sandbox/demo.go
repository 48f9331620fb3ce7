package sandbox

// DemoPrefix is the domain prefix of the demo retailer, DemoPersonalToken
// the personal token that grants access to it.
const (
	DemoPrefix        = "demo"
	DemoPersonalToken = "lsxs_pt_demo"
)

// demoProduct is one line of the demo catalog.
type demoProduct struct {
	name, sku, category, brand string
	price                      float64
	cannabis                   bool // taxed with the cannabis tax, else sales tax only
}

var demoCatalog = []demoProduct{
	{"Blue Dream 3.5g", "FL-BD-35", "Flower", "Cascade Farms", 35, true},
	{"Blue Dream 7g", "FL-BD-7", "Flower", "Cascade Farms", 65, true},
	{"Gelato #41 3.5g", "FL-GL-35", "Flower", "Cascade Farms", 45, true},
	{"OG Kush 3.5g", "FL-OG-35", "Flower", "Olympic Growers", 40, true},
	{"Sour Diesel 3.5g", "FL-SD-35", "Flower", "Olympic Growers", 38, true},
	{"Wedding Cake 1g", "FL-WC-1", "Flower", "Olympic Growers", 14, true},
	{"Granddaddy Purple 14g", "FL-GDP-14", "Flower", "Cascade Farms", 110, true},
	{"Blue Dream Pre-Roll 1g", "PR-BD-1", "Pre-Rolls", "Cascade Farms", 10, true},
	{"Jack Herer Pre-Roll 5-Pack", "PR-JH-5", "Pre-Rolls", "Olympic Growers", 35, true},
	{"Infused Pre-Roll 0.5g", "PR-INF-05", "Pre-Rolls", "Evergreen Extracts", 15, true},
	{"Huckleberry Gummies 100mg", "ED-HB-100", "Edibles", "Puget Sweets", 20, true},
	{"Dark Chocolate Bar 100mg", "ED-CH-100", "Edibles", "Puget Sweets", 22, true},
	{"Sleepy Mints 50mg", "ED-MT-50", "Edibles", "Puget Sweets", 15, true},
	{"Sparkling Lime Seltzer 10mg", "ED-SZ-10", "Edibles", "Puget Sweets", 6, true},
	{"Blue Dream Cartridge 0.5g", "VP-BD-05", "Vapes", "Evergreen Extracts", 30, true},
	{"Gelato Live Resin Cartridge 1g", "VP-GL-1", "Vapes", "Evergreen Extracts", 50, true},
	{"All-in-One Disposable 0.3g", "VP-DS-03", "Vapes", "Evergreen Extracts", 25, true},
	{"Live Rosin 1g", "CN-LR-1", "Concentrates", "Evergreen Extracts", 60, true},
	{"Shatter 1g", "CN-SH-1", "Concentrates", "Evergreen Extracts", 30, true},
	{"THCa Diamonds 1g", "CN-DM-1", "Concentrates", "Evergreen Extracts", 55, true},
	{"1:1 CBD:THC Tincture 30ml", "TN-11-30", "Tinctures", "Puget Sweets", 45, true},
	{"Relief Balm 500mg", "TP-RB-500", "Topicals", "Puget Sweets", 35, true},
	{"Glass Spoon Pipe", "AC-GP", "Accessories", "Rainier Gear", 20, false},
	{"Four-Piece Grinder", "AC-GR", "Accessories", "Rainier Gear", 25, false},
	{"Rolling Papers", "AC-RP", "Accessories", "Rainier Gear", 3, false},
}

// SeedDemo adds the demo retailer "demo" and returns its domain prefix: two
// outlets with a register each (so a rate limit of 650 per 5 minutes), three
// users, four payment types (Credit Card disabled: cannabis stores cannot
// take cards), "No Tax", "Sales Tax" and a cannabis tax, 25 cannabis
// products with SKUs and prices (plus one inactive and one deleted), two
// customers, and the personal token "lsxs_pt_demo". Ids are stable across
// runs. Calling it again changes nothing.
func (s *Sandbox) SeedDemo() (domainPrefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retailers[DemoPrefix] != nil {
		return DemoPrefix
	}
	rt := s.addRetailer(DemoPrefix)
	rt.info.Name = "Evergreen Demo Dispensary"
	main, reg, admin := rt.outlets[0], rt.registers[0], rt.users[0]
	main.Name, reg.Name, reg.InvoicePrefix = "Main Street", "Main Street Register", "MS-"
	main.Address1, main.City, main.State, main.Postcode, main.CountryID =
		new("1200 Pike St"), new("Seattle"), new("WA"), new("98101"), new("US")
	admin.DisplayName = "Dana Admin"
	second := s.addOutlet(rt, "Harbor Lane", "HL")
	second.City, second.State, second.CountryID = new("Tacoma"), new("WA"), new("US")
	s.addRegister(rt, "Harbor Lane Register", second.ID, "HL-")
	s.addUser(rt, "leafly", "Leafly Orders", "manager", false)
	s.addUser(rt, "sam", "Sam Budtender", "cashier", false).RestrictedOutletIDs = []string{main.ID}
	s.addPaymentType(rt, "Debit Card", 4, false)
	s.addPaymentType(rt, "Leafly Prepaid", 2, false)
	s.addPaymentType(rt, "Credit Card", 3, true)
	cannabis := s.addTax(rt, "Cannabis Tax", false,
		taxRate{Name: "Cannabis Excise", Rate: 0.37}, taxRate{Name: "Sales Tax", Rate: 0.1})
	s.seedCatalog(rt, cannabis.ID)
	s.seedCustomer(rt, "Alex", "Rivera", "alex.rivera@example.com", "+12065550101")
	s.seedCustomer(rt, "Jordan", "Lee", "jordan.lee@example.com", "+12065550102")
	s.personal[DemoPersonalToken] = DemoPrefix
	return DemoPrefix
}

// seedCatalog adds the demo products, one inactive and one deleted product.
func (s *Sandbox) seedCatalog(rt *retailer, cannabisTaxID string) {
	add := func(d demoProduct) *product {
		spec := productSpec{Name: d.name, SKU: d.sku, Category: d.category, Brand: d.brand,
			PriceExcludingTax: number{v: d.price, set: true}, SupplyPrice: number{v: d.price * 0.45, set: true}}
		if d.cannabis {
			spec.TaxID = cannabisTaxID
		}
		return s.putProduct(rt, spec, stableID(rt.prefix, "product", d.sku))
	}
	for _, d := range demoCatalog {
		add(d)
	}
	inactive := add(demoProduct{"Pumpkin Spice Gummies 100mg", "ED-PS-100", "Edibles", "Puget Sweets", 20, true})
	inactive.Active, inactive.IsActive = false, false
	gone := add(demoProduct{"Discontinued Haze 3.5g", "FL-DH-35", "Flower", "Olympic Growers", 30, true})
	now := stamp(s.now())
	gone.DeletedAt, gone.Version = &now, s.nextVersion()
}

func (s *Sandbox) seedCustomer(rt *retailer, first, last, email, mobile string) {
	full := first + " " + last
	cu := &customer{ID: stableID(rt.prefix, "customer", email), FirstName: &first, LastName: &last,
		Name: &full, Email: &email, Mobile: &mobile, CustomerCode: first + "-DEMO",
		CustomerGroupID: stableID(rt.prefix, "customer_group", "All Customers")}
	s.saveCustomer(rt, cu)
}
