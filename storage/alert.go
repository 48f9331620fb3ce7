package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

type alertRow struct {
	ID         string `gorm:"primaryKey"`
	StoreID    string
	Kind       string
	Message    string
	OrderID    *string
	RaisedAt   time.Time
	ResolvedAt *time.Time
}

func (alertRow) TableName() string { return "alerts" }

func (r alertRow) domain() *domain.Alert {
	a := &domain.Alert{ID: r.ID, StoreID: r.StoreID, Kind: domain.AlertKind(r.Kind), Message: r.Message, RaisedAt: r.RaisedAt.UTC()}
	if r.ResolvedAt != nil {
		t := r.ResolvedAt.UTC()
		a.ResolvedAt = &t
	}
	return a
}

// Alert returns the alert with the given id.
func (db *DB) Alert(ctx context.Context, id string) (*domain.Alert, error) {
	var row alertRow
	if err := db.gorm.WithContext(ctx).Take(&row, "id = ?", id).Error; err != nil {
		return nil, notFound(err, domain.Errorf(domain.CodeNotFound, "Alert %s not found.", id))
	}
	return row.domain(), nil
}

// Alerts returns the store's alerts, newest first.
func (db *DB) Alerts(ctx context.Context, storeID string, unresolvedOnly bool) ([]*domain.Alert, error) {
	q := db.gorm.WithContext(ctx).Where("store_id = ?", storeID)
	if unresolvedOnly {
		q = q.Where("resolved_at IS NULL")
	}
	var rows []alertRow
	if err := q.Order("raised_at DESC, id DESC").Limit(500).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("alerts of store %s: %w", storeID, err)
	}
	alerts := make([]*domain.Alert, len(rows))
	for i, r := range rows {
		alerts[i] = r.domain()
	}
	return alerts, nil
}
