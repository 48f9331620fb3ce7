package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

// eventRow is one entry of the event log. What it records follows from
// which columns are set:
//
//   - order_id and status: a status change (with previous_status NULL: the
//     order's creation), for orderStatusChanged and orderUpdated;
//   - order_id alone: a change of the order's posSync, for orderUpdated;
//   - alert_id: an alert raised;
//   - neither: a change of the store itself, for storeUpdated.
//
// StoreSeq numbers the store's order updates (see numberUpdates).
type eventRow struct {
	Seq            int64 `gorm:"primaryKey;autoIncrement"`
	StoreSeq       *int64
	StoreID        string
	OrderID        *string
	AlertID        *string
	PreviousStatus *string
	Status         *string
	Source         *string
	OccurredAt     time.Time
}

func (eventRow) TableName() string { return "events" }

// updateKind is the orderUpdated kind of an order's event.
func (r eventRow) updateKind() domain.OrderUpdateKind {
	switch {
	case r.Status == nil:
		return domain.OrderPosSyncChanged
	case r.PreviousStatus == nil:
		return domain.OrderCreated
	}
	return domain.OrderStatusChanged
}

// Event returns the logged event with the given sequence number.
func (db *DB) Event(ctx context.Context, seq int64) (domain.Event, error) {
	events, err := db.eventsWhere(ctx, db.gorm.WithContext(ctx).Where("seq = ?", seq), 1)
	if err != nil {
		return domain.Event{}, err
	}
	if len(events) == 0 {
		return domain.Event{}, fmt.Errorf("event %d: not found", seq)
	}
	return events[0], nil
}

// EventsAfter returns up to limit logged events after seq, in order.
func (db *DB) EventsAfter(ctx context.Context, seq int64, limit int) ([]domain.Event, error) {
	return db.eventsWhere(ctx, db.gorm.WithContext(ctx).Where("seq > ?", seq), limit)
}

// OrderUpdatesAfter returns up to limit of the store's order updates logged
// after seq, in order.
func (db *DB) OrderUpdatesAfter(ctx context.Context, storeID string, seq int64, limit int) ([]domain.Event, error) {
	q := db.gorm.WithContext(ctx).Where("store_id = ? AND seq > ? AND order_id IS NOT NULL", storeID, seq)
	return db.eventsWhere(ctx, q, limit)
}

// UpdatePosition is a place in a store's order updates: the event log
// position Seq and the store's number StoreSeq of the update there (both 0
// before the store's first update).
type UpdatePosition struct {
	Seq, StoreSeq int64
}

// OrderUpdateMark tells a replay after a cursor where it starts and whether
// it can: At, and when the first update after it occurred (Next, zero when
// none did yet).
type OrderUpdateMark struct {
	At   UpdatePosition
	Next time.Time
}

// OrderUpdateMark returns the mark of the store's order update seq (0: before
// the store's first), and false when the log holds no such update of that
// store. Two index reads.
func (db *DB) OrderUpdateMark(ctx context.Context, storeID string, seq int64) (OrderUpdateMark, bool, error) {
	m := OrderUpdateMark{At: UpdatePosition{Seq: seq}}
	tx := db.gorm.WithContext(ctx)
	if seq > 0 {
		var r eventRow
		err := tx.Select("store_seq").Take(&r, "seq = ? AND store_id = ? AND order_id IS NOT NULL", seq, storeID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return m, false, nil
		}
		if err != nil {
			return m, false, fmt.Errorf("order update %d: %w", seq, err)
		}
		m.At.StoreSeq = deref(r.StoreSeq)
	}
	var next []eventRow
	err := tx.Select("occurred_at").Where("store_id = ? AND seq > ? AND order_id IS NOT NULL", storeID, seq).
		Order("seq").Limit(1).Find(&next).Error
	if err != nil {
		return m, false, fmt.Errorf("order update after %d: %w", seq, err)
	}
	if len(next) > 0 {
		m.Next = next[0].OccurredAt.UTC()
	}
	return m, true, nil
}

// LatestOrderUpdate returns the position of the store's latest committed
// order update; zero when it has none. Every update of the store at or
// before it has committed (see numberUpdates), every later one is after it.
func (db *DB) LatestOrderUpdate(ctx context.Context, storeID string) (UpdatePosition, error) {
	var rows []eventRow
	err := db.gorm.WithContext(ctx).Select("seq", "store_seq").Where("store_id = ? AND order_id IS NOT NULL", storeID).
		Order("seq DESC").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return UpdatePosition{}, err
	}
	return UpdatePosition{Seq: rows[0].Seq, StoreSeq: deref(rows[0].StoreSeq)}, nil
}

// LatestSeq returns the highest sequence number logged so far.
func (db *DB) LatestSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := db.gorm.WithContext(ctx).Raw("SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&seq).Error
	return seq, err
}

func (db *DB) eventsWhere(ctx context.Context, q *gorm.DB, limit int) ([]domain.Event, error) {
	var rows []eventRow
	if err := q.Order("seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	orders, err := db.eventOrders(ctx, rows)
	if err != nil {
		return nil, err
	}
	events := make([]domain.Event, 0, len(rows))
	for _, r := range rows {
		ev, err := db.hydrate(ctx, r, orders)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// eventOrders reads the orders the events of rows name, each once and in
// three statements whatever their number: a replay of a thousand updates
// reads pages of orders, not a thousand of them one by one.
func (db *DB) eventOrders(ctx context.Context, rows []eventRow) (map[string]*domain.Order, error) {
	ids := make([]string, 0, len(rows))
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		if r.OrderID != nil && !seen[*r.OrderID] {
			seen[*r.OrderID] = true
			ids = append(ids, *r.OrderID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var orderRows []orderRow
	tx := db.gorm.WithContext(ctx)
	if err := tx.Where("id IN ?", ids).Find(&orderRows).Error; err != nil {
		return nil, fmt.Errorf("read events' orders: %w", err)
	}
	orders := make([]*domain.Order, len(orderRows))
	for i, r := range orderRows {
		orders[i] = r.domain()
	}
	if err := db.loadDetails(ctx, db.reads, orders, domain.AllOrderParts); err != nil {
		return nil, fmt.Errorf("read events' orders: %w", err)
	}
	byID, _ := indexOrders(orders)
	return byID, nil
}

// hydrate turns a logged event into the event subscribers receive, with the
// order (from orders, see eventOrders), alert or store as it is now.
func (db *DB) hydrate(ctx context.Context, r eventRow, orders map[string]*domain.Order) (domain.Event, error) {
	ev := domain.Event{Seq: r.Seq, StoreID: r.StoreID}
	var err error
	switch {
	case r.OrderID != nil:
		err = hydrateOrder(r, orders, &ev)
	case r.AlertID != nil:
		ev.Alert, err = db.Alert(ctx, *r.AlertID)
	default:
		ev.Store, err = db.Store(ctx, r.StoreID)
	}
	if err != nil {
		return ev, fmt.Errorf("event %d: %w", r.Seq, err)
	}
	return ev, nil
}

// hydrateOrder fills the order update of r, and the status change when r is
// one, with r's order from orders.
func hydrateOrder(r eventRow, orders map[string]*domain.Order, ev *domain.Event) error {
	o, ok := orders[*r.OrderID]
	if !ok {
		return domain.ErrOrderNotFound(*r.OrderID)
	}
	orderEvent(r, o, ev)
	return nil
}

// orderEvent fills the order update of r, the change of o, and the status
// change when r is one.
func orderEvent(r eventRow, o *domain.Order, ev *domain.Event) {
	at := r.OccurredAt.UTC()
	ev.Update = &domain.OrderUpdate{Seq: r.Seq, StoreSeq: deref(r.StoreSeq), Kind: r.updateKind(), Order: o, OccurredAt: at}
	if r.Status != nil && r.Source != nil {
		ev.OrderStatus = &domain.OrderStatusEvent{Order: o, PreviousStatus: (*domain.Status)(r.PreviousStatus),
			Status: domain.Status(*r.Status), Source: domain.Source(*r.Source), OccurredAt: at}
	}
}

// updateNumbers hands out the numbers a transaction reserved for the order
// updates of a store it logs.
type updateNumbers struct{ next int64 }

// numberUpdates reserves the store's next n order update numbers, and adds
// created to its order count, in one statement. It bumps the counter on the
// store's row, which keeps the row locked to the commit: the store's order
// updates therefore commit in the order of their numbers and of their log
// positions (allocated after the lock), which replays after a cursor and
// LatestOrderUpdate rely on. (SQLite serialises writers.)
func numberUpdates(tx *gorm.DB, storeID string, n, created int) (*updateNumbers, error) {
	var last []int64
	err := tx.Raw("UPDATE stores SET order_updates = order_updates + ?, order_count = order_count + ? WHERE id = ? RETURNING order_updates",
		n, created, storeID).Scan(&last).Error
	if err != nil {
		return nil, fmt.Errorf("number order updates: %w", err)
	}
	if len(last) == 0 {
		return nil, fmt.Errorf("number order updates: %w", domain.ErrStoreNotFound(storeID))
	}
	return &updateNumbers{next: last[0] - int64(n) + 1}, nil
}

// logNumberedSQL is numberUpdates and the event log's insert in one
// statement. The insert reads the UPDATE's row, so its log positions are
// allocated after the store's row is locked, as numberUpdates requires.
const logNumberedSQL = `WITH n AS (
	UPDATE stores SET order_updates = order_updates + $1, order_count = order_count + $2 WHERE id = $3
	RETURNING order_updates - $1 AS base)
INSERT INTO events (store_seq, store_id, order_id, previous_status, status, source, occurred_at)
SELECT n.base + e.i, $3, e.order_id, e.previous_status, e.status, e.source, e.occurred_at
FROM n, unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
	WITH ORDINALITY AS e(order_id, previous_status, status, source, occurred_at, i)
ORDER BY e.i
RETURNING seq, store_seq`

// logAnnouncedSQL is logNumberedSQL that also notifies channel $9 of each
// event, in the order of their numbers, with the payload the events
// broker's listener reads ({"seq", "store", "origin": $10}): PostgreSQL
// sends the notices when the transaction commits, and drops them when it
// rolls back.
const logAnnouncedSQL = `WITH n AS (
	UPDATE stores SET order_updates = order_updates + $1, order_count = order_count + $2 WHERE id = $3
	RETURNING order_updates - $1 AS base),
logged AS (
	INSERT INTO events (store_seq, store_id, order_id, previous_status, status, source, occurred_at)
	SELECT n.base + e.i, $3, e.order_id, e.previous_status, e.status, e.source, e.occurred_at
	FROM n, unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
		WITH ORDINALITY AS e(order_id, previous_status, status, source, occurred_at, i)
	ORDER BY e.i
	RETURNING seq, store_seq)
SELECT l.seq, l.store_seq FROM (SELECT seq, store_seq FROM logged ORDER BY seq) AS l
CROSS JOIN LATERAL (SELECT pg_notify($9, json_build_object('seq', l.seq, 'store', $3::text, 'origin', $10::text)::text)) AS announced`

// logNumbered numbers the store's order update rows and appends them to the
// event log in one statement (PostgreSQL), filling their Seq and StoreSeq.
// The store's row stays locked to the commit, as with numberUpdates; one
// statement instead of two keeps it locked for one round trip less. With
// announce set, the same statement announces the events (logAnnouncedSQL).
func logNumbered(tx *gorm.DB, storeID string, rows []eventRow, created int, announce *announcement) error {
	orders := make([]*string, len(rows))
	previous := make([]*string, len(rows))
	statuses := make([]*string, len(rows))
	sources := make([]*string, len(rows))
	at := make([]time.Time, len(rows))
	for i, r := range rows {
		orders[i], previous[i], statuses[i], sources[i], at[i] = r.OrderID, r.PreviousStatus, r.Status, r.Source, r.OccurredAt
	}
	query, args := logNumberedSQL, []any{len(rows), created, storeID, orders, previous, statuses, sources, at}
	if announce != nil {
		query, args = logAnnouncedSQL, append(args, announce.channel, announce.origin)
	}
	type logged struct{ seq, storeSeq int64 }
	var got []logged
	first := int64(math.MaxInt64)
	scan := func(res rowScanner) error {
		for res.Next() {
			var l logged
			if err := res.Scan(&l.seq, &l.storeSeq); err != nil {
				return err
			}
			got, first = append(got, l), min(first, l.storeSeq)
		}
		return res.Err()
	}
	if err := queryLast(tx, query, args, scan); err != nil {
		return fmt.Errorf("log order updates: %w", err)
	}
	if len(got) != len(rows) {
		return fmt.Errorf("log order updates: %w", domain.ErrStoreNotFound(storeID))
	}
	// The rows' numbers follow their order; RETURNING's order is not
	// promised, so each comes back to its row by its number.
	for _, l := range got {
		r := &rows[l.storeSeq-first]
		r.Seq, r.StoreSeq = l.seq, &l.storeSeq
	}
	return nil
}

// take returns the next reserved number.
func (u *updateNumbers) take() *int64 {
	n := u.next
	u.next++
	return &n
}

// logStoreChange appends the event of a change of s itself.
func logStoreChange(tx *gorm.DB, s *domain.Store) (domain.Event, error) {
	ev := eventRow{StoreID: s.ID, OccurredAt: s.UpdatedAt}
	if err := tx.Create(&ev).Error; err != nil {
		return domain.Event{}, err
	}
	return domain.Event{Seq: ev.Seq, StoreID: s.ID, Store: s}, nil
}

// PruneEvents deletes the logged events no reader can need any more and
// returns how many it deleted: those before cutoff that are not order
// updates (a listener catching up reads seconds back), and the order
// updates that every cursor a resume would still accept lies after. Those
// are, in each store, the updates before the one just ahead of its first
// update at or after cutoff (that one is the cursor of a resume with
// nothing too old to replay), or before its latest update when all are
// older (a quiet store's cursor stays usable). A cursor at or before a
// deleted update has a next update older than cutoff, which a resume with
// a cutoff no later than its own refuses anyway.
func (db *DB) PruneEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	const prune = `WITH first_recent AS (
	SELECT store_id, MIN(seq) AS seq FROM events WHERE order_id IS NOT NULL AND occurred_at >= @cutoff GROUP BY store_id
), latest AS (
	SELECT store_id, MAX(seq) AS seq FROM events WHERE order_id IS NOT NULL GROUP BY store_id
), keep AS (
	SELECT l.store_id, COALESCE(
		(SELECT MAX(p.seq) FROM events p WHERE p.store_id = l.store_id AND p.order_id IS NOT NULL AND p.seq < f.seq),
		CASE WHEN f.seq IS NULL THEN l.seq ELSE 0 END) AS seq
	FROM latest l LEFT JOIN first_recent f ON f.store_id = l.store_id
)
DELETE FROM events WHERE occurred_at < @cutoff
	AND (order_id IS NULL OR seq < (SELECT keep.seq FROM keep WHERE keep.store_id = events.store_id))`
	res := db.gorm.WithContext(ctx).Exec(prune, sql.Named("cutoff", cutoff.UTC()))
	if res.Error != nil {
		return 0, fmt.Errorf("prune events: %w", res.Error)
	}
	return res.RowsAffected, nil
}
