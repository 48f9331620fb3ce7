package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

type webhookRow struct {
	ID         int64 `gorm:"primaryKey;autoIncrement"`
	StoreID    string
	SaleID     *string
	Body       string
	BodyHash   string
	ReceivedAt time.Time
}

func (webhookRow) TableName() string { return "lightspeed_webhooks" }

// Webhook is a webhook received from Lightspeed, as it is kept: its body
// and the hash its copies are known by.
type Webhook struct {
	StoreID string
	SaleID  *string
	Body    string
	hash    string
}

// NewWebhook returns the webhook the store received with body.
func NewWebhook(storeID string, saleID *string, body string) Webhook {
	sum := sha256.Sum256([]byte(body))
	return Webhook{StoreID: storeID, SaleID: saleID, Body: body, hash: hex.EncodeToString(sum[:])}
}

// SaveWebhook keeps a received webhook and, in the same transaction, runs
// then (which enqueues its processing). A body the store already has kept
// is a copy: nothing is written, then does not run and kept is false.
func (db *DB) SaveWebhook(ctx context.Context, w Webhook, then func(Tx) error) (kept bool, err error) {
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		res, err := saveWebhook.exec(ctx, tx, webhookFields(tx, w)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if kept = n > 0; !kept || then == nil {
			return nil
		}
		return then(Tx{tx})
	})
	return kept && err == nil, err
}

// SaveWebhook is DB.SaveWebhook in tx, without then, as a write nothing in
// tx waits on (see pipeTx): kept runs, before tx commits, if the webhook
// was kept, not a copy.
func (t Tx) SaveWebhook(w Webhook, kept func()) error {
	return saveWebhook.later(t.g.Statement.Context, t.g, webhookFields(t.g, w), func(n int64) error {
		if n > 0 {
			kept()
		}
		return nil
	})
}

func webhookFields(tx *gorm.DB, w Webhook) []any {
	return []any{w.StoreID, w.SaleID, w.Body, w.hash, tx.NowFunc()}
}

// saveWebhook keeps a webhook unless a copy of it is kept already.
var saveWebhook = newStatement("INSERT INTO lightspeed_webhooks (store_id, sale_id, body, body_hash, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")

// LockSaleOrder locks the order's row in tx (on PostgreSQL; SQLite
// serialises writers) and returns its POS state and the version of its sale
// it has applied. The send records the sale under the same lock.
func (t Tx) LockSaleOrder(orderID string) (domain.PosSyncState, int64, error) {
	var rows []orderRow
	if err := lock(t.g).Select("pos_sync_state", "pos_sale_version").Where("id = ?", orderID).Limit(1).Find(&rows).Error; err != nil {
		return "", 0, err
	}
	if len(rows) == 0 {
		return "", 0, domain.ErrOrderNotFound(orderID)
	}
	return domain.PosSyncState(rows[0].PosSyncState), rows[0].PosSaleVersion, nil
}

// HintSale notes on the order, in tx, that a webhook announced this
// version of its sale (domain.PosSync.HintedVersion), keeping the highest.
func (t Tx) HintSale(orderID string, version int64) error {
	return t.g.Exec("UPDATE orders SET pos_webhook_version = ? WHERE id = ? AND pos_webhook_version < ?", version, orderID, version).Error
}

// PruneWebhooks deletes the webhooks received before cutoff and returns how
// many it deleted.
func (db *DB) PruneWebhooks(ctx context.Context, cutoff time.Time) (int64, error) {
	res := db.gorm.WithContext(ctx).Where("received_at < ?", cutoff).Delete(&webhookRow{})
	return res.RowsAffected, res.Error
}

// SaleOrder is what a webhook about a sale is judged against: the order the
// service made the sale for and the store's position in the sales feed.
type SaleOrder struct {
	// OrderID is empty when the service made no order's sale with this id.
	OrderID     string
	PosState    domain.PosSyncState
	SaleVersion int64
	SalesCursor int64
	// Kept is true when WebhookTarget found a copy of the webhook kept.
	Kept bool
}

// SaleOrder reads, in one statement, the order the store's sale was made
// for.
func (db *DB) SaleOrder(ctx context.Context, storeID, saleID string) (SaleOrder, error) {
	var rows []struct {
		ID             string
		PosSyncState   string
		PosSaleVersion int64
		SalesCursor    int64
	}
	err := db.gorm.WithContext(ctx).Raw(db.in(saleOrder), storeID, saleID).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return SaleOrder{}, err
	}
	r := rows[0]
	return SaleOrder{OrderID: r.ID, PosState: domain.PosSyncState(r.PosSyncState), SaleVersion: r.PosSaleVersion,
		SalesCursor: r.SalesCursor}, nil
}

// WebhookTarget reads, in one statement, what a webhook of a sale needs
// first: the connection its URL's token names (ErrNotConnected when none),
// as CredentialsByWebhookToken does, and the order the connection's store
// made the sale for, as SaleOrder does, with whether the store has kept a
// copy of the webhook's body. It returns the webhook as its store received
// it.
func (db *DB) WebhookTarget(ctx context.Context, token, saleID, body string) (domain.Credentials, Webhook, SaleOrder, error) {
	var c domain.Credentials
	var method string
	var order, state *string
	var version, cursor *int64
	var kept bool
	w := NewWebhook("", &saleID, body)
	err := db.readRow(ctx, db.in(webhookTarget), []any{w.hash, saleID, token}, &c.StoreID, &method, &c.DomainPrefix,
		&c.AccessToken, &c.RefreshToken, &c.ExpiresAt, &c.Scope, &c.WebhookID, &c.WebhookToken, &c.ConnectedAt, &c.UpdatedAt,
		&order, &state, &version, &cursor, &kept)
	if errors.Is(err, sql.ErrNoRows) {
		return c, w, SaleOrder{}, ErrNotConnected
	}
	if err != nil {
		return c, w, SaleOrder{}, err
	}
	c.AuthMethod, w.StoreID = domain.AuthMethod(method), c.StoreID
	if order == nil {
		return c, w, SaleOrder{}, nil
	}
	return c, w, SaleOrder{OrderID: *order, PosState: domain.PosSyncState(deref(state)), SaleVersion: deref(version),
		SalesCursor: deref(cursor), Kept: kept}, nil
}

// saleOrder is SaleOrder's statement.
var saleOrder = newStatement(`SELECT o.id, o.pos_sync_state, o.pos_sale_version, s.sales_cursor
	FROM orders o JOIN stores s ON s.id = o.store_id WHERE o.store_id = ` + textParam + ` AND o.pos_sale_id = ` + textParam + ` LIMIT 1`)

// webhookTarget is WebhookTarget's statement, written by hand: every
// webhook reads it.
var webhookTarget = newStatement(`SELECT c.store_id, c.auth_method, c.domain_prefix, c.access_token, c.refresh_token,
	c.expires_at, c.scope, c.webhook_id, c.webhook_token, c.connected_at, c.updated_at,
	o.id, o.pos_sync_state, o.pos_sale_version, s.sales_cursor,
	EXISTS (SELECT 1 FROM lightspeed_webhooks w WHERE w.store_id = c.store_id AND w.body_hash = ` + textParam + `) AS kept
	FROM lightspeed_connections c
	LEFT JOIN orders o ON o.store_id = c.store_id AND o.pos_sale_id = ` + textParam + `
	LEFT JOIN stores s ON s.id = o.store_id
	WHERE c.webhook_token = ` + textParam + ` LIMIT 1`)

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
