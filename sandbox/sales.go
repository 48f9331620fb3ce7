package sandbox

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
)

// sale is a Sale of the 2026-07 API, stored in its response shape. version
// is both top-level (as older examples show it) and in _metadata (the spec).
type sale struct {
	ID                   string         `json:"id"`
	State                string         `json:"state"`
	Attributes           []string       `json:"attributes"`
	Date                 string         `json:"date"`
	CreatedAt            string         `json:"created_at"`
	UpdatedAt            string         `json:"updated_at"`
	DeletedAt            *string        `json:"deleted_at"`
	CustomerID           *string        `json:"customer_id"`
	InvoiceNumber        string         `json:"invoice_number"`
	ReceiptNumber        string         `json:"receipt_number"`
	ShortCode            string         `json:"short_code"`
	Note                 string         `json:"note"`
	Source               saleSource     `json:"source"`
	LineItems            []*saleLine    `json:"line_items"`
	Payments             []*salePayment `json:"payments"`
	Totals               saleTotals     `json:"totals"`
	Taxes                []saleTax      `json:"taxes"`
	Adjustments          []any          `json:"adjustments"`
	EcomCustomCharges    []any          `json:"ecom_custom_charges"`
	ExternalApplications []any          `json:"external_applications"`
	Return               saleReturn     `json:"return"`
	Metadata             saleMetadata   `json:"_metadata"`
	Version              int64          `json:"version"`

	fulfillmentOutletID string
	details             []fulfillmentDetail
}

type saleSource struct {
	Author     idRef   `json:"author"`
	OutletID   string  `json:"outlet_id"`
	RegisterID string  `json:"register_id"`
	ID         *string `json:"id"`
	Type       *string `json:"type"`
}

type saleTotals struct {
	Price        float64 `json:"price"`
	PriceInclTax float64 `json:"price_incl_tax"`
	Tax          float64 `json:"tax"`
	Loyalty      float64 `json:"loyalty"`
	Surcharge    float64 `json:"surcharge"`
}

type saleTax struct {
	ID  string  `json:"id"`
	Tax float64 `json:"tax"`
}

type saleReturn struct {
	IsReturn       bool     `json:"is_return"`
	OriginalSaleID *string  `json:"original_sale_id"`
	ReturnSaleIDs  []string `json:"return_sale_ids"`
}

type saleMetadata struct {
	Version                int64   `json:"version"`
	CompleteOpenSequenceID *string `json:"complete_open_sequence_id"`
}

func (sl *sale) ver() int64 { return sl.Version }
func (sl *sale) gone() bool { return sl.DeletedAt != nil }

// hasAttribute reports whether the sale carries attribute a (pickup, …).
func (sl *sale) hasAttribute(a string) bool { return slices.Contains(sl.Attributes, a) }

// newSale is an empty sale of rt dated now, before a request is applied.
func (s *Sandbox) newSale(id string) *sale {
	now := stamp(s.now())
	return &sale{ID: id, Date: now, CreatedAt: now, Attributes: []string{}, LineItems: []*saleLine{},
		Payments: []*salePayment{}, Taxes: []saleTax{}, Adjustments: []any{}, EcomCustomCharges: []any{},
		ExternalApplications: []any{}, Return: saleReturn{ReturnSaleIDs: []string{}},
		ShortCode: shortCode()}
}

// shortCode is a loyalty short code like "mlzs94".
func shortCode() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyz23456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// createSale is POST /sales. A client-supplied id that already exists is
// refused with 409 (Lightspeed does not document this case; see doc.go).
func (s *Sandbox) createSale(c *call) {
	var req saleRequest
	if !c.decode(&req) {
		return
	}
	id := newID()
	if req.ID != nil && *req.ID != "" {
		if id = *req.ID; !isUUID(id) {
			c.fail(http.StatusBadRequest, "id must be a UUID")
			return
		}
	}
	if c.rt.sales[id] != nil {
		c.fail(http.StatusConflict, "sale already exists")
		return
	}
	msg := ""
	switch {
	case req.Source == nil:
		msg = "source is required"
	case req.Source.AuthorID == "":
		msg = "source.author_id is required"
	case req.State == nil:
		msg = "state is required"
	}
	sl := s.newSale(id)
	if msg == "" {
		msg = s.applySale(c.rt, sl, &req)
	}
	if msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	s.numberInvoice(c.rt, sl)
	s.commitSale(c.rt, sl, true)
	c.data(sl)
}

// numberInvoice gives a sale without an invoice number the register's next one.
func (s *Sandbox) numberInvoice(rt *retailer, sl *sale) {
	reg := rt.register(sl.Source.RegisterID)
	if reg == nil {
		return
	}
	reg.InvoiceSequence++
	seq := strconv.FormatFloat(reg.InvoiceSequence, 'f', 0, 64)
	sl.ReceiptNumber = seq
	if sl.InvoiceNumber == "" {
		sl.InvoiceNumber = reg.InvoicePrefix + seq + reg.InvoiceSuffix
	}
}

// updateSale is PUT /sales/{id}: partial bodies change only what they send.
// A body that changes nothing answers the sale as is, without a new version.
func (s *Sandbox) updateSale(c *call) {
	old := c.rt.sales[c.r.PathValue("id")]
	if old == nil {
		c.fail(http.StatusNotFound, "sale not found")
		return
	}
	var req saleRequest
	if !c.decode(&req) {
		return
	}
	if old.DeletedAt != nil {
		c.fail(http.StatusBadRequest, "sale has been deleted")
		return
	}
	sl := cloneSale(old)
	msg := s.applySale(c.rt, sl, &req)
	switch {
	case msg != "":
	case sameSale(old, sl):
		c.data(old)
		return
	case old.State == "voided":
		msg = "a voided sale cannot be changed"
	case old.State == "closed" && req.LineItems != nil:
		msg = "the line items of a closed sale cannot be changed"
	}
	if msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	s.commitSale(c.rt, sl, true)
	c.data(sl)
}

// cloneSale copies a sale for an update; nested lines and payments are
// replaced, never edited in place, so sharing them is safe.
func cloneSale(sl *sale) *sale {
	cp := *sl
	cp.Attributes = slices.Clone(sl.Attributes)
	return &cp
}

// sameSale reports whether an update left the sale's content unchanged.
func sameSale(a, b *sale) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb) && a.fulfillmentOutletID == b.fulfillmentOutletID &&
		slices.Equal(a.details, b.details)
}

// commitSale stores a new version of the sale, keeps its fulfillments in
// step, and (unless silent) sends the sale.update webhook.
func (s *Sandbox) commitSale(rt *retailer, sl *sale, notify bool) {
	s.totalSale(rt, sl)
	sl.UpdatedAt = stamp(s.now())
	sl.Version = s.nextVersion()
	sl.Metadata.Version = sl.Version
	rt.sales[sl.ID] = sl
	s.syncFulfillments(rt, sl)
	if notify {
		s.emit(rt, "sale.update", s.legacySale(rt, sl))
	}
}

func (s *Sandbox) getSale(c *call) { found(c, c.rt.sales[c.r.PathValue("id")], "sale") }

// listSales is GET /sales, the change feed: sales with version > after, by
// version. Deleted sales are always included (with deleted_at): the spec
// gives /sales no deleted parameter, and a feed must show deletions.
func (s *Sandbox) listSales(c *call) {
	cur, ok := c.parseCursor()
	if !ok {
		return
	}
	cur.deleted = true
	out, vr := page(values(c.rt.sales), cur)
	c.json(http.StatusOK, map[string]any{"data": out, "version": vr})
}

// legacyStatus maps state + attributes to the deprecated status, as the
// table of Lightspeed's docs does
// (https://x-series-api.lightspeedhq.com/docs/sales_states_and_attributes).
func legacyStatus(sl *sale) string {
	suffix := map[string]string{"pending": "", "closed": "_CLOSED"}
	switch sl.State {
	case "parked":
		return "SAVED"
	case "voided":
		return "VOIDED"
	}
	s, ok := suffix[sl.State]
	if !ok {
		return "OPEN"
	}
	switch {
	case sl.hasAttribute("pickup"):
		return map[string]string{"": "AWAITING_PICKUP", "_CLOSED": "PICKED_UP_CLOSED"}[s]
	case sl.hasAttribute("delivery"):
		return map[string]string{"": "AWAITING_DISPATCH", "_CLOSED": "DISPATCHED_CLOSED"}[s]
	case sl.hasAttribute("onaccount"):
		return "ONACCOUNT" + s
	case sl.hasAttribute("layby"):
		return "LAYBY" + s
	case sl.hasAttribute("service"):
		return "SERVICE" + s
	case sl.State == "closed":
		return "CLOSED"
	}
	return "OPEN"
}
