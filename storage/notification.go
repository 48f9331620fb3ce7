package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leafly/lightspeed-orders/domain"
)

// notificationRow is a Notification as the notifications table holds it.
type notificationRow struct {
	ID             string `gorm:"primaryKey"`
	Kind           domain.NotificationKind
	StoreID        string
	OrderID        *string
	AlertID        *string
	Status         *domain.Status
	PreviousStatus *domain.Status
	CreatedAt      time.Time
	SentAt         *time.Time
	Attempts       int
	LastError      *string
	QueuedAt       *time.Time
}

func (notificationRow) TableName() string { return "notifications" }

func (r notificationRow) domain() domain.Notification { return domain.Notification(r) }

// AddNotification writes a row of the outbox in tx, unless a row with its
// id is there already, as a write nothing in tx waits on (see pipeTx):
// added, when set, runs before tx commits if the row was written.
func (t Tx) AddNotification(n domain.Notification, added func()) error {
	row := notificationRow(n)
	return addNotification.later(t.g.Statement.Context, t.g, notificationFields(&row), func(written int64) error {
		if written > 0 && added != nil {
			added()
		}
		return nil
	})
}

// addNotification writes an outbox row, once per id (written by hand: every
// order change writes one).
var addNotification = newStatement("INSERT INTO notifications (" + strings.ReplaceAll(notificationColumns, "n.", "") +
	") VALUES (?" + strings.Repeat(", ?", len(notificationFields(&notificationRow{}))-1) + ") ON CONFLICT DO NOTHING")

// Notification returns one row of the outbox.
func (db *DB) Notification(ctx context.Context, id string) (domain.Notification, error) {
	var row notificationRow
	err := db.gorm.WithContext(ctx).Take(&row, "id = ?", id).Error
	return row.domain(), err
}

// NotificationSent records a notification as sent (written by hand: every
// notification is).
func (db *DB) NotificationSent(ctx context.Context, id string) error {
	_, err := db.sql.ExecContext(ctx, db.in(notificationSent), db.now(), id)
	return err
}

var notificationSent = newStatement("UPDATE notifications SET sent_at = ?, attempts = attempts + 1 WHERE id = ?")

// NotificationFailed records a failed attempt at sending a notification;
// then, when set, runs in the same transaction (to hand the notification
// to the job queue, see Tx.QueueNotifications).
func (db *DB) NotificationFailed(ctx context.Context, id, reason string, then func(Tx) error) error {
	return db.transaction(ctx, func(tx *gorm.DB) error {
		err := tx.Model(&notificationRow{}).Where("id = ?", id).
			Updates(map[string]any{"last_error": reason, "attempts": gorm.Expr("attempts + 1")}).Error
		if err != nil || then == nil {
			return err
		}
		return then(Tx{tx})
	})
}

// QueueNotifications records the notifications ids as handed to the job
// queue, whose jobs tx inserts.
func (t Tx) QueueNotifications(ids []string, at time.Time) error {
	return t.g.Model(&notificationRow{}).Where("id IN ?", ids).Update("queued_at", at).Error
}

// SweepNotifications hands to queue, in one transaction, up to limit
// notifications written before cutoff that were never sent, attempted or
// queued: their change committed, but the process that wrote them stopped
// before it sent them. They are recorded as queued with queue's jobs, so a
// later sweep leaves them be. It returns how many it handed over.
func (db *DB) SweepNotifications(ctx context.Context, cutoff time.Time, limit int, queue func(Tx, []string) error) (int, error) {
	var ids []string
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&notificationRow{}).Where("sent_at IS NULL AND attempts = 0 AND queued_at IS NULL AND created_at < ?", cutoff).
			Order("created_at").Limit(limit)
		if db.postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		if err := q.Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		if err := (Tx{tx}).QueueNotifications(ids, db.now()); err != nil {
			return err
		}
		return queue(Tx{tx}, ids)
	})
	if err != nil {
		return 0, fmt.Errorf("sweep notifications: %w", err)
	}
	return len(ids), nil
}

// notificationColumns are the columns notificationFields reads, in its
// order, each prefixed with n.
const notificationColumns = `n.id, n.kind, n.store_id, n.order_id, n.alert_id, n.status, n.previous_status,
	n.created_at, n.sent_at, n.attempts, n.last_error, n.queued_at`

func notificationFields(r *notificationRow) []any {
	return []any{&r.ID, &r.Kind, &r.StoreID, &r.OrderID, &r.AlertID, &r.Status, &r.PreviousStatus,
		&r.CreatedAt, &r.SentAt, &r.Attempts, &r.LastError, &r.QueuedAt}
}

// orderNotificationSQL reads a notification of an order with its store and
// the order, a row per line of the order.
var orderNotificationSQL = "SELECT " + notificationColumns + ", " + storeColumns + ", " + orderSelect("o.") + `,
	l.menu_item_id, l.name, l.quantity, l.unit_price_cents, l.discounted_unit_price_cents, l.deal_title
	FROM notifications n JOIN stores s ON s.id = n.store_id
	LEFT JOIN lightspeed_connections c ON c.store_id = s.id
	JOIN orders o ON o.id = n.order_id
	LEFT JOIN order_lines l ON l.order_id = o.id
	WHERE n.id = ` + textParam + ` ORDER BY l.position`

// OrderNotification reads, in one statement, the notification id of an
// order with what its message needs: the store and the order with its
// lines. ok is false when there is no such notification of an order (the
// notification of an alert, or none).
func (db *DB) OrderNotification(ctx context.Context, id string) (n domain.Notification, store *domain.Store, o *domain.Order, ok bool, err error) {
	var nr notificationRow
	var sr storeRow
	var or orderRow
	head := append(append(notificationFields(&nr), storeFields(&sr)...), orderFields(&or)...)
	err = db.reads(ctx, rebind(db.postgres, orderNotificationSQL), []any{id}, func(rows rowScanner) error {
		return scanLines(rows, head, func() *domain.Order {
			n, store, o = nr.domain(), sr.domain(), or.domain()
			return o
		})
	})
	if err != nil {
		return n, nil, nil, false, fmt.Errorf("notification %s: %w", id, err)
	}
	return n, store, o, o != nil, nil
}
