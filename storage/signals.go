package storage

import (
	"context"
	"fmt"
	"time"
)

// Signals are the counts an operator watches, read at once for /metrics.
type Signals struct {
	// OrdersByPosState counts orders by posSync.state.
	OrdersByPosState map[string]int64
	// StoresByHealth counts stores by integration health.
	StoresByHealth map[string]int64
	// Unhealthy is the health of each store whose integration is not
	// HEALTHY, by store id.
	Unhealthy map[string]string
	// NotificationsUnsent counts the outbox's notifications not sent yet;
	// NotificationsFailing those of them whose last attempt failed.
	NotificationsUnsent  int64
	NotificationsFailing int64
	// OldestUnsent is when the oldest unsent notification was written; zero
	// when none waits.
	OldestUnsent time.Time
	// LatestSeq is the seq of the latest event in the log.
	LatestSeq int64
}

// ReadSignals reads Signals with a few grouped queries (indexed by
// migration 0014, but still proportional to the number of orders).
func (db *DB) ReadSignals(ctx context.Context) (Signals, error) {
	s := Signals{OrdersByPosState: map[string]int64{}, StoresByHealth: map[string]int64{}, Unhealthy: map[string]string{}}
	g := db.gorm.WithContext(ctx)
	var groups []struct {
		Key string
		N   int64
	}
	if err := g.Raw("SELECT pos_sync_state AS key, COUNT(*) AS n FROM orders GROUP BY pos_sync_state").Scan(&groups).Error; err != nil {
		return Signals{}, fmt.Errorf("count orders by pos state: %w", err)
	}
	for _, gr := range groups {
		s.OrdersByPosState[gr.Key] = gr.N
	}
	groups = nil
	if err := g.Raw("SELECT integration_health AS key, COUNT(*) AS n FROM stores GROUP BY integration_health").Scan(&groups).Error; err != nil {
		return Signals{}, fmt.Errorf("count stores by health: %w", err)
	}
	for _, gr := range groups {
		s.StoresByHealth[gr.Key] = gr.N
	}
	var unhealthy []struct{ ID, IntegrationHealth string }
	if err := g.Raw("SELECT id, integration_health FROM stores WHERE integration_health <> 'HEALTHY'").Scan(&unhealthy).Error; err != nil {
		return Signals{}, fmt.Errorf("read unhealthy stores: %w", err)
	}
	for _, u := range unhealthy {
		s.Unhealthy[u.ID] = u.IntegrationHealth
	}
	var outbox struct{ Unsent, Failing int64 }
	if err := g.Model(&notificationRow{}).Where("sent_at IS NULL").
		Select("COUNT(*) AS unsent, COUNT(last_error) AS failing").Scan(&outbox).Error; err != nil {
		return Signals{}, fmt.Errorf("count unsent notifications: %w", err)
	}
	s.NotificationsUnsent, s.NotificationsFailing = outbox.Unsent, outbox.Failing
	var oldest []time.Time
	if err := g.Model(&notificationRow{}).Where("sent_at IS NULL").Order("created_at").Limit(1).Pluck("created_at", &oldest).Error; err != nil {
		return Signals{}, fmt.Errorf("read oldest unsent notification: %w", err)
	}
	if len(oldest) == 1 {
		s.OldestUnsent = oldest[0]
	}
	seq, err := db.LatestSeq(ctx)
	if err != nil {
		return Signals{}, fmt.Errorf("read latest event seq: %w", err)
	}
	s.LatestSeq = seq
	return s, nil
}
