package storage

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leafly/lightspeed-orders/domain"
)

// The notification kinds the outbox holds.
const (
	NotifyOrderStatus = "order_status"
	NotifyNewOrder    = "new_order"
)

// Notification is one row of the outbox: what to tell whom is built when it
// is sent, from the order or alert as it is then.
type Notification struct {
	ID             string
	Kind           string
	StoreID        string
	OrderID        *string
	AlertID        *string
	Status         *string
	PreviousStatus *string
	CreatedAt      time.Time
	SentAt         *time.Time
	Attempts       int
	LastError      *string
}

// notificationRow is a Notification as the notifications table holds it.
type notificationRow struct {
	ID             string `gorm:"primaryKey"`
	Kind           string
	StoreID        string
	OrderID        *string
	AlertID        *string
	Status         *string
	PreviousStatus *string
	CreatedAt      time.Time
	SentAt         *time.Time
	Attempts       int
	LastError      *string
}

func (notificationRow) TableName() string { return "notifications" }

// OnNotification, when set, runs in the transaction that writes each new
// notification, e.g. to enqueue the job that sends it.
func (db *DB) OnNotification(hook func(tx *sql.Tx, id string) error) { db.notificationHook = hook }

// notifyChanges writes the notifications the order's status changes call
// for: the shopper hears of each change after the order was placed, the
// store of each new order.
func (db *DB) notifyChanges(tx *gorm.DB, o *domain.Order, previous *domain.Status, c domain.StatusChange) error {
	n := notificationRow{Kind: NotifyOrderStatus, StoreID: o.StoreID, OrderID: &o.ID, Status: new(string(c.Status)),
		PreviousStatus: (*string)(previous), CreatedAt: c.OccurredAt}
	if previous == nil {
		n.Kind = NotifyNewOrder
		n.ID = NotifyNewOrder + ":" + o.ID
	} else {
		n.ID = NotifyOrderStatus + ":" + o.ID + ":" + string(c.Status)
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
	if res.Error != nil || res.RowsAffected == 0 || db.notificationHook == nil {
		return res.Error
	}
	return Enqueue(func(t *sql.Tx) error { return db.notificationHook(t, n.ID) }).run(tx)
}

// Notification returns one row of the outbox.
func (db *DB) Notification(ctx context.Context, id string) (Notification, error) {
	var row notificationRow
	err := db.gorm.WithContext(ctx).Take(&row, "id = ?", id).Error
	return Notification(row), err
}

// NotificationSent records a notification as sent.
func (db *DB) NotificationSent(ctx context.Context, id string) error {
	return db.gorm.WithContext(ctx).Model(&notificationRow{}).Where("id = ?", id).
		Updates(map[string]any{"sent_at": db.now(), "attempts": gorm.Expr("attempts + 1")}).Error
}

// NotificationFailed records a failed attempt at sending a notification.
func (db *DB) NotificationFailed(ctx context.Context, id, reason string) error {
	return db.gorm.WithContext(ctx).Model(&notificationRow{}).Where("id = ?", id).
		Updates(map[string]any{"last_error": reason, "attempts": gorm.Expr("attempts + 1")}).Error
}
