package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leafly/lightspeed-orders/domain"
)

// SendAttempt is what an order's attempt at reaching the POS starts from.
type SendAttempt struct {
	// SaleID is the id of the order's sale, fixed before the first attempt.
	SaleID string
	// Attempts counts the attempts, this one included.
	Attempts int
}

// StartSend counts an attempt at sending a queued order to the POS and
// fixes its sale id to saleID unless an earlier attempt fixed one, in one
// statement that locks the order's row until it returns. ok is false when
// the order is no longer queued for the POS. Neither the attempt count nor
// the sale id is shown to anyone, so the write logs no event.
func (db *DB) StartSend(ctx context.Context, orderID, saleID string) (a SendAttempt, ok bool, err error) {
	var rows []struct {
		PosSaleID   string
		PosAttempts int
	}
	err = db.gorm.WithContext(ctx).Raw(`UPDATE orders SET pos_sale_id = COALESCE(pos_sale_id, ?), pos_attempts = pos_attempts + 1, updated_at = ?
		WHERE id = ? AND pos_sync_state = ? RETURNING pos_sale_id, pos_attempts`, saleID, db.now(), orderID, domain.PosQueued).Scan(&rows).Error
	if err != nil {
		return SendAttempt{}, false, fmt.Errorf("start sending order %s: %w", orderID, err)
	}
	if len(rows) == 0 {
		return SendAttempt{}, false, nil
	}
	return SendAttempt{SaleID: rows[0].PosSaleID, Attempts: rows[0].PosAttempts}, true, nil
}

// OrphanedSends hands to queue, in one transaction, up to limit queued
// orders whose send a process took right after their commit
// (domain.PosSync.Sender) and will not finish: that process has not beaten
// in job_clients for ttl (see package jobs' Liveness), or the order has not
// changed since cutoff. Their sender is cleared with queue's jobs written,
// so the next look leaves them be. It returns their ids. A look that finds
// none is one read, outside any transaction.
func (db *DB) OrphanedSends(ctx context.Context, ttl time.Duration, cutoff time.Time, limit int, queue func(Tx, []string) error) ([]string, error) {
	seen := "unixepoch('subsec') - ?"
	if db.postgres {
		seen = "now() - make_interval(secs => ?)"
	}
	orphaned := func(g *gorm.DB) *gorm.DB {
		return g.Model(&orderRow{}).Where(`pos_sync_state = '`+string(domain.PosQueued)+`' AND pos_sender IS NOT NULL AND (updated_at < ?
			OR NOT EXISTS (SELECT 1 FROM job_clients c WHERE c.id = orders.pos_sender AND c.seen_at >= `+seen+`))`, cutoff.UTC(), ttl.Seconds())
	}
	var ids []string
	if err := orphaned(db.gorm.WithContext(ctx)).Limit(1).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("look for orphaned sends: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		q := orphaned(tx).Limit(limit)
		if db.postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		ids = nil
		if err := q.Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		if err := tx.Exec("UPDATE orders SET pos_sender = NULL WHERE id IN ?", ids).Error; err != nil {
			return err
		}
		return queue(Tx{tx}, ids)
	})
	if err != nil {
		return nil, fmt.Errorf("hand orphaned sends to the queue: %w", err)
	}
	return ids, nil
}
