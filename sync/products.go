package sync

import (
	"context"
	"net/http"
	"net/url"
)

// Product is a catalogue item (GET /products). Sell variants by their own
// (child) id.
type Product struct {
	ID              string `json:"id"`
	SKU             string `json:"sku"`
	Handle          string `json:"handle"`
	Name            string `json:"name"`
	VariantName     string `json:"variant_name"`
	VariantParentID string `json:"variant_parent_id"`
	HasVariants     bool   `json:"has_variants"`
	IsComposite     bool   `json:"is_composite"`
	HasInventory    bool   `json:"has_inventory"`
	// Active and IsActive both appear in responses, either may be absent;
	// ForSale reads them.
	Active            *bool  `json:"active"`
	IsActive          *bool  `json:"is_active"`
	PriceExcludingTax Number `json:"price_excluding_tax"`
	PriceIncludingTax Number `json:"price_including_tax"`
	SupplyPrice       Number `json:"supply_price"`
	ImageURL          string `json:"image_url"`
	Description       string `json:"description"`
	// DeletedAt is set for deleted products, which Products includes.
	DeletedAt string `json:"deleted_at"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Version   int64  `json:"version"`
}

// ProductPage is one page of the product change feed.
type ProductPage struct {
	Products []Product
	// MaxVersion is the cursor for the next page (never below the after
	// it was asked with).
	MaxVersion int64
}

// Products returns products changed after version after, deleted ones
// included (with DeletedAt set), at most pageSize of them (0: default).
// An empty page means the feed is caught up.
func (c *Client) Products(ctx context.Context, t Target, after int64, pageSize int) (ProductPage, error) {
	products, next, err := getPage[Product](ctx, c, t, apiRequest{op: "list products", method: http.MethodGet,
		path: "/products", query: url.Values{"deleted": {"true"}}}, after, pageSize)
	return ProductPage{Products: products, MaxVersion: next}, err
}

// ProductsAll follows the product feed from after until it is caught up and
// returns every product seen and the final cursor. On error it also returns
// what it gathered, with the cursor to resume from.
func (c *Client) ProductsAll(ctx context.Context, t Target, after int64, pageSize int) (ProductPage, error) {
	all := ProductPage{MaxVersion: after}
	for {
		page, err := c.Products(ctx, t, all.MaxVersion, pageSize)
		if err != nil {
			return all, err
		}
		all.Products = append(all.Products, page.Products...)
		if len(page.Products) == 0 || page.MaxVersion <= all.MaxVersion {
			return all, nil
		}
		all.MaxVersion = page.MaxVersion
	}
}

// ForSale reports whether the product can be sold: not deleted, and not
// marked inactive by either of the two flags Lightspeed sends.
func (p Product) ForSale() bool {
	return p.DeletedAt == "" && (p.Active == nil || *p.Active) && (p.IsActive == nil || *p.IsActive)
}
