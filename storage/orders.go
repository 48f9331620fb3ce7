package storage

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

// Orders returns a page of the store's orders matching filter, newest first.
// The order is (created_at, id) descending and the cursor is that key, so
// orders arriving while a client pages appear before its first page and
// never shift the pages after it; a backward page walks the same index the
// other way. Four statements whatever the page size.
func (db *DB) Orders(ctx context.Context, storeID string, filter domain.OrderFilter, page domain.Page) (domain.OrderPage, error) {
	var result domain.OrderPage
	w, err := newWindow(page)
	if err != nil {
		return result, err
	}
	total, err := db.countOrders(ctx, storeID, filter)
	if err != nil {
		return result, fmt.Errorf("count orders: %w", err)
	}
	result.Total = int(total)
	rows, err := db.windowRows(ctx, storeID, filter, w)
	if err != nil {
		return result, fmt.Errorf("list orders: %w", err)
	}
	for _, r := range w.trim(rows, &result) {
		result.Orders = append(result.Orders, r.Row.domain())
		result.Cursors = append(result.Cursors, encodeCursor(r.Row.CreatedAt, r.Row.ID))
	}
	if err := db.loadDetails(ctx, db.read, result.Orders); err != nil {
		return result, err
	}
	return result, nil
}

// windowRows reads, in one statement and newest first, up to size+1 rows
// of the window from the end the page starts at and, when that end is a
// cursor, the nearest row on the cursor's other side (the probe), which
// tells whether a page lies beyond it. gorm builds the statement; the rows
// are scanned by hand.
func (db *DB) windowRows(ctx context.Context, storeID string, f domain.OrderFilter, w window) ([]windowRow, error) {
	tx := db.gorm.WithContext(ctx)
	columns := orderSelect("")
	sql := "SELECT * FROM (?) AS page"
	vars := []any{w.page(db.filterOrders(tx.Model(&orderRow{}), storeID, f)).Select(columns + ", 0 AS probe")}
	if probe := w.probe(db.filterOrders(tx.Model(&orderRow{}), storeID, f)); probe != nil {
		sql += " UNION ALL SELECT * FROM (?) AS probe"
		vars = append(vars, probe.Select(columns+", 1 AS probe"))
	}
	cursor, err := tx.Raw(sql+" ORDER BY created_at DESC, id DESC", vars...).Rows()
	if err != nil {
		return nil, err
	}
	defer cursor.Close()
	rows := make([]windowRow, 0, w.size+2)
	for cursor.Next() {
		rows = append(rows, windowRow{})
		r := &rows[len(rows)-1]
		if err := cursor.Scan(append(orderFields(&r.Row), &r.Probe)...); err != nil {
			return nil, err
		}
	}
	return rows, cursor.Err()
}

// windowRow is an order row read by windowRows; Probe is 1 for the probe.
type windowRow struct {
	Row   orderRow
	Probe int
}

// window is a Page with its cursors decoded.
type window struct {
	size          int
	backward      bool
	after, before *cursorKey
}

func newWindow(p domain.Page) (window, error) {
	w := window{size: p.First}
	if p.Last != nil {
		w.size, w.backward = *p.Last, true
	}
	var err error
	if w.after, err = optionalCursor(p.After); err != nil {
		return w, err
	}
	w.before, err = optionalCursor(p.Before)
	return w, err
}

// page narrows q to the size+1 rows between the cursors nearest the end the
// page starts at: the newest going forward, the oldest going backward. Both
// walk the index on (store_id, created_at, id).
func (w window) page(q *gorm.DB) *gorm.DB {
	if w.after != nil {
		q = q.Where("(created_at, id) < (?, ?)", w.after.at, w.after.id)
	}
	if w.before != nil {
		q = q.Where("(created_at, id) > (?, ?)", w.before.at, w.before.id)
	}
	if w.backward {
		return q.Order("created_at, id").Limit(w.size + 1)
	}
	return q.Order("created_at DESC, id DESC").Limit(w.size + 1)
}

// probe narrows q to the row nearest the cursor the page starts at, on the
// cursor's other side (the cursor's own row included); nil when the page
// starts at an end of the list.
func (w window) probe(q *gorm.DB) *gorm.DB {
	switch {
	case !w.backward && w.after != nil:
		return q.Where("(created_at, id) >= (?, ?)", w.after.at, w.after.id).Order("created_at, id").Limit(1)
	case w.backward && w.before != nil:
		return q.Where("(created_at, id) <= (?, ?)", w.before.at, w.before.id).Order("created_at DESC, id DESC").Limit(1)
	}
	return nil
}

// trim returns the page's rows, newest first, and sets p's HasPrevious and
// HasNext as Relay's cursor connections define them: more rows than asked
// for on the paging side, the probe on the other.
func (w window) trim(rows []windowRow, p *domain.OrderPage) []windowRow {
	page := make([]windowRow, 0, len(rows))
	probed := false
	for _, r := range rows {
		if r.Probe == 1 {
			probed = true
			continue
		}
		page = append(page, r)
	}
	more := len(page) > w.size
	switch {
	case !more:
	case w.backward:
		page = page[1:]
	default:
		page = page[:w.size]
	}
	if w.backward {
		p.HasPrevious, p.HasNext = more, probed
	} else {
		p.HasPrevious, p.HasNext = probed, more
	}
	return page
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
