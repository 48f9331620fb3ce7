package storage

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

type callRow struct {
	ID         int64 `gorm:"primaryKey;autoIncrement"`
	OrderID    string
	StartedAt  time.Time
	Method     string
	Path       string
	Status     int
	DurationMS int `gorm:"column:duration_ms"`
	Error      *string
}

func (callRow) TableName() string { return "lightspeed_calls" }

// RecordCalls keeps calls to Lightspeed made for orders.
func (db *DB) RecordCalls(ctx context.Context, calls []domain.PosCall) error {
	return recordCalls(db.gorm.WithContext(ctx), calls)
}

// RecordCalls is DB.RecordCalls in tx.
func (t Tx) RecordCalls(calls []domain.PosCall) error {
	return recordCalls(t.g, calls)
}

// recordCalls inserts calls in one statement (every order sent and every
// webhook applied records its calls).
func recordCalls(g *gorm.DB, calls []domain.PosCall) error {
	args := make([]any, 0, len(callColumns)*len(calls))
	for _, c := range calls {
		args = append(args, c.OrderID, c.StartedAt.UTC(), c.Method, c.Path, c.Status, int(c.Duration.Milliseconds()), c.Error)
	}
	return insertRows(g.Statement.Context, g, "lightspeed_calls", callColumns, args)
}

var callColumns = []string{"order_id", "started_at", "method", "path", "status", "duration_ms", "error"}

// Calls returns the calls to Lightspeed made for an order, oldest first.
func (db *DB) Calls(ctx context.Context, orderID string) ([]*domain.PosCall, error) {
	var rows []callRow
	if err := db.gorm.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Limit(500).Find(&rows).Error; err != nil {
		return nil, err
	}
	calls := make([]*domain.PosCall, len(rows))
	for i, r := range rows {
		calls[i] = &domain.PosCall{OrderID: r.OrderID, StartedAt: r.StartedAt.UTC(), Method: r.Method, Path: r.Path,
			Status: r.Status, Duration: time.Duration(r.DurationMS) * time.Millisecond, Error: r.Error}
	}
	return calls, nil
}
