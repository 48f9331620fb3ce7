package storage

import (
	"context"
	"fmt"

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
