package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Search page sizes: the spec caps page_size at 1000; the default is chosen.
const (
	defaultSearchSize = 100
	maxSearchSize     = 1000
)

// search is GET /search?type=customers|products|sales with offset and
// page_size. Filters are exact matches; customer fields compare
// case-insensitively, product SKUs must be sent lowercased (as documented).
// order_by is ignored: results come in version order. New records are
// searchable at once (index lag is UNCONFIRMED upstream).
func (s *Sandbox) search(c *call) {
	q := c.r.URL.Query()
	scope := map[string]string{"customers": "customers:read", "products": "products:read", "sales": "sales:read"}[q.Get("type")]
	if scope == "" {
		c.fail(http.StatusBadRequest, "type must be sales, products or customers")
		return
	}
	if !c.allowed(scope) {
		return
	}
	var hits []versioned
	switch q.Get("type") {
	case "customers":
		hits = matching(values(c.rt.customers), q, customerFields)
	case "products":
		hits = matching(values(c.rt.products), q, productFields)
	default:
		hits = matching(values(c.rt.sales), q, saleFields)
	}
	offset, size := queryInt(q.Get("offset"), 0), min(queryInt(q.Get("page_size"), defaultSearchSize), maxSearchSize)
	offset = min(offset, len(hits))
	c.data(hits[offset:min(offset+size, len(hits))])
}

// field reads one searchable attribute of an object.
type field[T any] func(T) string

var customerFields = map[string]field[*customer]{
	"email":         func(c *customer) string { return strings.ToLower(deref(c.Email)) },
	"first_name":    func(c *customer) string { return strings.ToLower(deref(c.FirstName)) },
	"last_name":     func(c *customer) string { return strings.ToLower(deref(c.LastName)) },
	"customer_code": func(c *customer) string { return strings.ToLower(c.CustomerCode) },
	"company_name":  func(c *customer) string { return strings.ToLower(deref(c.CompanyName)) },
	"mobile":        func(c *customer) string { return deref(c.Mobile) },
	"phone":         func(c *customer) string { return deref(c.Phone) },
}

var productFields = map[string]field[*product]{
	"sku": func(p *product) string { return strings.ToLower(p.SKU) },
}

var saleFields = map[string]field[*sale]{
	"state":          func(s *sale) string { return s.State },
	"customer_id":    func(s *sale) string { return deref(s.CustomerID) },
	"user_id":        func(s *sale) string { return s.Source.Author.ID },
	"outlet_id":      func(s *sale) string { return s.Source.OutletID },
	"register_id":    func(s *sale) string { return s.Source.RegisterID },
	"invoice_number": func(s *sale) string { return s.InvoiceNumber },
	"status":         legacyStatus,
}

// matching filters items by every known parameter present in q (a repeated
// parameter matches any of its values; customer values are lowercased) and
// returns them in version order, deleted ones only when deleted=true.
func matching[T versioned](items []T, q url.Values, fields map[string]field[T]) []versioned {
	_, isCustomer := any(items).([]*customer)
	out, _ := page(items, cursor{size: len(items) + 1, deleted: q.Get("deleted") == "true"})
	hits := []versioned{}
	for _, it := range out {
		ok := true
		for name, get := range fields {
			want, present := q[name]
			if !present {
				continue
			}
			if isCustomer {
				want = lower(want)
			}
			ok = ok && slices.Contains(want, get(it))
		}
		if ok {
			hits = append(hits, it)
		}
	}
	return hits
}

func lower(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	return out
}
