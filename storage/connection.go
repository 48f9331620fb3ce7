package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leafly/lightspeed-orders/domain"
)

// Credentials are a store's Lightspeed connection with its tokens. The
// tokens are sealed by the caller before they reach the database.
type Credentials struct {
	StoreID      string `gorm:"primaryKey"`
	AuthMethod   domain.AuthMethod
	DomainPrefix string
	AccessToken  string
	RefreshToken *string
	ExpiresAt    *time.Time
	Scope        *string
	WebhookID    *string
	// WebhookToken names the connection in its webhook URL.
	WebhookToken string
	ConnectedAt  time.Time
	UpdatedAt    time.Time
}

// TableName is the table credentials live in.
func (Credentials) TableName() string { return "lightspeed_connections" }

// ErrNotConnected is returned for a store with no Lightspeed connection.
var ErrNotConnected = errors.New("store is not connected to Lightspeed")

// SaveConnection connects a store, replacing any earlier connection (and
// its tokens) but keeping its webhook token and subscription.
func (db *DB) SaveConnection(ctx context.Context, c Credentials) error {
	c.UpdatedAt = now()
	err := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "store_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"auth_method", "domain_prefix", "access_token", "refresh_token",
			"expires_at", "scope", "connected_at", "updated_at"}),
	}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("save connection of store %s: %w", c.StoreID, err)
	}
	return nil
}

// Credentials returns the store's connection.
func (db *DB) Credentials(ctx context.Context, storeID string) (Credentials, error) {
	var c Credentials
	err := db.gorm.WithContext(ctx).Take(&c, "store_id = ?", storeID).Error
	return c, notFound(err, ErrNotConnected)
}

// CredentialsByWebhookToken returns the connection a webhook URL names.
func (db *DB) CredentialsByWebhookToken(ctx context.Context, token string) (Credentials, error) {
	var c Credentials
	err := db.gorm.WithContext(ctx).Take(&c, "webhook_token = ?", token).Error
	return c, notFound(err, ErrNotConnected)
}

// RefreshCredentials locks the store's connection and, when stale reports
// its tokens need renewing, calls renew and saves what it returns before
// the lock is released: one refresh at a time per connection, across
// replicas, and the new refresh token kept before anyone uses it.
func (db *DB) RefreshCredentials(ctx context.Context, storeID string, stale func(Credentials) bool, renew func(Credentials) (Credentials, error)) (Credentials, error) {
	var c Credentials
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := db.lock(tx).Take(&c, "store_id = ?", storeID).Error; err != nil {
			return notFound(err, ErrNotConnected)
		}
		if !stale(c) {
			return nil
		}
		fresh, err := renew(c)
		if err != nil {
			return err
		}
		fresh.UpdatedAt = now()
		c = fresh
		return tx.Model(&Credentials{}).Where("store_id = ?", storeID).Updates(map[string]any{
			"access_token": fresh.AccessToken, "refresh_token": fresh.RefreshToken, "expires_at": fresh.ExpiresAt,
			"scope": fresh.Scope, "updated_at": fresh.UpdatedAt,
		}).Error
	})
	return c, err
}

// SetWebhook records the id of the store's sale.update webhook (nil: none).
func (db *DB) SetWebhook(ctx context.Context, storeID string, webhookID *string) error {
	return db.gorm.WithContext(ctx).Model(&Credentials{}).Where("store_id = ?", storeID).
		Updates(map[string]any{"webhook_id": webhookID, "updated_at": now()}).Error
}

type oauthStateRow struct {
	Nonce     string `gorm:"primaryKey"`
	StoreID   string
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (oauthStateRow) TableName() string { return "oauth_states" }

// SaveOAuthState remembers an OAuth state until it is used or expires.
func (db *DB) SaveOAuthState(ctx context.Context, nonce, storeID string, expires time.Time) error {
	return db.gorm.WithContext(ctx).Create(&oauthStateRow{Nonce: nonce, StoreID: storeID, ExpiresAt: expires}).Error
}

// UseOAuthState marks an OAuth state used and reports whether it was
// unused, unexpired and issued for the store.
func (db *DB) UseOAuthState(ctx context.Context, nonce, storeID string, at time.Time) (bool, error) {
	res := db.gorm.WithContext(ctx).Model(&oauthStateRow{}).
		Where("nonce = ? AND store_id = ? AND used_at IS NULL AND expires_at > ?", nonce, storeID, at).
		Update("used_at", at)
	return res.RowsAffected == 1, res.Error
}

type rateBlockRow struct {
	DomainPrefix string `gorm:"primaryKey"`
	BlockedUntil time.Time
}

func (rateBlockRow) TableName() string { return "lightspeed_rate_blocks" }

// BlockedUntil returns until when Lightspeed asked every replica to send
// nothing to the retailer (the zero time when it did not).
func (db *DB) BlockedUntil(ctx context.Context, domainPrefix string) (time.Time, error) {
	var rows []rateBlockRow
	err := db.gorm.WithContext(ctx).Where("domain_prefix = ?", domainPrefix).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return time.Time{}, err
	}
	return rows[0].BlockedUntil, nil
}

// Block records that nothing may be sent to the retailer before until.
func (db *DB) Block(ctx context.Context, domainPrefix string, until time.Time) error {
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "domain_prefix"}}, DoUpdates: clause.AssignmentColumns([]string{"blocked_until"}),
	}).Create(&rateBlockRow{DomainPrefix: domainPrefix, BlockedUntil: until.UTC()}).Error
}
