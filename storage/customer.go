package storage

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
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
// earlier order matched one. resolve runs under a claim on the store+email
// row, taken for lease, with no transaction open: two orders from one new
// shopper, on any replicas, create one customer, and a slow Lightspeed
// holds up nobody else. resolve's context ends with the lease; a holder
// that crashed leaves the next one to search (and find) what it created.
// A customer once matched stays matched, so a shopper seen before costs one
// statement and no claim.
func (db *DB) LightspeedCustomer(ctx context.Context, storeID, email string, lease time.Duration,
	resolve func(context.Context) (string, error)) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	row := claimRow{table: lightspeedCustomerRow{}.TableName(), where: "store_id = ? AND email = ?", args: []any{storeID, key}}
	var known []string
	err := db.gorm.WithContext(ctx).Model(&lightspeedCustomerRow{}).Where(row.where, row.args...).Where("customer_id IS NOT NULL").
		Limit(1).Pluck("customer_id", &known).Error
	if err != nil || len(known) > 0 {
		return strings.Join(known, ""), err
	}
	holder := uuid.NewString()
	for attempt := 0; ; attempt++ {
		until := db.now().Add(lease)
		id, claimed, err := db.claimCustomer(ctx, row, holder, until)
		switch {
		case err != nil || id != "":
			return id, err
		case claimed:
			return db.resolveClaimed(ctx, row, holder, until, resolve)
		}
		if err := awaitClaim(ctx, attempt); err != nil {
			return "", err
		}
	}
}

// claimCustomer returns the customer already known for the row, or claims
// the row for holder when nobody else is resolving it.
func (db *DB) claimCustomer(ctx context.Context, row claimRow, holder string, until time.Time) (id string, claimed bool, err error) {
	err = db.transaction(ctx, func(tx *gorm.DB) error {
		c := lightspeedCustomerRow{StoreID: row.args[0].(string), Email: row.args[1].(string)}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&c).Error; err != nil {
			return err
		}
		if claimed, err = row.take(tx, holder, db.now(), until); err != nil {
			return err
		}
		if err := tx.Where(row.where, row.args...).Take(&c).Error; err != nil {
			return err
		}
		if c.CustomerID != nil {
			id = *c.CustomerID
			if claimed {
				claimed = false
				return row.release(tx, holder, nil)
			}
		}
		return nil
	})
	return id, claimed, err
}

// resolveClaimed resolves the claimed row's customer and saves it.
func (db *DB) resolveClaimed(ctx context.Context, row claimRow, holder string, until time.Time,
	resolve func(context.Context) (string, error)) (string, error) {
	rctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	id, err := resolve(rctx)
	var set map[string]any
	if err == nil {
		set = map[string]any{"customer_id": id}
	}
	if rerr := db.releaseAfter(ctx, row, holder, set); rerr != nil && err == nil {
		err = rerr
	}
	return id, err
}
