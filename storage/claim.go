package storage

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/internal/wait"
)

// A claim lets one caller, on any replica, do a piece of Lightspeed work
// that must happen once (renew a connection's tokens, create a customer)
// without a transaction open across the HTTP calls: it is taken and
// released in short transactions, and it lapses at claim_until, so a holder
// that crashed blocks nobody for longer than its lease.

// claimRow names the row a claim is taken on.
type claimRow struct {
	table string
	where string
	args  []any
}

// take claims the row for holder until `until`, unless another holder's
// claim is still running, and reports whether it did.
func (r claimRow) take(tx *gorm.DB, holder string, at, until time.Time) (bool, error) {
	res := tx.Table(r.table).Where(r.where, r.args...).Where("claim_until IS NULL OR claim_until <= ?", at).
		Updates(map[string]any{"claim_holder": holder, "claim_until": until})
	return res.RowsAffected == 1, res.Error
}

// release ends holder's claim, if it still holds it, and sets the columns
// of set with it (whoever holds the claim: what holder got from Lightspeed
// is the latest there is).
func (r claimRow) release(tx *gorm.DB, holder string, set map[string]any) error {
	if len(set) > 0 {
		if err := tx.Table(r.table).Where(r.where, r.args...).Updates(set).Error; err != nil {
			return err
		}
	}
	return tx.Table(r.table).Where(r.where, r.args...).Where("claim_holder = ?", holder).
		Updates(map[string]any{"claim_holder": nil, "claim_until": nil}).Error
}

// releaseAfter releases holder's claim in a transaction of its own, even
// when ctx was canceled meanwhile, so waiters need not wait out the lease.
func (db *DB) releaseAfter(ctx context.Context, r claimRow, holder string, set map[string]any) error {
	return db.transaction(context.WithoutCancel(ctx), func(tx *gorm.DB) error { return r.release(tx, holder, set) })
}

// Waits between two looks at a claim someone else holds: short at first,
// as most claims last one Lightspeed call.
const (
	claimPollMin = 10 * time.Millisecond
	claimPollMax = 250 * time.Millisecond
)

// awaitClaim pauses before the attempt-th look again at a claim someone
// else holds.
func awaitClaim(ctx context.Context, attempt int) error {
	d := min(claimPollMin<<min(attempt, 5), claimPollMax)
	if !wait.Sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}
