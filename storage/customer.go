package storage

import (
	"context"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type lightspeedCustomerRow struct {
	StoreID    string `gorm:"primaryKey"`
	Email      string `gorm:"primaryKey"`
	CustomerID *string
}

func (lightspeedCustomerRow) TableName() string { return "lightspeed_customers" }

// LightspeedCustomer returns the Lightspeed customer the store's shopper
// with this email is, calling resolve (search, or create) only when no
// earlier order matched one. The store+email row is locked while resolve
// runs, so two orders from one new shopper, on any replicas, create one
// customer.
func (db *DB) LightspeedCustomer(ctx context.Context, storeID, email string, resolve func() (string, error)) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	var id string
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&lightspeedCustomerRow{StoreID: storeID, Email: key}).Error
		if err != nil {
			return err
		}
		var row lightspeedCustomerRow
		if err := db.lock(tx).Take(&row, "store_id = ? AND email = ?", storeID, key).Error; err != nil {
			return err
		}
		if row.CustomerID != nil {
			id = *row.CustomerID
			return nil
		}
		if id, err = resolve(); err != nil {
			return err
		}
		return tx.Model(&row).Where("store_id = ? AND email = ?", storeID, key).Update("customer_id", id).Error
	})
	return id, err
}
