package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

// The hot reads (an order by id, a page of orders with its lines and
// history) are scanned by hand: gorm's reflection cost more than the
// statements themselves. On PostgreSQL they are scanned by pgx itself
// (pgxReads), which skips database/sql's conversion of each value through
// driver.Value. Writes and rare reads stay on gorm.

// orderColumns are the columns scanOrder reads, in its order.
var orderColumns = []string{"id", "store_id", "leafly_order_id", "status", "fulfillment_method",
	"customer_first_name", "customer_last_name", "customer_email", "customer_phone", "customer_date_of_birth",
	"delivery_address", "subtotal_cents", "total_cents", "has_government_id", "cancel_reason",
	"pos_sync_state", "pos_sale_id", "pos_customer_id", "pos_attempts", "pos_last_error", "pos_error_code",
	"pos_warning", "pos_sale_version", "pos_webhook_version", "pos_sender", "created_at", "updated_at"}

// orderColumnPart is the part of an order (domain.OrderParts) each of
// orderColumns fills in; every read reads the columns without an entry.
var orderColumnPart = map[string]domain.OrderParts{
	"leafly_order_id": domain.PartDetails, "fulfillment_method": domain.PartDetails, "subtotal_cents": domain.PartDetails,
	"total_cents": domain.PartDetails, "has_government_id": domain.PartDetails, "cancel_reason": domain.PartDetails,
	"updated_at": domain.PartDetails, "customer_first_name": domain.PartCustomer, "customer_last_name": domain.PartCustomer,
	"customer_email": domain.PartCustomer, "customer_phone": domain.PartCustomer, "customer_date_of_birth": domain.PartCustomer,
	"delivery_address": domain.PartCustomer, "pos_sync_state": domain.PartPosSync, "pos_sale_id": domain.PartPosSync,
	"pos_customer_id": domain.PartPosSync, "pos_attempts": domain.PartPosSync, "pos_last_error": domain.PartPosSync,
	"pos_error_code": domain.PartPosSync, "pos_warning": domain.PartPosSync, "pos_sale_version": domain.PartPosSync,
	"pos_webhook_version": domain.PartPosSync, "pos_sender": domain.PartPosSync,
}

// orderColumnsOf returns the columns of orderColumns that fill in parts,
// and where scanning them puts each into r.
func orderColumnsOf(parts domain.OrderParts, r *orderRow) ([]string, []any) {
	fields := orderFields(r)
	var columns []string
	var dest []any
	for i, c := range orderColumns {
		if part, ok := orderColumnPart[c]; !ok || part&parts != 0 {
			columns, dest = append(columns, c), append(dest, fields[i])
		}
	}
	return columns, dest
}

// orderSelect lists orderColumns for a SELECT, each prefixed with prefix.
func orderSelect(prefix string) string {
	return prefix + strings.Join(orderColumns, ", "+prefix)
}

// orderFields returns where scanning orderColumns puts each into r.
func orderFields(r *orderRow) []any {
	return []any{&r.ID, &r.StoreID, &r.LeaflyOrderID, &r.Status, &r.FulfillmentMethod,
		&r.CustomerFirstName, &r.CustomerLastName, &r.CustomerEmail, &r.CustomerPhone, &r.CustomerDateOfBirth,
		&r.DeliveryAddress, &r.SubtotalCents, &r.TotalCents, &r.HasGovernmentID, &r.CancelReason,
		&r.PosSyncState, &r.PosSaleID, &r.PosCustomerID, &r.PosAttempts, &r.PosLastError, &r.PosErrorCode,
		&r.PosWarning, &r.PosSaleVersion, &r.PosWebhookVersion, &r.PosSender, &r.CreatedAt, &r.UpdatedAt}
}

// rowsQueryer runs a query: the pool, a transaction's connection, or
// SQLite's prepared reads.
type rowsQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryer runs a query, or one of one row: the pool, or a transaction's
// connection.
type queryer interface {
	rowsQueryer
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rebind turns the ? placeholders of query into PostgreSQL's $1, $2, …
// when postgres is true. The queries here hold no ? in literals.
func rebind(postgres bool, query string) string {
	if !postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, part := range strings.SplitAfter(query, "?") {
		if strings.HasSuffix(part, "?") {
			n++
			part = part[:len(part)-1] + "$" + strconv.Itoa(n)
		}
		b.WriteString(part)
	}
	return b.String()
}

// statement is a statement written once, in both dialects.
type statement struct{ sqlite, postgres string }

func newStatement(query string) statement { return statement{query, rebind(true, query)} }

// of is s in PostgreSQL's dialect when postgres is true, else in SQLite's.
func (s statement) of(postgres bool) string {
	if postgres {
		return s.postgres
	}
	return s.sqlite
}

// later runs s in tx as a write nothing in tx waits on (see pipeTx).
func (s statement) later(ctx context.Context, tx *gorm.DB, args []any, done func(rows int64) error) error {
	return later(ctx, tx, s.of(onPostgres(tx)), args, done)
}

// exec runs s in tx, in tx's dialect.
func (s statement) exec(ctx context.Context, tx *gorm.DB, args ...any) (sql.Result, error) {
	return tx.Statement.ConnPool.ExecContext(ctx, s.of(onPostgres(tx)), args...)
}

// onPostgres reports whether tx is PostgreSQL's (else SQLite's).
func onPostgres(tx *gorm.DB) bool { return tx.Dialector.Name() == "postgres" }

// in is s in db's dialect.
func (db *DB) in(s statement) string { return s.of(db.postgres) }

// textParam is a text parameter SQLite's planner cannot read, which every
// read on SQLite's reading connections uses. SQLite, built with STAT4,
// plans a statement again at every new binding of a plain parameter that
// its statistics could use (an indexed column's equality or range, each
// value of an IN list) once ANALYZE has given it statistics, and planning
// costs it more than running a read (TestSQLiteReadsArePlannedOnce).
// PostgreSQL plans the CAST parameter as the plain one.
const textParam = "CAST(? AS TEXT)"

// textParams is n comma-separated textParams.
func textParams(n int) string {
	return strings.TrimSuffix(strings.Repeat(textParam+", ", n), ", ")
}

// timeParam is textParam for a time, which SQLite keeps as text and
// PostgreSQL as timestamptz.
func timeParam(postgres bool) string {
	if postgres {
		return "CAST(? AS TIMESTAMPTZ)"
	}
	return textParam
}

// readOrderSQL reads an order and its lines in one statement, a row per
// line (one row with NULL line columns for an order without lines).
var readOrderSQL = "SELECT " + orderSelect("o.") + `,
	l.menu_item_id, l.name, l.quantity, l.unit_price_cents, l.discounted_unit_price_cents, l.deal_title
	FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id WHERE o.id = ` + textParam + ` ORDER BY l.position`

// readOrderPostgres is readOrderSQL with PostgreSQL's placeholders.
var readOrderPostgres = rebind(true, readOrderSQL)

// readOrder reads the order id with its lines in one statement; nil when
// there is no such order.
func (db *DB) readOrder(ctx context.Context, id string) (*domain.Order, error) {
	query := readOrderSQL
	if db.postgres {
		query = readOrderPostgres
	}
	var o *domain.Order
	err := db.reads(ctx, query, []any{id}, func(rows rowScanner) (err error) {
		o, err = scanOrder(rows)
		return err
	})
	return o, err
}

// readOrdersPostgres reads orders and their lines in one statement, as
// readOrderSQL does one, the orders in the order of their ids. The lines
// are a LATERAL subquery that PostgreSQL cannot merge into a plain join (it
// is sorted): a plan made for any number of ids then still reads each
// order's lines by its index, where a join's generic plan, which expects 10
// ids, may scan every line of every order instead.
var readOrdersPostgres = "SELECT " + orderSelect("o.") + `,
	l.menu_item_id, l.name, l.quantity, l.unit_price_cents, l.discounted_unit_price_cents, l.deal_title
	FROM orders o LEFT JOIN LATERAL (SELECT * FROM order_lines l WHERE l.order_id = o.id ORDER BY l.position) l ON true
	WHERE o.id = ANY($1) ORDER BY o.id, l.position`

// readOrders reads the orders ids with their lines in one statement, on
// PostgreSQL, by id; an id with no order is not in the map.
func (db *DB) readOrders(ctx context.Context, ids []string) (map[string]*domain.Order, error) {
	orders := make(map[string]*domain.Order, len(ids))
	err := db.reads(ctx, readOrdersPostgres, []any{ids}, func(rows rowScanner) error {
		raw, ok := rows.(rawRows)
		if !ok {
			return fmt.Errorf("storage: orders read from %T, not pgx's rows", rows)
		}
		return scanOrders(raw, func(o *domain.Order) { orders[o.ID] = o })
	})
	return orders, err
}

// scanOrders scans the rows of readOrdersPostgres and hands each order to
// add before its lines are added to it. Of the rows after an order's first,
// only the line is scanned.
func scanOrders(rows rawRows, add func(*domain.Order)) error {
	var row orderRow
	var line nullableLine
	head := orderFields(&row)
	whole := append(slices.Clip(head), line.fields()...)
	lineOnly := append(make([]any, len(head)), line.fields()...)
	var o *domain.Order
	for rows.Next() {
		first := o == nil || string(rows.RawValues()[0]) != o.ID
		dest := lineOnly
		if first {
			dest = whole
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if first {
			o = row.domain()
			add(o)
		}
		if line.MenuItemID != nil {
			o.Lines = append(o.Lines, line.domain())
		}
	}
	return rows.Err()
}

// A reader runs a read and hands its rows to scan, which need not read them
// all; it closes them after scan returns.
type reader func(ctx context.Context, query string, args []any, scan func(rowScanner) error) error

// readRow scans the one row of query into dest: sql.ErrNoRows when there is
// none.
func (db *DB) readRow(ctx context.Context, query string, args []any, dest ...any) error {
	return db.reads(ctx, query, args, func(rows rowScanner) error {
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return sql.ErrNoRows
		}
		return rows.Scan(dest...)
	})
}

// sqlReader is the reader of q.
func sqlReader(q rowsQueryer) reader {
	return func(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := scan(rows); err != nil {
			return err
		}
		return rows.Close()
	}
}

// rowScanner is what a reader hands to its scan: database/sql's rows
// and pgx's both have it.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanOrder scans the rows of readOrderSQL: the order, a row per line.
func scanOrder(rows rowScanner) (*domain.Order, error) {
	var row orderRow
	var o *domain.Order
	err := scanLines(rows, orderFields(&row), func() *domain.Order {
		o = row.domain()
		return o
	})
	return o, err
}

// scanLines scans the rows of a statement that reads an order with its
// lines, a row per line (one row with NULL line columns when it has none):
// the first row's leading columns go to head, then first makes the order
// of them, and each row's line is added to the order. The leading columns
// of later rows, the same again, are skipped on pgx's rows, which skip a
// nil destination, so that they allocate nothing; database/sql refuses nil,
// and its driver has made each value by then anyway.
func scanLines(rows rowScanner, head []any, first func() *domain.Order) error {
	var line nullableLine
	dest := append(slices.Clip(head), line.fields()...)
	var o *domain.Order
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if o == nil {
			o = first()
			if _, ok := rows.(*sql.Rows); !ok {
				clear(dest[:len(head)])
			}
		}
		if line.MenuItemID != nil {
			o.Lines = append(o.Lines, line.domain())
		}
	}
	return rows.Err()
}

// nullableLine is a line read through a LEFT JOIN: MenuItemID is NULL when
// the order has no line.
type nullableLine struct {
	MenuItemID     *string
	Name           *string
	Quantity       *int64
	UnitPriceCents *int64
	Discounted     *int64
	DealTitle      *string
}

func (l *nullableLine) fields() []any {
	return []any{&l.MenuItemID, &l.Name, &l.Quantity, &l.UnitPriceCents, &l.Discounted, &l.DealTitle}
}

// domain returns the line. The pointers it hands on are the row's own: a
// scan into a pointer allocates a new value for each row that is not NULL.
func (l *nullableLine) domain() domain.OrderLine {
	return domain.OrderLine{MenuItemID: *l.MenuItemID, Name: deref(l.Name), Quantity: int(deref(l.Quantity)),
		UnitPriceCents: deref(l.UnitPriceCents), DiscountedUnitPriceCents: l.Discounted, DealTitle: l.DealTitle}
}

// loadDetails fills in the lines and the status history of orders, each
// when parts has it: a statement each whatever the number of orders.
func (db *DB) loadDetails(ctx context.Context, r reader, orders []*domain.Order, parts domain.OrderParts) error {
	if parts&domain.PartLines != 0 {
		if err := db.loadLines(ctx, r, orders); err != nil {
			return err
		}
	}
	if parts&domain.PartHistory != 0 {
		return db.loadHistory(ctx, r, orders)
	}
	return nil
}

// indexOrders indexes orders by id, and lists the ids.
func indexOrders(orders []*domain.Order) (map[string]*domain.Order, []string) {
	m := make(map[string]*domain.Order, len(orders))
	ids := make([]string, len(orders))
	for i, o := range orders {
		m[o.ID], ids[i] = o, o.ID
	}
	return m, ids
}

// eachRow runs query (whose "order_id %s" takes the orders' ids) and calls
// scan on each row with the order the row's first column names. On
// PostgreSQL the ids go as one array, so the statement and its parameters
// are the same whatever the number of orders; on SQLite each is a
// textParam.
func (db *DB) eachRow(ctx context.Context, r reader, orders []*domain.Order, query string, dest []any, scan func(*domain.Order)) error {
	if len(orders) == 0 {
		return nil
	}
	byID, ids := indexOrders(orders)
	in, args := "= ANY($1)", []any{ids}
	if !db.postgres {
		in, args = "IN ("+textParams(len(ids))+")", make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
	}
	var orderID string
	dest = append([]any{&orderID}, dest...)
	return r(ctx, fmt.Sprintf(query, in), args, func(rows rowScanner) error {
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			scan(byID[orderID])
		}
		return rows.Err()
	})
}

func (db *DB) loadLines(ctx context.Context, r reader, orders []*domain.Order) error {
	var l domain.OrderLine
	err := db.eachRow(ctx, r, orders, `SELECT order_id, menu_item_id, name, quantity, unit_price_cents,
		discounted_unit_price_cents, deal_title FROM order_lines WHERE order_id %s ORDER BY order_id, position`,
		[]any{&l.MenuItemID, &l.Name, &l.Quantity, &l.UnitPriceCents, &l.DiscountedUnitPriceCents, &l.DealTitle},
		func(o *domain.Order) {
			o.Lines = append(o.Lines, l)
		})
	if err != nil {
		return fmt.Errorf("load lines: %w", err)
	}
	return nil
}

func (db *DB) loadHistory(ctx context.Context, r reader, orders []*domain.Order) error {
	var h statusChangeRow
	columns, dest := []string{"status", "source", "occurred_at"}, []any{&h.Status, &h.Source, &h.OccurredAt}
	if !db.postgres {
		columns, dest = timesAsText(columns, dest)
	}
	err := db.eachRow(ctx, r, orders, "SELECT order_id, "+strings.Join(columns, ", ")+`
		FROM order_status_changes WHERE order_id %s ORDER BY order_id, id`, dest,
		func(o *domain.Order) {
			o.StatusHistory = append(o.StatusHistory, domain.StatusChange{Status: domain.Status(h.Status),
				Source: domain.Source(h.Source), OccurredAt: h.OccurredAt.UTC()})
		})
	if err != nil {
		return fmt.Errorf("load status history: %w", err)
	}
	return nil
}

// lockOrderPostgres locks an order and reads it with its lines and status
// history in one statement, the lines and the history as JSON arrays.
var lockOrderPostgres = "SELECT " + orderSelect("o.") + `,
	(SELECT COALESCE(json_agg(json_build_object('m', l.menu_item_id, 'n', l.name, 'q', l.quantity,
		'u', l.unit_price_cents, 'd', l.discounted_unit_price_cents, 't', l.deal_title) ORDER BY l.position), '[]')
		FROM order_lines l WHERE l.order_id = o.id),
	(SELECT COALESCE(json_agg(json_build_object('s', h.status, 'o', h.source, 'at', h.occurred_at) ORDER BY h.id), '[]')
		FROM order_status_changes h WHERE h.order_id = o.id)
	FROM orders o WHERE o.id = $1 FOR UPDATE OF o`

// jsonLine and jsonChange are a line and a status change as
// lockOrderPostgres reads them.
type jsonLine struct {
	MenuItemID     string  `json:"m"`
	Name           string  `json:"n"`
	Quantity       int     `json:"q"`
	UnitPriceCents int64   `json:"u"`
	Discounted     *int64  `json:"d"`
	DealTitle      *string `json:"t"`
}

type jsonChange struct {
	Status     domain.Status `json:"s"`
	Source     domain.Source `json:"o"`
	OccurredAt time.Time     `json:"at"`
}

// lockOrder locks the order id for the rest of tx and reads it with its
// lines and status history: one statement on PostgreSQL, three on SQLite
// (whose transactions hold the whole database, and whose statements make
// no round trip).
func (db *DB) lockOrder(ctx context.Context, tx *gorm.DB, id string) (*domain.Order, error) {
	if !db.postgres {
		var row orderRow
		if err := tx.Take(&row, "id = ?", id).Error; err != nil {
			return nil, notFound(err, domain.ErrOrderNotFound(id))
		}
		o := row.domain()
		return o, db.loadDetails(ctx, sqlReader(tx.Statement.ConnPool), []*domain.Order{o}, domain.AllOrderParts)
	}
	q, ok := tx.Statement.ConnPool.(queryer)
	if !ok {
		return nil, fmt.Errorf("lock order %s: not in a database/sql transaction (%T)", id, tx.Statement.ConnPool)
	}
	var row orderRow
	var lines, history []byte
	err := q.QueryRowContext(ctx, lockOrderPostgres, id).Scan(append(orderFields(&row), &lines, &history)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrOrderNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	o := row.domain()
	var ls []jsonLine
	var hs []jsonChange
	if err := json.Unmarshal(lines, &ls); err != nil {
		return nil, fmt.Errorf("lock order %s: lines: %w", id, err)
	}
	if err := json.Unmarshal(history, &hs); err != nil {
		return nil, fmt.Errorf("lock order %s: status history: %w", id, err)
	}
	for _, l := range ls {
		o.Lines = append(o.Lines, domain.OrderLine{MenuItemID: l.MenuItemID, Name: l.Name, Quantity: l.Quantity,
			UnitPriceCents: l.UnitPriceCents, DiscountedUnitPriceCents: l.Discounted, DealTitle: l.DealTitle})
	}
	for _, h := range hs {
		o.StatusHistory = append(o.StatusHistory, domain.StatusChange{Status: h.Status, Source: h.Source, OccurredAt: h.OccurredAt.UTC()})
	}
	return o, nil
}
