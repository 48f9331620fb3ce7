package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leafly/lightspeed-orders/domain"
)

type storeRow struct {
	ID                            string `gorm:"primaryKey"`
	Name                          string
	TimeZone                      string
	PickupEnabled                 bool
	DeliveryEnabled               bool
	AdvertisingSubscriptionActive bool
	IntegrationEnabled            bool
	IntegrationHealth             string
	AlertEmails                   string
	NewOrderEmails                string
	CreatedAt                     time.Time
	UpdatedAt                     time.Time
}

func (storeRow) TableName() string { return "stores" }

func storeToRow(s *domain.Store) storeRow {
	return storeRow{
		ID: s.ID, Name: s.Name, TimeZone: s.TimeZone,
		PickupEnabled: s.PickupEnabled, DeliveryEnabled: s.DeliveryEnabled,
		AdvertisingSubscriptionActive: s.AdvertisingSubscriptionActive,
		IntegrationEnabled:            s.Integration.Enabled, IntegrationHealth: string(s.Integration.Health),
		AlertEmails: emailsJSON(s.Notifications.AlertEmails), NewOrderEmails: emailsJSON(s.Notifications.NewOrderEmails),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

func (r storeRow) domain() *domain.Store {
	return &domain.Store{
		ID: r.ID, Name: r.Name, TimeZone: r.TimeZone,
		PickupEnabled: r.PickupEnabled, DeliveryEnabled: r.DeliveryEnabled,
		AdvertisingSubscriptionActive: r.AdvertisingSubscriptionActive,
		Integration:                   domain.Integration{Enabled: r.IntegrationEnabled, Health: domain.IntegrationHealth(r.IntegrationHealth)},
		Notifications: domain.NotificationSettings{
			AlertEmails: parseEmails(r.AlertEmails), NewOrderEmails: parseEmails(r.NewOrderEmails),
		},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func emailsJSON(list []string) string {
	if list == nil {
		list = []string{}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

func parseEmails(s string) []string {
	list := []string{}
	_ = json.Unmarshal([]byte(s), &list)
	return list
}

// CreateStore inserts a new store.
func (db *DB) CreateStore(ctx context.Context, s *domain.Store) error {
	row := storeToRow(s)
	if err := db.gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create store: %w", err)
	}
	return nil
}

// Store returns the store with the given id.
func (db *DB) Store(ctx context.Context, id string) (*domain.Store, error) {
	var row storeRow
	err := db.gorm.WithContext(ctx).Take(&row, "id = ?", id).Error
	if err != nil {
		return nil, notFound(err, domain.ErrStoreNotFound(id))
	}
	return row.domain(), nil
}

// UpdateStore locks the store, lets change modify it and saves the result.
func (db *DB) UpdateStore(ctx context.Context, id string, change func(*domain.Store) error) (*domain.Store, error) {
	var s *domain.Store
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		var row storeRow
		if err := db.lock(tx).Take(&row, "id = ?", id).Error; err != nil {
			return notFound(err, domain.ErrStoreNotFound(id))
		}
		s = row.domain()
		if err := change(s); err != nil {
			return err
		}
		s.UpdatedAt = now()
		updated := storeToRow(s)
		return tx.Save(&updated).Error
	})
	if err != nil {
		return nil, fmt.Errorf("update store %s: %w", id, err)
	}
	return s, nil
}

// lock makes the next read of tx take a row lock where the database has them
// (SQLite serialises transactions instead).
func (db *DB) lock(tx *gorm.DB) *gorm.DB {
	if db.postgres {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// now is the time the database records: UTC, at PostgreSQL's microsecond
// precision, so both databases hold the same value.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
