package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/leafly/lightspeed-orders/domain"
)

// Orders returns a page of the store's orders matching filter, newest first,
// each order with parts filled in.
// The order is (created_at, id) descending and the cursor is that key, so
// orders arriving while a client pages appear before its first page and
// never shift the pages after it; a backward page walks the same index the
// other way. At most four statements whatever the page size (the lines and
// the history only when parts has them); an unknown store is
// domain.ErrStoreNotFound.
func (db *DB) Orders(ctx context.Context, storeID string, filter domain.OrderFilter, page domain.Page, parts domain.OrderParts) (domain.OrderPage, error) {
	var result domain.OrderPage
	w, err := newWindow(page)
	if err != nil {
		return result, err
	}
	total, err := db.countOrders(ctx, storeID, filter)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return result, err
	}
	if err != nil {
		return result, fmt.Errorf("count orders: %w", err)
	}
	result.Total = int(total)
	rows, err := db.windowRows(ctx, storeID, filter, w, parts)
	if err != nil {
		return result, fmt.Errorf("list orders: %w", err)
	}
	for _, r := range w.trim(rows, &result) {
		result.Orders = append(result.Orders, r.Row.domain())
		result.Cursors = append(result.Cursors, encodeCursor(r.Row.CreatedAt, r.Row.ID))
	}
	if err := db.loadDetails(ctx, db.reads, result.Orders, parts); err != nil {
		return result, err
	}
	return result, nil
}

// windowRows reads, in one statement and newest first, the columns of parts
// of up to size+1 rows of the window from the end the page starts at and,
// when that end is a cursor, the nearest row on the cursor's other side (the
// probe), which tells whether a page lies beyond it. The statement is built
// and its rows scanned by hand: gorm's statement building cost more than the
// scan.
func (db *DB) windowRows(ctx context.Context, storeID string, f domain.OrderFilter, w window, parts domain.OrderParts) ([]windowRow, error) {
	where, filterArgs := orderFilter(db.postgres, storeID, f)
	key := "(" + timeParam(db.postgres) + ", " + textParam + ")"
	var r windowRow
	read, dest := orderColumnsOf(parts, &r.Row)
	columns := append(slices.Clone(read), "probe")
	dest = append(dest, &r.Probe)
	if !db.postgres {
		columns, dest = timesAsText(columns, dest)
	}
	list, inner := strings.Join(columns, ", "), strings.Join(read, ", ")
	query, args := w.page(inner, where, filterArgs, key)
	query = "SELECT " + list + " FROM (" + query + ") AS page"
	if probe, probeArgs := w.probe(inner, where, filterArgs, key); probe != "" {
		query += " UNION ALL SELECT " + list + " FROM (" + probe + ") AS probe"
		args = append(args, probeArgs...)
	}
	rows := make([]windowRow, 0, w.size+2)
	err := db.reads(ctx, rebind(db.postgres, query+" ORDER BY created_at DESC, id DESC"), args, func(cursor rowScanner) error {
		for cursor.Next() {
			if err := cursor.Scan(dest...); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return cursor.Err()
	})
	return rows, err
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

// page is the statement reading columns of the size+1 orders matching
// where (with whereArgs) between the cursors nearest the end the page
// starts at: the newest going forward, the oldest going backward. Both walk
// the index on (store_id, created_at, id). key is the two parameters a
// cursor's (created_at, id) is compared with.
func (w window) page(columns, where string, whereArgs []any, key string) (string, []any) {
	args := slices.Clip(whereArgs)
	if w.after != nil {
		where += " AND (created_at, id) < " + key
		args = append(args, w.after.at, w.after.id)
	}
	if w.before != nil {
		where += " AND (created_at, id) > " + key
		args = append(args, w.before.at, w.before.id)
	}
	order := "created_at DESC, id DESC"
	if w.backward {
		order = "created_at, id"
	}
	return windowSelect(columns, 0, where, order, w.size+1), args
}

// probe is the statement reading columns of the order matching where
// nearest the cursor the page starts at, on the cursor's other side (the
// cursor's own row included); "" when the page starts at an end of the list.
func (w window) probe(columns, where string, whereArgs []any, key string) (string, []any) {
	args := slices.Clip(whereArgs)
	switch {
	case !w.backward && w.after != nil:
		return windowSelect(columns, 1, where+" AND (created_at, id) >= "+key, "created_at, id", 1),
			append(args, w.after.at, w.after.id)
	case w.backward && w.before != nil:
		return windowSelect(columns, 1, where+" AND (created_at, id) <= "+key, "created_at DESC, id DESC", 1),
			append(args, w.before.at, w.before.id)
	}
	return "", nil
}

// windowSelect reads columns and probe of the first limit orders matching
// where in order.
func windowSelect(columns string, probe int, where, order string, limit int) string {
	return "SELECT " + columns + ", " + strconv.Itoa(probe) + " AS probe FROM orders WHERE " + where +
		" ORDER BY " + order + " LIMIT " + strconv.Itoa(limit)
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

// countOrders counts the store's orders matching f, in the statement that
// finds the store (domain.ErrStoreNotFound when there is none): an
// unfiltered count is read from the count each insert keeps on the store.
func (db *DB) countOrders(ctx context.Context, storeID string, f domain.OrderFilter) (int64, error) {
	count, args := "order_count", []any{}
	if !f.IsZero() {
		var where string
		where, args = orderFilter(db.postgres, storeID, f)
		count = "(SELECT COUNT(*) FROM orders WHERE " + where + ")"
	}
	var n int64
	err := db.readRow(ctx, rebind(db.postgres, "SELECT "+count+" FROM stores WHERE id = "+textParam), append(args, storeID), &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.ErrStoreNotFound(storeID)
	}
	return n, err
}

// orderFilter is the condition (with ? placeholders) and its arguments
// that narrow orders to the store's orders matching f. The parameters
// compared with indexed columns are textParam and timeParam.
func orderFilter(postgres bool, storeID string, f domain.OrderFilter) (string, []any) {
	var b strings.Builder
	b.WriteString("store_id = " + textParam)
	args := []any{storeID}
	args = appendIn(&b, args, "status", f.Status)
	if f.FulfillmentMethod != nil {
		b.WriteString(" AND fulfillment_method = " + textParam)
		args = append(args, string(*f.FulfillmentMethod))
	}
	args = appendIn(&b, args, "pos_sync_state", f.PosSyncState)
	if f.CreatedAfter != nil {
		b.WriteString(" AND created_at > " + timeParam(postgres))
		args = append(args, f.CreatedAfter.UTC())
	}
	if f.CreatedBefore != nil {
		b.WriteString(" AND created_at < " + timeParam(postgres))
		args = append(args, f.CreatedBefore.UTC())
	}
	if f.Search != nil && strings.TrimSpace(*f.Search) != "" {
		like := "%" + escapeLike(strings.ToLower(strings.TrimSpace(*f.Search))) + "%"
		b.WriteString(` AND (LOWER(customer_first_name || ' ' || customer_last_name) LIKE ? ESCAPE '\'
			OR LOWER(COALESCE(customer_email, '')) LIKE ? ESCAPE '\' OR LOWER(leafly_order_id) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	return b.String(), args
}

// appendIn adds "AND column IN (values)" to b, when there are values, and
// returns args with the values appended.
func appendIn[T ~string](b *strings.Builder, args []any, column string, values []T) []any {
	if len(values) == 0 {
		return args
	}
	b.WriteString(" AND " + column + " IN (" + textParams(len(values)) + ")")
	for _, v := range values {
		args = append(args, string(v))
	}
	return args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
