package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Staff actions are what dispensary staff do in the Lightspeed UI, as HTTP
// calls under /{domain_prefix}/staff. They need no authentication (it is a
// sandbox), are not rate limited, and send the sale.update webhook like the
// real UI does, except /edit, the "silent edit" that bumps the version
// without a webhook so that reconciliation by the change feed can be tested.

// staffListSales is GET /{prefix}/staff/sales[?source_id=]: every sale
// (deleted too) by version, and how many sales each source.id has, so tests
// can check that an order never became two sales.
func (s *Sandbox) staffListSales(c *call) {
	only := c.r.URL.Query().Get("source_id")
	sales, _ := page(values(c.rt.sales), cursor{size: maxPageSize, deleted: true})
	out := []*sale{}
	counts := map[string]int{}
	for _, sl := range sales {
		if only != "" && deref(sl.Source.ID) != only {
			continue
		}
		out = append(out, sl)
		if sl.Source.ID != nil {
			counts[*sl.Source.ID]++
		}
	}
	c.json(http.StatusOK, map[string]any{"data": out, "counts_by_source_id": counts})
}

// staffSaleAction is POST /{prefix}/staff/sales/{id}/{action} with action
// pack, close, void, edit or delete.
func (s *Sandbox) staffSaleAction(c *call) {
	sl := c.rt.sales[c.r.PathValue("id")]
	if sl == nil {
		c.fail(http.StatusNotFound, "sale not found")
		return
	}
	if sl.DeletedAt != nil {
		c.fail(http.StatusConflict, "sale has been deleted")
		return
	}
	actions := map[string]func(*call, *sale) string{
		"pack": s.staffPack, "close": s.staffClose, "void": s.staffVoid, "edit": s.staffEdit, "delete": s.staffDelete,
	}
	act := actions[c.r.PathValue("action")]
	if act == nil {
		c.fail(http.StatusNotFound, "unknown staff action (pack, close, void, edit, delete)")
		return
	}
	if msg := act(c, sl); msg != "" {
		c.fail(http.StatusConflict, msg)
		return
	}
	c.data(c.rt.sales[sl.ID])
}

// staffPack packs every open fulfillment of a pending sale completely.
func (s *Sandbox) staffPack(c *call, sl *sale) string {
	if sl.State != "pending" {
		return "only a pending sale can be packed"
	}
	open := slices.DeleteFunc(c.rt.saleFulfillments(sl.ID), func(f *fulfillment) bool {
		return f.State == "PACKED" || f.State == "FULFILLED"
	})
	if len(open) == 0 {
		return "the sale has no fulfillment left to pack"
	}
	for _, f := range open {
		for _, l := range f.LineItems {
			l.packed = l.quantity
			l.picked = l.quantity
		}
		s.touchFulfillment(f, "PACKED")
	}
	s.commitSale(c.rt, cloneSale(sl), true)
	return ""
}

// staffClose completes the sale (picked up / dispatched); fulfillments are fulfilled.
func (s *Sandbox) staffClose(c *call, sl *sale) string {
	if sl.State == "closed" || sl.State == "voided" {
		return "the sale is already " + sl.State
	}
	next := cloneSale(sl)
	next.State = "closed"
	s.commitSale(c.rt, next, true)
	return ""
}

// staffVoid voids a pending or closed sale.
func (s *Sandbox) staffVoid(c *call, sl *sale) string {
	if sl.State == "voided" {
		return "the sale is already voided"
	}
	next := cloneSale(sl)
	next.State = "voided"
	s.commitSale(c.rt, next, true)
	return ""
}

// staffEdit changes the note ({"note": "…"}, or a marker appended when the
// body is empty) and bumps the version WITHOUT a webhook.
func (s *Sandbox) staffEdit(c *call, sl *sale) string {
	var in struct {
		Note *string `json:"note"`
	}
	_ = json.NewDecoder(c.r.Body).Decode(&in)
	next := cloneSale(sl)
	if in.Note != nil {
		next.Note = *in.Note
	} else {
		next.Note = strings.TrimSpace(next.Note + " [edited in store]")
	}
	s.commitSale(c.rt, next, false)
	return ""
}

// staffDelete deletes the sale: deleted_at is set and the webhook sent.
func (s *Sandbox) staffDelete(c *call, sl *sale) string {
	next := cloneSale(sl)
	now := stamp(s.now())
	next.DeletedAt = &now
	s.commitSale(c.rt, next, true)
	return ""
}

// staffPutProduct is POST /{prefix}/staff/products: adds a product, or
// updates the one with the body's id; a product.update webhook follows.
// Body: {id?, name, sku, price_excluding_tax, supply_price?, tax_id?,
// active?, brand?, category?, description?}.
func (s *Sandbox) staffPutProduct(c *call) {
	var spec productSpec
	if !c.decode(&spec) {
		return
	}
	existing := c.rt.products[spec.ID]
	msg := ""
	switch {
	case existing == nil && (spec.Name == "" || spec.SKU == "" || !spec.PriceExcludingTax.set):
		msg = "name, sku and price_excluding_tax are required for a new product"
	case spec.SKU != "" && c.rt.skuTaken(spec.SKU, spec.ID):
		c.fail(http.StatusConflict, "another product has SKU "+spec.SKU)
		return
	case spec.TaxID != "" && c.rt.tax(spec.TaxID) == nil:
		msg = "tax_id: tax not found"
	case spec.ID != "" && existing == nil && !isUUID(spec.ID):
		msg = "id must be a UUID"
	}
	if msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return
	}
	status := http.StatusOK
	if existing == nil {
		status = http.StatusCreated
		if spec.ID == "" {
			spec.ID = newID()
		}
	}
	p := s.putProduct(c.rt, spec, spec.ID)
	s.emit(c.rt, "product.update", legacyProduct(c.rt, p))
	c.json(status, map[string]any{"data": p})
}

// staffDeleteProduct is DELETE /{prefix}/staff/products/{id}: sets deleted_at.
func (s *Sandbox) staffDeleteProduct(c *call) {
	p := c.rt.products[c.r.PathValue("id")]
	if p == nil || p.DeletedAt != nil {
		c.fail(http.StatusNotFound, "product not found")
		return
	}
	now := stamp(s.now())
	p.DeletedAt, p.UpdatedAt, p.Version = &now, now, s.nextVersion()
	s.emit(c.rt, "product.update", legacyProduct(c.rt, p))
	c.data(p)
}
