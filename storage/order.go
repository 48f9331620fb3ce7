package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	moderncsqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/leafly/lightspeed-orders/domain"
)

type orderRow struct {
	ID                  string `gorm:"primaryKey"`
	StoreID             string
	LeaflyOrderID       string
	Status              string
	FulfillmentMethod   string
	CustomerFirstName   string
	CustomerLastName    string
	CustomerEmail       *string
	CustomerPhone       *string
	CustomerDateOfBirth *string
	DeliveryAddress     *string
	SubtotalCents       int64
	TotalCents          int64
	HasGovernmentID     bool `gorm:"column:has_government_id"`
	CancelReason        *string
	PosSyncState        string
	PosSaleID           *string `gorm:"column:pos_sale_id"`
	PosCustomerID       *string `gorm:"column:pos_customer_id"`
	PosAttempts         int
	PosLastError        *string
	PosErrorCode        *string
	PosWarning          *string
	PosSaleVersion      int64
	PosWebhookVersion   int64
	PosSender           *string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

func (orderRow) TableName() string { return "orders" }

// lineRow is a row of order_lines: an order's line at its position.
type lineRow struct {
	OrderID          string `gorm:"primaryKey"`
	Position         int    `gorm:"primaryKey"`
	domain.OrderLine `gorm:"embedded"`
}

func (lineRow) TableName() string { return "order_lines" }

type statusChangeRow struct {
	ID         int64 `gorm:"primaryKey"`
	OrderID    string
	Status     string
	Source     string
	OccurredAt time.Time
}

func (statusChangeRow) TableName() string { return "order_status_changes" }

func orderToRow(o *domain.Order) orderRow {
	r := orderRow{
		ID: o.ID, StoreID: o.StoreID, LeaflyOrderID: o.LeaflyOrderID, Status: string(o.Status),
		FulfillmentMethod: string(o.FulfillmentMethod),
		CustomerFirstName: o.Customer.FirstName, CustomerLastName: o.Customer.LastName,
		CustomerEmail: o.Customer.Email, CustomerPhone: o.Customer.Phone, CustomerDateOfBirth: o.Customer.DateOfBirth,
		SubtotalCents: o.SubtotalCents, TotalCents: o.TotalCents, HasGovernmentID: o.HasGovernmentID,
		CancelReason: (*string)(o.CancelReason),
		PosSyncState: string(o.PosSync.State), PosSaleID: o.PosSync.SaleID, PosCustomerID: o.PosSync.CustomerID,
		PosAttempts: o.PosSync.Attempts, PosLastError: o.PosSync.LastError,
		PosErrorCode: (*string)(o.PosSync.ErrorCode), PosWarning: o.PosSync.Warning, PosSaleVersion: o.PosSync.SaleVersion,
		PosWebhookVersion: o.PosSync.HintedVersion, PosSender: nonEmpty(o.PosSync.Sender), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	if o.DeliveryAddress != nil {
		b, _ := json.Marshal(o.DeliveryAddress)
		s := string(b)
		r.DeliveryAddress = &s
	}
	return r
}

func (r orderRow) domain() *domain.Order {
	o := &domain.Order{
		ID: r.ID, StoreID: r.StoreID, LeaflyOrderID: r.LeaflyOrderID, Status: domain.Status(r.Status),
		FulfillmentMethod: domain.FulfillmentMethod(r.FulfillmentMethod),
		Customer: domain.Customer{FirstName: r.CustomerFirstName, LastName: r.CustomerLastName,
			Email: r.CustomerEmail, Phone: r.CustomerPhone, DateOfBirth: r.CustomerDateOfBirth},
		SubtotalCents: r.SubtotalCents, TotalCents: r.TotalCents, HasGovernmentID: r.HasGovernmentID,
		CancelReason: (*domain.CancelReason)(r.CancelReason),
		PosSync: domain.PosSync{State: domain.PosSyncState(r.PosSyncState), SaleID: r.PosSaleID,
			CustomerID: r.PosCustomerID, Attempts: r.PosAttempts, LastError: r.PosLastError,
			ErrorCode: (*domain.PosErrorCode)(r.PosErrorCode), Warning: r.PosWarning, SaleVersion: r.PosSaleVersion,
			HintedVersion: r.PosWebhookVersion, Sender: deref(r.PosSender)},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.DeliveryAddress != nil {
		var a domain.Address
		if json.Unmarshal([]byte(*r.DeliveryAddress), &a) == nil {
			o.DeliveryAddress = &a
		}
	}
	return o
}

func linesToRows(o *domain.Order) []lineRow {
	rows := make([]lineRow, len(o.Lines))
	for i, l := range o.Lines {
		rows[i] = lineRow{OrderID: o.ID, Position: i, OrderLine: l}
	}
	return rows
}

// CreateOrder inserts a new order with its lines, status history and an
// event for each history entry. When an order with the same store and Leafly
// order id exists already, nothing is written and that order is returned
// with created false.
//
// then runs in the same transaction once the order is written, with its
// events, so what it writes (outbox rows, jobs) exists exactly when the
// order does. The events it gets are not yet in the log (Seq and StoreSeq
// are 0): they are logged after it, last, so the store's row stays locked
// (see numberUpdates) for the log's writes and the commit only.
func (db *DB) CreateOrder(ctx context.Context, o *domain.Order, then func(Tx, []domain.Event) error) (stored *domain.Order, created bool, events []domain.Event, err error) {
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		row := orderToRow(o)
		res, err := insertOrder.exec(ctx, tx, orderFields(&row)...)
		if err != nil {
			return storeMissing(err, o.StoreID)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		created = true
		if err := insertLines(ctx, tx, o); err != nil {
			return err
		}
		changes, err := recordChanges(tx, o, nil, o.StatusHistory, nil)
		if err != nil {
			return err
		}
		if err := after(tx, then, changes.events()); err != nil {
			return err
		}
		events, err = changes.log(tx, 1, db.announce)
		return err
	})
	if err != nil {
		return nil, false, nil, fmt.Errorf("create order %s: %w", o.LeaflyOrderID, err)
	}
	if created {
		return o, true, events, nil
	}
	existing, err := db.OrderByLeaflyID(ctx, o.StoreID, o.LeaflyOrderID)
	return existing, false, nil, err
}

// storeMissing is err, or the store's NOT_FOUND when err is SQLite refusing
// an order row for its one foreign key, the store. (On PostgreSQL the
// order's event log statement finds no store; see migration 0017.)
func storeMissing(err error, storeID string) error {
	var e *moderncsqlite.Error
	if errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return domain.ErrStoreNotFound(storeID)
	}
	return err
}

// insertOrder writes a new order's row unless the store has one of its
// Leafly order id already, written once: gorm's Create reflected over the
// row for every order.
var insertOrder = newStatement("INSERT INTO orders (" + strings.Join(orderColumns, ", ") + ") VALUES (?" +
	strings.Repeat(", ?", len(orderColumns)-1) + ") ON CONFLICT DO NOTHING")

// orderChanges are the event rows of a change of o, not yet numbered nor
// logged.
type orderChanges struct {
	o    *domain.Order
	rows []eventRow
}

// recordChanges appends status history entries, in one statement, and
// returns their event rows after rows.
func recordChanges(tx *gorm.DB, o *domain.Order, previous *domain.Status, changes []domain.StatusChange, rows []eventRow) (orderChanges, error) {
	history := make([]any, 0, 4*len(changes))
	for _, c := range changes {
		history = append(history, o.ID, string(c.Status), string(c.Source), c.OccurredAt)
		rows = append(rows, eventRow{StoreID: o.StoreID, OrderID: &o.ID, PreviousStatus: (*string)(previous),
			Status: new(string(c.Status)), Source: new(string(c.Source)), OccurredAt: c.OccurredAt})
		status := c.Status
		previous = &status
	}
	if err := insertRows(tx.Statement.Context, tx, "order_status_changes", []string{"order_id", "status", "source", "occurred_at"}, history); err != nil {
		return orderChanges{}, err
	}
	return orderChanges{o: o, rows: rows}, nil
}

// insertLines writes the lines of the new order o in one statement.
func insertLines(ctx context.Context, tx *gorm.DB, o *domain.Order) error {
	args := make([]any, 0, len(lineColumns)*len(o.Lines))
	for i, l := range o.Lines {
		args = append(args, o.ID, i, l.MenuItemID, l.Name, l.Quantity, l.UnitPriceCents, l.DiscountedUnitPriceCents, l.DealTitle)
	}
	return insertRows(ctx, tx, "order_lines", lineColumns, args)
}

var lineColumns = []string{"order_id", "position", "menu_item_id", "name", "quantity", "unit_price_cents",
	"discounted_unit_price_cents", "deal_title"}

// insertRows writes rows into table in one statement written by hand (gorm's
// Create reflected over every row of every order change): args holds each
// row's values of columns in turn. No args writes nothing.
func insertRows(ctx context.Context, tx *gorm.DB, table string, columns []string, args []any) error {
	if len(args) == 0 {
		return nil
	}
	row := "(?" + strings.Repeat(", ?", len(columns)-1) + ")"
	q := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES " + row +
		strings.Repeat(", "+row, len(args)/len(columns)-1)
	return later(ctx, tx, rebind(onPostgres(tx), q), args, nil)
}

// events returns the changes' events as their rows say now.
func (c orderChanges) events() []domain.Event {
	events := make([]domain.Event, len(c.rows))
	for i, r := range c.rows {
		events[i] = domain.Event{Seq: r.Seq, StoreID: r.StoreID}
		orderEvent(r, c.o, &events[i])
	}
	return events
}

// log numbers the changes' events, adding created to the store's order
// count, and appends them to the event log: one statement on PostgreSQL
// (see logNumbered), which announces them when announce is set, two on
// SQLite, none when there is nothing to log.
func (c orderChanges) log(tx *gorm.DB, created int, announce *announcement) ([]domain.Event, error) {
	if len(c.rows) == 0 {
		return nil, nil
	}
	if onPostgres(tx) {
		if err := logNumbered(tx, c.o.StoreID, c.rows, created, announce); err != nil {
			return nil, err
		}
		events := c.events()
		for i := range events {
			events[i].Announced = announce != nil
		}
		return events, nil
	}
	nums, err := numberUpdates(tx, c.o.StoreID, len(c.rows), created)
	if err != nil {
		return nil, err
	}
	for i := range c.rows {
		c.rows[i].StoreSeq = nums.take()
	}
	if err := tx.Create(&c.rows).Error; err != nil {
		return nil, err
	}
	return c.events(), nil
}

// UpdateOrder locks the order, lets change modify it and saves the result:
// its fields, the status history entries change appended, and one event per
// new entry, all in one transaction.
//
// then runs in the same transaction after the order is saved, with the
// events of the update, not yet logged (see CreateOrder).
func (db *DB) UpdateOrder(ctx context.Context, id string, change func(*domain.Order) error, then func(Tx, []domain.Event) error) (*domain.Order, []domain.Event, error) {
	var o *domain.Order
	var events []domain.Event
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var err error
		if o, err = db.lockOrder(ctx, tx, id); err != nil {
			return err
		}
		before, seen, sync := o.Status, len(o.StatusHistory), o.PosSync
		if err := change(o); err != nil {
			return err
		}
		o.UpdatedAt = db.now()
		updated := orderToRow(o)
		if err := saveOrder(ctx, tx, &updated); err != nil {
			return err
		}
		changes, err := orderChangesOf(tx, o, before, sync, o.StatusHistory[seen:])
		if err != nil {
			return err
		}
		if err := after(tx, then, changes.events()); err != nil {
			return err
		}
		events, err = changes.log(tx, 0, db.announce)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("update order %s: %w", id, err)
	}
	return o, events, nil
}

// updateOrder writes every column of an order but its id, as gorm's
// Save would, in a statement written once: Save's reflection over the row
// cost more than the statement.
var updateOrder = newStatement("UPDATE orders SET " + strings.Join(orderColumns[1:], " = ?, ") + " = ? WHERE id = ?")

// saveOrder writes row, which tx holds locked, over its stored row, as a
// write nothing in tx waits on (see pipeTx).
func saveOrder(ctx context.Context, tx *gorm.DB, row *orderRow) error {
	return updateOrder.later(ctx, tx, append(orderFields(row)[1:], &row.ID), func(n int64) error {
		if n != 1 {
			return fmt.Errorf("save order %s: %d rows written", row.ID, n)
		}
		return nil
	})
}

// orderChangesOf records the status history entries of an update of o and
// returns its events' rows: first a change of its posSync (from sync), then
// its new status history entries.
func orderChangesOf(tx *gorm.DB, o *domain.Order, before domain.Status, sync domain.PosSync, changes []domain.StatusChange) (orderChanges, error) {
	var rows []eventRow
	if posSyncShown(sync) != posSyncShown(o.PosSync) {
		rows = append(rows, eventRow{StoreID: o.StoreID, OrderID: &o.ID, OccurredAt: o.UpdatedAt})
	}
	return recordChanges(tx, o, &before, changes, rows)
}

// posSyncView is what a dashboard acts on in an order's posSync: its state
// and why it is not (or only partly) in the POS. The attempt count and the
// sale id reserved before the first attempt change on every attempt and
// are not news by themselves.
type posSyncView struct {
	state                      domain.PosSyncState
	lastError, errorCode, warn string
}

func posSyncShown(p domain.PosSync) posSyncView {
	return posSyncView{state: p.State, lastError: deref(p.LastError), errorCode: deref((*string)(p.ErrorCode)), warn: deref(p.Warning)}
}

// nonEmpty is &s, or nil when s is empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// deref is *p, or T's zero value when p is nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// Order returns the order with the given id, lines and history included.
func (db *DB) Order(ctx context.Context, id string) (*domain.Order, error) {
	return db.ReadOrder(ctx, id, true)
}

// ReadOrder returns the order with the given id and its lines (one
// statement), and its status history when history is true (a second). On
// PostgreSQL the reads that arrive together share their statements (see
// orderReads).
func (db *DB) ReadOrder(ctx context.Context, id string, history bool) (*domain.Order, error) {
	read := db.readOne
	if db.orderReads != nil {
		read = db.orderReads.read
	}
	o, err := read(ctx, id, history)
	if err == nil && o == nil {
		return nil, domain.ErrOrderNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", id, err)
	}
	return o, nil
}

// readOne reads the order id as ReadOrder does, in statements of its own;
// nil when there is no such order.
func (db *DB) readOne(ctx context.Context, id string, history bool) (*domain.Order, error) {
	o, err := db.readOrder(ctx, id)
	if err == nil && o != nil && history {
		err = db.loadHistory(ctx, db.reads, []*domain.Order{o})
	}
	return o, err
}

// OrderScope is what the dashboard's actions check before they lock an
// order: its store, and whether the store's order integration is on.
type OrderScope struct {
	StoreID            string
	IntegrationEnabled bool
}

// OrderScope reads the scope of the order id in one statement.
func (db *DB) OrderScope(ctx context.Context, id string) (OrderScope, error) {
	var sc OrderScope
	err := db.readRow(ctx, rebind(db.postgres, `SELECT o.store_id, s.integration_enabled
		FROM orders o JOIN stores s ON s.id = o.store_id WHERE o.id = `+textParam), []any{id}, &sc.StoreID, &sc.IntegrationEnabled)
	if errors.Is(err, sql.ErrNoRows) {
		return OrderScope{}, domain.ErrOrderNotFound(id)
	}
	if err != nil {
		return OrderScope{}, fmt.Errorf("order %s: %w", id, err)
	}
	return sc, nil
}

// OrderByLeaflyID returns the store's order with the given Leafly order id,
// or nil when there is none. Every order submitted asks, so the statement
// that finds it is written by hand.
func (db *DB) OrderByLeaflyID(ctx context.Context, storeID, leaflyOrderID string) (*domain.Order, error) {
	var id string
	err := db.readRow(ctx, db.in(orderByLeaflyID), []any{storeID, leaflyOrderID}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("order %s of store %s: %w", leaflyOrderID, storeID, err)
	}
	return db.ReadOrder(ctx, id, true)
}

var orderByLeaflyID = newStatement("SELECT id FROM orders WHERE store_id = " + textParam + " AND leafly_order_id = " + textParam)

// countOrders adds n to the store's order count: domain.ErrStoreNotFound
// when there is no such store (on PostgreSQL no foreign key refuses an
// order of a store that does not exist; see migration 0017).
func countOrders(tx *gorm.DB, storeID string, n int) error {
	res := tx.Exec("UPDATE stores SET order_count = order_count + ? WHERE id = ?", n, storeID)
	if res.Error == nil && res.RowsAffected == 0 {
		return domain.ErrStoreNotFound(storeID)
	}
	return res.Error
}

// StaleQueuedOrders returns the ids of orders still waiting for the POS
// that arrived before the deadline and either failed an attempt or have
// not changed since: an order put back on the POS path (Requeue, after an
// outage, which clears its last error) or whose send is under way is left
// to its send, which gives up itself when that attempt fails.
func (db *DB) StaleQueuedOrders(ctx context.Context, before time.Time) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&orderRow{}).
		Where("pos_sync_state = ? AND created_at < ? AND (pos_last_error IS NOT NULL OR updated_at < ?)", domain.PosQueued, before.UTC(), before.UTC()).
		Limit(1000).Pluck("id", &ids).Error
	return ids, err
}

// UntouchedNotSent returns the ids of the store's orders that did not reach
// the POS for a reason other than their own (outage, credentials, rate
// limit) and that nobody has acted on since (still PENDING).
func (db *DB) UntouchedNotSent(ctx context.Context, storeID string) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&orderRow{}).
		Where("store_id = ? AND pos_sync_state = ? AND status = ? AND pos_error_code IN ?", storeID, domain.PosNotSent,
			domain.StatusPending, []domain.PosErrorCode{domain.PosErrOutage, domain.PosErrCredentials, domain.PosErrRateLimited}).
		Pluck("id", &ids).Error
	return ids, err
}

// IntegratedStores returns the ids of the stores whose order integration
// is enabled and whose Lightspeed health is the given one.
func (db *DB) IntegratedStores(ctx context.Context, health domain.IntegrationHealth) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&storeRow{}).Where("integration_enabled AND integration_health = ?", health).Pluck("id", &ids).Error
	return ids, err
}
