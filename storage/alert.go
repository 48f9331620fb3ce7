package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

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

// RaiseAlert records an alert unless one of its kind is open for the store
// (for ORDER_NOT_SENT: for the same order): one alert per incident. In the
// same transaction it logs the event for alertRaised subscribers and runs
// then with it. It returns the events to publish, none when the alert was
// already open (then does not run).
func (db *DB) RaiseAlert(ctx context.Context, a *domain.Alert, orderID *string, then func(Tx, []domain.Event) error) ([]domain.Event, error) {
	var events []domain.Event
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := lock(tx).Take(&storeRow{}, "id = ?", a.StoreID).Error; err != nil {
			return notFound(err, domain.ErrStoreNotFound(a.StoreID))
		}
		q := tx.Model(&alertRow{}).Where("store_id = ? AND kind = ? AND resolved_at IS NULL", a.StoreID, a.Kind)
		if orderID != nil {
			q = q.Where("order_id = ?", *orderID)
		}
		var open int64
		if err := q.Count(&open).Error; err != nil || open > 0 {
			return err
		}
		row := alertRow{ID: a.ID, StoreID: a.StoreID, Kind: string(a.Kind), Message: a.Message, OrderID: orderID, RaisedAt: a.RaisedAt}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		ev := eventRow{StoreID: a.StoreID, AlertID: &a.ID, OccurredAt: a.RaisedAt}
		if err := tx.Create(&ev).Error; err != nil {
			return err
		}
		events = append(events, domain.Event{Seq: ev.Seq, StoreID: a.StoreID, Alert: a})
		return after(tx, then, events)
	})
	return events, err
}

// ResolveAlerts resolves the store's open alerts of a kind and, in the same
// transaction, runs then with the alerts it resolved.
func (db *DB) ResolveAlerts(ctx context.Context, storeID string, kind domain.AlertKind, at time.Time, then func(Tx, []*domain.Alert) error) error {
	return db.transaction(ctx, func(tx *gorm.DB) error {
		var open []alertRow
		if err := tx.Where("store_id = ? AND kind = ? AND resolved_at IS NULL", storeID, kind).Find(&open).Error; err != nil {
			return err
		}
		resolved := make([]*domain.Alert, len(open))
		for i, r := range open {
			if err := tx.Model(&alertRow{}).Where("id = ?", r.ID).Update("resolved_at", at).Error; err != nil {
				return err
			}
			r.ResolvedAt = &at
			resolved[i] = r.domain()
		}
		return after(tx, then, resolved)
	})
}
