package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"strings"
)

// product is a Product of the 2026-07 API. Sandbox products have no variants,
// composites or images; the list-valued fields are present and empty.
type product struct {
	ID                string    `json:"id"`
	Handle            string    `json:"handle"`
	Name              string    `json:"name"`
	VariantName       string    `json:"variant_name"`
	SKU               string    `json:"sku"`
	Description       *string   `json:"description"`
	Active            bool      `json:"active"`
	IsActive          bool      `json:"is_active"`
	PriceExcludingTax float64   `json:"price_excluding_tax"`
	PriceIncludingTax float64   `json:"price_including_tax"`
	SupplyPrice       float64   `json:"supply_price"`
	HasInventory      bool      `json:"has_inventory"`
	IsComposite       bool      `json:"is_composite"`
	HasVariants       bool      `json:"has_variants"`
	VariantParentID   *string   `json:"variant_parent_id"`
	Brand             *named    `json:"brand"`
	BrandID           *string   `json:"brand_id"`
	ProductCategory   *named    `json:"product_category"`
	Type              *named    `json:"type"`
	Source            string    `json:"source"`
	VariantOptions    []any     `json:"variant_options"`
	Categories        []any     `json:"categories"`
	TagIDs            []string  `json:"tag_ids"`
	Images            []any     `json:"images"`
	SkuImages         []any     `json:"skuImages"`
	Attributes        []any     `json:"attributes"`
	ProductCodes      []any     `json:"product_codes"`
	ProductSuppliers  []any     `json:"product_suppliers"`
	Customizations    []any     `json:"customizations"`
	Packaging         packaging `json:"packaging"`
	CreatedAt         string    `json:"created_at"`
	UpdatedAt         string    `json:"updated_at"`
	DeletedAt         *string   `json:"deleted_at"`
	Version           int64     `json:"version"`
	taxID             string    // the tax its price_including_tax is computed with
}

// named is a {id, name} reference (brand, category, type).
type named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type packaging struct {
	BreaksInto []any `json:"breaks_into"`
	MadeFrom   []any `json:"made_from"`
}

func (p *product) ver() int64 { return p.Version }
func (p *product) gone() bool { return p.DeletedAt != nil }

// productSpec is what a product is made from: the seed, AddProducts and the
// staff route.
type productSpec struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	SKU               string  `json:"sku"`
	PriceExcludingTax number  `json:"price_excluding_tax"`
	SupplyPrice       number  `json:"supply_price"`
	TaxID             string  `json:"tax_id"`
	Active            *bool   `json:"active"`
	Brand             string  `json:"brand"`
	Category          string  `json:"category"`
	Description       *string `json:"description"`
}

// putProduct creates or updates a product from spec and bumps its version.
// The caller has validated spec against rt.
func (s *Sandbox) putProduct(rt *retailer, spec productSpec, id string) *product {
	now := stamp(s.now())
	p := rt.products[id]
	if p == nil {
		p = &product{ID: id, Source: "USER", HasInventory: true, CreatedAt: now,
			VariantOptions: []any{}, Categories: []any{}, TagIDs: []string{}, Images: []any{},
			SkuImages: []any{}, Attributes: []any{}, ProductCodes: []any{}, ProductSuppliers: []any{},
			Customizations: []any{}, Packaging: packaging{BreaksInto: []any{}, MadeFrom: []any{}},
			Active: true, taxID: defaultTaxID(rt)}
		rt.products[id] = p
	}
	applyProductSpec(rt, p, spec)
	p.UpdatedAt, p.Version = now, s.nextVersion()
	return p
}

// applyProductSpec copies the fields spec sets onto p.
func applyProductSpec(rt *retailer, p *product, spec productSpec) {
	if spec.Name != "" {
		p.Name, p.VariantName = spec.Name, spec.Name
	}
	if spec.SKU != "" {
		p.SKU, p.Handle = spec.SKU, strings.ToLower(spec.SKU)
	}
	if spec.PriceExcludingTax.set {
		p.PriceExcludingTax = round5(spec.PriceExcludingTax.v)
	}
	if spec.SupplyPrice.set {
		p.SupplyPrice = round5(spec.SupplyPrice.v)
	}
	if spec.TaxID != "" {
		p.taxID = spec.TaxID
	}
	if spec.Active != nil {
		p.Active = *spec.Active
	}
	p.IsActive = p.Active
	if spec.Description != nil {
		p.Description = spec.Description
	}
	if spec.Brand != "" {
		p.Brand = &named{ID: stableID(rt.prefix, "brand", spec.Brand), Name: spec.Brand}
		p.BrandID = &p.Brand.ID
	}
	if spec.Category != "" {
		p.ProductCategory = &named{ID: stableID(rt.prefix, "category", spec.Category), Name: spec.Category}
		p.Type = p.ProductCategory
	}
	rate := 0.0
	if t := rt.tax(p.taxID); t != nil {
		rate = t.rate()
	}
	p.PriceIncludingTax = round5(p.PriceExcludingTax * (1 + rate))
}

// defaultTaxID is the retailer's default tax (the first one marked so).
func defaultTaxID(rt *retailer) string {
	for _, t := range rt.taxes {
		if t.IsDefault {
			return t.ID
		}
	}
	return rt.info.NoTaxGroupID
}

// round5 rounds to the five decimals Lightspeed keeps for money.
func round5(v float64) float64 { return math.Round(v*1e5) / 1e5 }

// skuTaken reports whether a live product other than id has the SKU.
func (rt *retailer) skuTaken(sku, id string) bool {
	for _, p := range rt.products {
		if p.SKU == sku && p.ID != id && p.DeletedAt == nil {
			return true
		}
	}
	return false
}

// listProducts is GET /products: the version cursor, or one product by exact
// SKU (sku= makes every other parameter ignored, deleted products excluded).
func (s *Sandbox) listProducts(c *call) {
	sku := c.r.URL.Query().Get("sku")
	if sku == "" {
		list(c, values(c.rt.products))
		return
	}
	out := []*product{}
	for _, p := range c.rt.products {
		if p.SKU == sku && p.DeletedAt == nil {
			out = append(out, p)
		}
	}
	out, vr := page(out, cursor{size: maxPageSize})
	c.json(http.StatusOK, map[string]any{"data": out, "version": vr})
}

// getProduct is GET /products/{id}; a deleted product is returned with deleted_at.
func (s *Sandbox) getProduct(c *call) {
	found(c, c.rt.products[c.r.PathValue("id")], "product")
}

// AddProducts adds n generic products ("Sandbox Product 001", SKU SBX-001, …)
// to the retailer and returns their ids; nil when the retailer does not exist.
func (s *Sandbox) AddProducts(domainPrefix string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.retailers[domainPrefix]
	if rt == nil {
		return nil
	}
	ids := make([]string, 0, n)
	for range n {
		rt.productSeq++
		seq := rt.productSeq
		spec := productSpec{
			Name:              "Sandbox Product " + pad3(seq),
			SKU:               "SBX-" + pad3(seq),
			PriceExcludingTax: number{v: float64(10 + seq%40), set: true},
			Category:          "Sandbox",
		}
		p := s.putProduct(rt, spec, newID())
		ids = append(ids, p.ID)
	}
	return ids
}

// pad3 formats n with at least three digits.
func pad3(n int) string { return fmt.Sprintf("%03d", n) }
