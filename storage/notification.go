package storage

import (
	"context"
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
}

func (notificationRow) TableName() string { return "notifications" }

func (r notificationRow) domain() domain.Notification { return domain.Notification(r) }

// AddNotification writes a row of the outbox in tx, unless a row with its
// id is there already: added says it was written.
func (t Tx) AddNotification(n domain.Notification) (added bool, err error) {
	row := notificationRow(n)
	res := t.g.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	return res.RowsAffected > 0, res.Error
}

// Notification returns one row of the outbox.
func (db *DB) Notification(ctx context.Context, id string) (domain.Notification, error) {
	var row notificationRow
	err := db.gorm.WithContext(ctx).Take(&row, "id = ?", id).Error
	return row.domain(), err
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
