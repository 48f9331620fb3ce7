package storage

import (
	"context"
	"time"

	"gorm.io/gorm"
)

type webhookRow struct {
	ID         int64 `gorm:"primaryKey;autoIncrement"`
	StoreID    string
	SaleID     *string
	Body       string
	ReceivedAt time.Time
}

func (webhookRow) TableName() string { return "lightspeed_webhooks" }

// SaveWebhook keeps a received webhook and, in the same transaction, runs
// enqueue (its processing job).
func (db *DB) SaveWebhook(ctx context.Context, storeID string, saleID *string, body string, enqueue Enqueue) error {
	return db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&webhookRow{StoreID: storeID, SaleID: saleID, Body: body, ReceivedAt: now()}).Error; err != nil {
			return err
		}
		return enqueue.run(tx)
	})
}

// SalesCursor returns the store's position in Lightspeed's sales feed.
func (db *DB) SalesCursor(ctx context.Context, storeID string) (int64, error) {
	var v []int64
	err := db.gorm.WithContext(ctx).Model(&storeRow{}).Where("id = ?", storeID).Pluck("sales_cursor", &v).Error
	if err != nil || len(v) == 0 {
		return 0, err
	}
	return v[0], nil
}

// SetSalesCursor moves the store's position in the sales feed forward.
func (db *DB) SetSalesCursor(ctx context.Context, storeID string, version int64) error {
	return db.gorm.WithContext(ctx).Exec("UPDATE stores SET sales_cursor = ? WHERE id = ? AND sales_cursor < ?", version, storeID, version).Error
}
