package sandbox

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// fulfillment is a FulfillmentSummaryItem: the items of one sale to be
// picked, packed and fulfilled at one outlet, created with a pending
// pickup/delivery sale. Its version is its own counter (optimistic locking).
type fulfillment struct {
	ID                string             `json:"id"`
	OutletID          string             `json:"outlet_id"`
	SaleID            string             `json:"sale_id"`
	Type              string             `json:"type"`
	State             string             `json:"state"`
	UserIDs           []string           `json:"user_ids"`
	Note              string             `json:"note"`
	ShippingAddressID *string            `json:"shipping_address_id"`
	CreatedAt         string             `json:"created_at"`
	UpdatedAt         string             `json:"updated_at"`
	Version           int                `json:"version"`
	LineItems         []*fulfillmentLine `json:"line_items"`
}

// fulfillmentLine holds quantities as numbers and shows them as decimal strings.
type fulfillmentLine struct {
	SaleLineItemID string
	ProductID      string
	quantity       float64
	picked         float64
	packed         float64
	fulfilled      float64
}

func (l *fulfillmentLine) MarshalJSON() ([]byte, error) {
	dec := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	return json.Marshal(map[string]string{
		"sale_line_item_id": l.SaleLineItemID, "product_id": l.ProductID, "quantity": dec(l.quantity),
		"picked_quantity": dec(l.picked), "packed_quantity": dec(l.packed), "fulfilled_quantity": dec(l.fulfilled),
	})
}

// fulfillmentType is the type a pending sale needs, "" for none:
// the attribute first, then the fulfillment details, then the lines.
func fulfillmentType(sl *sale) string {
	switch {
	case sl.hasAttribute("delivery"):
		return "DISPATCH"
	case sl.hasAttribute("pickup"):
		return "PICKUP"
	case len(sl.details) > 0:
		return sl.details[0].Type
	}
	for _, l := range sl.LineItems {
		if l.fulfillmentMethod != "" {
			return l.fulfillmentMethod
		}
	}
	return ""
}

// saleFulfillments returns the sale's fulfillments, oldest first.
func (rt *retailer) saleFulfillments(saleID string) []*fulfillment {
	var out []*fulfillment
	for _, f := range rt.fulfillments {
		if f.SaleID == saleID {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *fulfillment) int { return cmp.Compare(a.CreatedAt+a.ID, b.CreatedAt+b.ID) })
	return out
}

// syncFulfillments keeps a sale's fulfillments in step with it: created for
// a pending sale that needs one, lines refreshed while OPEN, fulfilled when
// the sale closes.
func (s *Sandbox) syncFulfillments(rt *retailer, sl *sale) {
	fs := rt.saleFulfillments(sl.ID)
	if len(fs) == 0 && sl.State == "pending" && fulfillmentType(sl) != "" {
		fs = []*fulfillment{s.newFulfillment(rt, sl)}
	}
	for _, f := range fs {
		switch {
		case sl.State == "closed" && f.State != "FULFILLED":
			for _, l := range f.LineItems {
				l.picked, l.packed, l.fulfilled = l.quantity, l.quantity, l.quantity
			}
			s.touchFulfillment(f, "FULFILLED")
		case f.State == "OPEN" && sl.State == "pending":
			f.LineItems = fulfillmentLines(sl)
		}
	}
}

func (s *Sandbox) newFulfillment(rt *retailer, sl *sale) *fulfillment {
	now := stamp(s.now())
	f := &fulfillment{ID: strconv.FormatInt(s.nextFulfilID, 10), SaleID: sl.ID, Type: fulfillmentType(sl),
		State: "OPEN", OutletID: cmp.Or(sl.fulfillmentOutletID, sl.Source.OutletID), UserIDs: []string{},
		CreatedAt: now, UpdatedAt: now, Version: 1, LineItems: fulfillmentLines(sl)}
	s.nextFulfilID++
	for _, d := range sl.details {
		if d.Type == f.Type && d.Note != "" {
			f.Note = joinNote(f.Note, d.Note)
		}
		if a := resolveAddress(rt, d); a != nil && f.Type == "DISPATCH" && f.ShippingAddressID == nil {
			id := strconv.FormatInt(a.ID, 10)
			f.ShippingAddressID = &id
		}
	}
	rt.fulfillments[f.ID] = f
	return f
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// fulfillmentLines are the sale's sold (positive) lines.
func fulfillmentLines(sl *sale) []*fulfillmentLine {
	out := []*fulfillmentLine{}
	for _, l := range sl.LineItems {
		if l.Quantity > 0 {
			out = append(out, &fulfillmentLine{SaleLineItemID: l.ID, ProductID: l.Product.ID, quantity: l.Quantity})
		}
	}
	return out
}

func (s *Sandbox) touchFulfillment(f *fulfillment, state string) {
	f.State, f.UpdatedAt = state, stamp(s.now())
	f.Version++
}

// listFulfillments is GET /fulfillments with the spec's filters (each may
// repeat) and page_number/page_size (≤ 100, default 10).
func (s *Sandbox) listFulfillments(c *call) {
	q := c.r.URL.Query()
	match := func(param, v string) bool { return len(q[param]) == 0 || slices.Contains(q[param], v) }
	out := []*fulfillment{}
	for _, f := range c.rt.fulfillments {
		if match("sale_id", f.SaleID) && match("outlet_id", f.OutletID) &&
			match("fulfillment_type", f.Type) && match("fulfillment_state", f.State) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *fulfillment) int { return cmp.Compare(a.ID, b.ID) })
	num, size := queryInt(q.Get("page_number"), 1), min(queryInt(q.Get("page_size"), 10), 100)
	from := min((num-1)*size, len(out))
	c.data(out[from:min(from+size, len(out))])
}

// queryInt parses a positive integer parameter, def when absent or bad.
func queryInt(v string, def int) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return def
	}
	return n
}

// stepRequest is the body of pick, pack and fulfill.
type stepRequest struct {
	Version   *int `json:"version"`
	LineItems []struct {
		SaleLineItemID string `json:"sale_line_item_id"`
		Quantity       number `json:"quantity"`
	} `json:"line_items"`
}

// fulfillmentStep is POST /fulfillments/{id}/pick|pack|fulfill, with
// optimistic locking on version (409 on mismatch).
func (s *Sandbox) fulfillmentStep(c *call) {
	f := c.rt.fulfillments[c.r.PathValue("id")]
	step := c.r.PathValue("step")
	if f == nil || (step != "pick" && step != "pack" && step != "fulfill") {
		c.fail(http.StatusNotFound, "fulfillment not found")
		return
	}
	var req stepRequest
	if !c.decode(&req) {
		return
	}
	if req.Version == nil || *req.Version != f.Version {
		c.fail(http.StatusConflict, "version mismatch: the fulfillment has changed")
		return
	}
	sl := c.rt.sales[f.SaleID]
	if sl == nil || sl.State != "pending" || f.State == "FULFILLED" {
		c.fail(http.StatusConflict, "the fulfillment is not open")
		return
	}
	lines := make([]*fulfillmentLine, len(f.LineItems)) // applied only if every line is valid
	for i, l := range f.LineItems {
		cp := *l
		lines[i] = &cp
	}
	for _, in := range req.LineItems {
		if msg := stepLine(lines, step, in.SaleLineItemID, in.Quantity); msg != "" {
			c.fail(http.StatusBadRequest, msg)
			return
		}
	}
	f.LineItems = lines
	s.advance(c.rt, sl, f)
	c.data(map[string]any{"id": f.ID, "version": f.Version})
}

// stepLine adds quantity to one line's picked, packed or fulfilled count.
func stepLine(lines []*fulfillmentLine, step, lineID string, qty number) string {
	i := slices.IndexFunc(lines, func(l *fulfillmentLine) bool { return l.SaleLineItemID == lineID })
	if i < 0 {
		return "sale_line_item_id " + lineID + " is not in this fulfillment"
	}
	l := lines[i]
	count := map[string]*float64{"pick": &l.picked, "pack": &l.packed, "fulfill": &l.fulfilled}[step]
	if !qty.set || qty.v <= 0 || *count+qty.v > l.quantity {
		return "quantity must be positive and at most the quantity left to " + step
	}
	*count += qty.v
	l.picked, l.packed = max(l.picked, l.packed, l.fulfilled), max(l.packed, l.fulfilled)
	return ""
}

// advance sets the fulfillment's state from its counts and records the
// change on the sale: a new version and a webhook; fully fulfilled closes it.
func (s *Sandbox) advance(rt *retailer, sl *sale, f *fulfillment) {
	all := func(get func(*fulfillmentLine) float64) bool {
		return !slices.ContainsFunc(f.LineItems, func(l *fulfillmentLine) bool { return get(l) < l.quantity })
	}
	state := "STARTED"
	switch {
	case all(func(l *fulfillmentLine) float64 { return l.fulfilled }):
		state = "FULFILLED"
	case all(func(l *fulfillmentLine) float64 { return l.packed }):
		state = "PACKED"
	case all(func(l *fulfillmentLine) float64 { return l.picked }):
		state = "PICKED"
	}
	s.touchFulfillment(f, state)
	next := cloneSale(sl)
	if !slices.ContainsFunc(rt.saleFulfillments(sl.ID), func(f *fulfillment) bool { return f.State != "FULFILLED" }) {
		next.State = "closed"
	}
	s.commitSale(rt, next, true)
}

// fulfillSale is POST /fulfillments/fulfill {sale_id}: completes every
// fulfillment of the sale (idempotent) and closes it.
func (s *Sandbox) fulfillSale(c *call) {
	var req struct {
		SaleID string `json:"sale_id"`
	}
	if !c.decode(&req) {
		return
	}
	sl := c.rt.sales[req.SaleID]
	if sl == nil || sl.DeletedAt != nil {
		c.fail(http.StatusNotFound, "sale not found")
		return
	}
	if sl.State == "voided" {
		c.fail(http.StatusConflict, "the sale is voided")
		return
	}
	if sl.State != "closed" {
		next := cloneSale(sl)
		next.State = "closed"
		s.commitSale(c.rt, next, true)
	}
	out := []map[string]any{}
	for _, f := range c.rt.saleFulfillments(sl.ID) {
		out = append(out, map[string]any{"id": f.ID, "version": f.Version})
	}
	c.data(out)
}
