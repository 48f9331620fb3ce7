package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leafly/lightspeed-orders/domain"
)

// connectionRow is a row of lightspeed_connections: a store's
// domain.Credentials, whose tokens the caller sealed. Its primary key,
// store_id, is the migration's: every query here names its rows by a
// condition, so gorm need not know it.
type connectionRow domain.Credentials

func (connectionRow) TableName() string { return "lightspeed_connections" }

// ErrNotConnected is returned for a store with no Lightspeed connection.
var ErrNotConnected = errors.New("store is not connected to Lightspeed")

// SaveConnection connects a store, replacing any earlier connection (and
// its tokens) but keeping its webhook token and subscription.
func (db *DB) SaveConnection(ctx context.Context, c domain.Credentials) error {
	row := connectionRow(c)
	row.UpdatedAt = db.now()
	err := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "store_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"auth_method", "domain_prefix", "access_token", "refresh_token",
			"expires_at", "scope", "connected_at", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("save connection of store %s: %w", c.StoreID, err)
	}
	return nil
}

// Credentials returns the store's connection.
func (db *DB) Credentials(ctx context.Context, storeID string) (domain.Credentials, error) {
	return db.credentials(ctx, credentialsByStore, storeID)
}

// CredentialsByWebhookToken returns the connection a webhook URL names.
func (db *DB) CredentialsByWebhookToken(ctx context.Context, token string) (domain.Credentials, error) {
	return db.credentials(ctx, credentialsByToken, token)
}

// The reads of a connection, by store and by webhook token, written by
// hand: every order sent and every webhook reads one.
const credentialsSelect = `SELECT store_id, auth_method, domain_prefix, access_token, refresh_token,
	expires_at, scope, webhook_id, webhook_token, connected_at, updated_at FROM lightspeed_connections WHERE `

var (
	credentialsByStore = newStatement(credentialsSelect + "store_id = " + textParam)
	credentialsByToken = newStatement(credentialsSelect + "webhook_token = " + textParam)
)

// credentials reads the one connection read finds for value.
func (db *DB) credentials(ctx context.Context, read statement, value string) (domain.Credentials, error) {
	var c domain.Credentials
	var method string
	err := db.readRow(ctx, db.in(read), []any{value}, &c.StoreID, &method, &c.DomainPrefix, &c.AccessToken, &c.RefreshToken,
		&c.ExpiresAt, &c.Scope, &c.WebhookID, &c.WebhookToken, &c.ConnectedAt, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotConnected
	}
	c.AuthMethod = domain.AuthMethod(method)
	return c, err
}

// RefreshCredentials renews the store's tokens when need says they must
// be, one renewal at a time per connection across replicas, with no
// transaction open while renew calls Lightspeed: the renewer claims the
// connection for lease, calls renew under a deadline at the end of the
// lease (so it cannot outlive its claim) and saves what it returns as it
// releases the claim, so the rotated refresh token is kept before anyone
// can use it again. Callers finding the claim taken wait for it, then read
// what was saved. renewed says this call renewed the tokens.
func (db *DB) RefreshCredentials(ctx context.Context, storeID string, lease time.Duration, need func(domain.Credentials) bool,
	renew func(context.Context, domain.Credentials) (domain.Credentials, error)) (c domain.Credentials, renewed bool, err error) {
	row := claimRow{table: connectionRow{}.TableName(), where: "store_id = ?", args: []any{storeID}}
	holder := uuid.NewString()
	for attempt := 0; ; attempt++ {
		until := db.now().Add(lease)
		c, claimed, err := db.claimRefresh(ctx, row, storeID, holder, until, need)
		switch {
		case err != nil || !need(c):
			return c, false, err
		case claimed:
			c, err = db.renewClaimed(ctx, row, holder, until, c, renew)
			return c, err == nil, err
		}
		if err := awaitClaim(ctx, attempt); err != nil {
			return c, false, err
		}
	}
}

// claimRefresh claims the connection for holder when its tokens need
// renewing and nobody else is renewing them, and returns it as saved.
func (db *DB) claimRefresh(ctx context.Context, row claimRow, storeID, holder string, until time.Time,
	need func(domain.Credentials) bool) (c domain.Credentials, claimed bool, err error) {
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		if claimed, err = row.take(tx, holder, db.now(), until); err != nil {
			return err
		}
		var saved connectionRow
		if err := tx.Take(&saved, "store_id = ?", storeID).Error; err != nil {
			return notFound(err, ErrNotConnected)
		}
		c = domain.Credentials(saved)
		if claimed && !need(c) {
			claimed = false
			return row.release(tx, holder, nil)
		}
		return nil
	})
	return c, claimed, err
}

// renewClaimed renews the claimed connection's tokens and saves them.
func (db *DB) renewClaimed(ctx context.Context, row claimRow, holder string, until time.Time, c domain.Credentials,
	renew func(context.Context, domain.Credentials) (domain.Credentials, error)) (domain.Credentials, error) {
	rctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	fresh, err := renew(rctx, c)
	if err != nil {
		if rerr := db.releaseAfter(ctx, row, holder, nil); rerr != nil {
			db.log.ErrorContext(ctx, "release refresh claim", "store", c.StoreID, "err", rerr)
		}
		return c, err
	}
	fresh.UpdatedAt = db.now()
	err = db.releaseAfter(ctx, row, holder, map[string]any{
		"access_token": fresh.AccessToken, "refresh_token": fresh.RefreshToken, "expires_at": fresh.ExpiresAt,
		"scope": fresh.Scope, "updated_at": fresh.UpdatedAt,
	})
	if err != nil {
		return c, fmt.Errorf("save renewed tokens of store %s: %w", c.StoreID, err)
	}
	return fresh, nil
}

// SetWebhook records the id of the store's sale.update webhook (nil: none).
func (db *DB) SetWebhook(ctx context.Context, storeID string, webhookID *string) error {
	return db.gorm.WithContext(ctx).Model(&connectionRow{}).Where("store_id = ?", storeID).
		Updates(map[string]any{"webhook_id": webhookID, "updated_at": db.now()}).Error
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
