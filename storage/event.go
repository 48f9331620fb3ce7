package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

type eventRow struct {
	Seq            int64 `gorm:"primaryKey;autoIncrement"`
	StoreID        string
	OrderID        *string
	AlertID        *string
	PreviousStatus *string
	Status         *string
	Source         *string
	OccurredAt     time.Time
}

func (eventRow) TableName() string { return "events" }

// Event returns the logged event with the given sequence number.
func (db *DB) Event(ctx context.Context, seq int64) (domain.Event, error) {
	events, err := db.eventsWhere(ctx, "seq = ?", seq, 1)
	if err != nil {
		return domain.Event{}, err
	}
	if len(events) == 0 {
		return domain.Event{}, fmt.Errorf("event %d: not found", seq)
	}
	return events[0], nil
}

// EventsAfter returns up to limit logged events after seq, in order.
func (db *DB) EventsAfter(ctx context.Context, seq int64, limit int) ([]domain.Event, error) {
	return db.eventsWhere(ctx, "seq > ?", seq, limit)
}

// LatestSeq returns the highest sequence number logged so far.
func (db *DB) LatestSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := db.gorm.WithContext(ctx).Raw("SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&seq).Error
	return seq, err
}

func (db *DB) eventsWhere(ctx context.Context, cond string, seq int64, limit int) ([]domain.Event, error) {
	var rows []eventRow
	if err := db.gorm.WithContext(ctx).Where(cond, seq).Order("seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	events := make([]domain.Event, 0, len(rows))
	for _, r := range rows {
		ev, err := db.hydrate(ctx, r)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// hydrate turns a logged event into the event subscribers receive, with the
// order or alert as it is now.
func (db *DB) hydrate(ctx context.Context, r eventRow) (domain.Event, error) {
	ev := domain.Event{Seq: r.Seq, StoreID: r.StoreID}
	switch {
	case r.OrderID != nil && r.Status != nil && r.Source != nil:
		o, err := db.Order(ctx, *r.OrderID)
		if err != nil {
			return ev, fmt.Errorf("event %d: %w", r.Seq, err)
		}
		ev.OrderStatus = &domain.OrderStatusEvent{Order: o, PreviousStatus: (*domain.Status)(r.PreviousStatus),
			Status: domain.Status(*r.Status), Source: domain.Source(*r.Source), OccurredAt: r.OccurredAt.UTC()}
	case r.AlertID != nil:
		a, err := db.Alert(ctx, *r.AlertID)
		if err != nil {
			return ev, fmt.Errorf("event %d: %w", r.Seq, err)
		}
		ev.Alert = a
	default:
		return ev, fmt.Errorf("event %d: neither an order status change nor an alert", r.Seq)
	}
	return ev, nil
}
