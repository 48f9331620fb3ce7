package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
	OutletID                      *string
	RegisterID                    *string
	UserID                        *string
	PaymentTypeID                 *string
	MenuSyncEnabled               bool
	MenuSyncedAt                  *time.Time
	MenuSyncError                 *string
	MenuSyncVersion               int64
	CreatedAt                     time.Time
	UpdatedAt                     time.Time

	// Read from the store's Lightspeed connection, if any.
	ConnAuthMethod   *string    `gorm:"->;column:conn_auth_method"`
	ConnDomainPrefix *string    `gorm:"->;column:conn_domain_prefix"`
	ConnConnectedAt  *time.Time `gorm:"->;column:conn_connected_at"`
}

func (storeRow) TableName() string { return "stores" }

func storeToRow(s *domain.Store) storeRow {
	r := storeRow{
		ID: s.ID, Name: s.Name, TimeZone: s.TimeZone,
		PickupEnabled: s.PickupEnabled, DeliveryEnabled: s.DeliveryEnabled,
		AdvertisingSubscriptionActive: s.AdvertisingSubscriptionActive,
		IntegrationEnabled:            s.Integration.Enabled, IntegrationHealth: string(s.Integration.Health),
		AlertEmails: emailsJSON(s.Notifications.AlertEmails), NewOrderEmails: emailsJSON(s.Notifications.NewOrderEmails),
		MenuSyncEnabled: s.Integration.MenuSync.Enabled, MenuSyncedAt: s.Integration.MenuSync.LastSyncedAt,
		MenuSyncError: s.Integration.MenuSync.LastError, MenuSyncVersion: s.Integration.MenuSync.Version,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
	if st := s.Integration.Settings; st != nil {
		r.OutletID, r.RegisterID, r.UserID, r.PaymentTypeID = &st.OutletID, &st.RegisterID, &st.UserID, &st.PaymentTypeID
	}
	return r
}

func (r storeRow) domain() *domain.Store {
	s := &domain.Store{
		ID: r.ID, Name: r.Name, TimeZone: r.TimeZone,
		PickupEnabled: r.PickupEnabled, DeliveryEnabled: r.DeliveryEnabled,
		AdvertisingSubscriptionActive: r.AdvertisingSubscriptionActive,
		Integration:                   domain.Integration{Enabled: r.IntegrationEnabled, Health: domain.IntegrationHealth(r.IntegrationHealth)},
		Notifications: domain.NotificationSettings{
			AlertEmails: parseEmails(r.AlertEmails), NewOrderEmails: parseEmails(r.NewOrderEmails),
		},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	s.Integration.MenuSync = domain.MenuSync{Enabled: r.MenuSyncEnabled, LastSyncedAt: utc(r.MenuSyncedAt),
		LastError: r.MenuSyncError, Version: r.MenuSyncVersion}
	if r.OutletID != nil && r.RegisterID != nil && r.UserID != nil && r.PaymentTypeID != nil {
		s.Integration.Settings = &domain.IntegrationSettings{OutletID: *r.OutletID, RegisterID: *r.RegisterID,
			UserID: *r.UserID, PaymentTypeID: *r.PaymentTypeID}
	}
	if r.ConnAuthMethod != nil {
		s.Integration.Connection = &domain.Connection{AuthMethod: domain.AuthMethod(*r.ConnAuthMethod),
			DomainPrefix: *r.ConnDomainPrefix, ConnectedAt: r.ConnConnectedAt.UTC()}
	}
	return s
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// storeColumns are the columns storeFields reads, in its order: a store s
// and its connection c (LEFT JOIN lightspeed_connections c ON c.store_id
// = s.id).
const storeColumns = `s.id, s.name, s.time_zone, s.pickup_enabled, s.delivery_enabled,
	s.advertising_subscription_active, s.integration_enabled, s.integration_health, s.alert_emails,
	s.new_order_emails, s.outlet_id, s.register_id, s.user_id, s.payment_type_id, s.menu_sync_enabled,
	s.menu_synced_at, s.menu_sync_error, s.menu_sync_version, s.created_at, s.updated_at,
	c.auth_method, c.domain_prefix, c.connected_at`

func storeFields(r *storeRow) []any {
	return []any{&r.ID, &r.Name, &r.TimeZone, &r.PickupEnabled, &r.DeliveryEnabled,
		&r.AdvertisingSubscriptionActive, &r.IntegrationEnabled, &r.IntegrationHealth, &r.AlertEmails,
		&r.NewOrderEmails, &r.OutletID, &r.RegisterID, &r.UserID, &r.PaymentTypeID, &r.MenuSyncEnabled,
		&r.MenuSyncedAt, &r.MenuSyncError, &r.MenuSyncVersion, &r.CreatedAt, &r.UpdatedAt,
		&r.ConnAuthMethod, &r.ConnDomainPrefix, &r.ConnConnectedAt}
}

// storeQuery selects stores with their connection's public fields.
func (db *DB) storeQuery(tx *gorm.DB) *gorm.DB {
	return tx.Model(&storeRow{}).
		Select("stores.*, c.auth_method AS conn_auth_method, c.domain_prefix AS conn_domain_prefix, c.connected_at AS conn_connected_at").
		Joins("LEFT JOIN lightspeed_connections c ON c.store_id = stores.id")
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
	err := db.readRow(ctx, rebind(db.postgres, `SELECT `+storeColumns+`
		FROM stores s LEFT JOIN lightspeed_connections c ON c.store_id = s.id WHERE s.id = `+textParam), []any{id}, storeFields(&row)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrStoreNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", id, err)
	}
	return row.domain(), nil
}

// UpdateStore locks the store, lets change modify it and saves the result.
// When change changed anything, it logs the store's event for storeUpdated
// subscribers in the same transaction and returns it to publish.
func (db *DB) UpdateStore(ctx context.Context, id string, change func(*domain.Store) error) (*domain.Store, []domain.Event, error) {
	var s *domain.Store
	var events []domain.Event
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := lock(tx).Take(&storeRow{}, "id = ?", id).Error; err != nil {
			return notFound(err, domain.ErrStoreNotFound(id))
		}
		var row storeRow
		if err := db.storeQuery(tx).Take(&row, "stores.id = ?", id).Error; err != nil {
			return err
		}
		s = row.domain()
		if err := change(s); err != nil {
			return err
		}
		s.UpdatedAt = db.now()
		updated := storeToRow(s)
		if err := tx.Save(&updated).Error; err != nil {
			return err
		}
		if sameStore(row, updated) && !connectedSince(row) {
			return nil
		}
		ev, err := logStoreChange(tx, s)
		events = append(events, ev)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("update store %s: %w", id, err)
	}
	return s, events, nil
}

// connectedSince reports whether the store's Lightspeed connection was
// saved after the store itself last was: its subscribers have not heard of it.
func connectedSince(r storeRow) bool {
	return r.ConnConnectedAt != nil && r.ConnConnectedAt.After(r.UpdatedAt)
}

// sameStore reports whether two rows of a store hold the same values, their
// update times aside.
func sameStore(a, b storeRow) bool {
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	a.ConnAuthMethod, a.ConnDomainPrefix, a.ConnConnectedAt = nil, nil, nil
	b.ConnAuthMethod, b.ConnDomainPrefix, b.ConnConnectedAt = nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// lock makes the next read of tx take a row lock where the database has them
// (SQLite serialises transactions instead).
func lock(tx *gorm.DB) *gorm.DB {
	if onPostgres(tx) {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// now is the time the database records: UTC, at PostgreSQL's microsecond
// precision, so both databases hold the same value.
func (db *DB) now() time.Time { return db.clock().UTC().Truncate(time.Microsecond) }
