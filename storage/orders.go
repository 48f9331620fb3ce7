package storage

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

// OrderPage is one page of a store's orders, newest first.
type OrderPage struct {
	Orders  []*domain.Order
	Cursors []string
	HasNext bool
	Total   int
}

// Orders returns a page of the store's orders matching filter, newest first.
// The order is (created_at, id) descending and the cursor is that key, so
// orders arriving while a client pages appear before its first page and
// never shift the pages after it. Four statements whatever the page size.
func (db *DB) Orders(ctx context.Context, storeID string, filter domain.OrderFilter, page Page) (OrderPage, error) {
	var result OrderPage
	total, err := db.countOrders(ctx, storeID, filter)
	if err != nil {
		return result, fmt.Errorf("count orders: %w", err)
	}
	result.Total = int(total)
	q := db.filterOrders(db.gorm.WithContext(ctx).Model(&orderRow{}), storeID, filter)
	if page.After != "" {
		at, id, err := decodeCursor(page.After)
		if err != nil {
			return result, err
		}
		q = q.Where("(created_at, id) < (?, ?)", at, id)
	}
	var rows []orderRow
	if err := q.Order("created_at DESC, id DESC").Limit(page.First + 1).Find(&rows).Error; err != nil {
		return result, fmt.Errorf("list orders: %w", err)
	}
	result.HasNext = len(rows) > page.First
	rows = rows[:min(len(rows), page.First)]
	for _, r := range rows {
		result.Orders = append(result.Orders, r.domain())
		result.Cursors = append(result.Cursors, encodeCursor(r.CreatedAt, r.ID))
	}
	if err := db.loadDetails(db.gorm.WithContext(ctx), result.Orders); err != nil {
		return result, err
	}
	return result, nil
}

// countOrders counts the store's orders matching f: an unfiltered count is
// read from the count each insert keeps on the store.
func (db *DB) countOrders(ctx context.Context, storeID string, f domain.OrderFilter) (int64, error) {
	var n int64
	if f.IsZero() {
		err := db.gorm.WithContext(ctx).Model(&storeRow{}).Where("id = ?", storeID).Pluck("order_count", &n).Error
		return n, err
	}
	err := db.filterOrders(db.gorm.WithContext(ctx).Model(&orderRow{}), storeID, f).Count(&n).Error
	return n, err
}

func (db *DB) filterOrders(q *gorm.DB, storeID string, f domain.OrderFilter) *gorm.DB {
	q = q.Where("store_id = ?", storeID)
	if len(f.Status) > 0 {
		q = q.Where("status IN ?", f.Status)
	}
	if f.FulfillmentMethod != nil {
		q = q.Where("fulfillment_method = ?", *f.FulfillmentMethod)
	}
	if len(f.PosSyncState) > 0 {
		q = q.Where("pos_sync_state IN ?", f.PosSyncState)
	}
	if f.CreatedAfter != nil {
		q = q.Where("created_at > ?", f.CreatedAfter.UTC())
	}
	if f.CreatedBefore != nil {
		q = q.Where("created_at < ?", f.CreatedBefore.UTC())
	}
	if f.Search != nil && strings.TrimSpace(*f.Search) != "" {
		like := "%" + escapeLike(strings.ToLower(strings.TrimSpace(*f.Search))) + "%"
		q = q.Where(`(LOWER(customer_first_name || ' ' || customer_last_name) LIKE ? ESCAPE '\'
			OR LOWER(COALESCE(customer_email, '')) LIKE ? ESCAPE '\' OR LOWER(leafly_order_id) LIKE ? ESCAPE '\')`, like, like, like)
	}
	return q
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
