package storage

import (
	"context"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestReadSignals counts orders by POS state, stores by health and the
// outbox's unsent and failing notifications, on both databases.
func TestReadSignals(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, err := db.ReadSignals(ctx)
		if err != nil || len(s.OrdersByPosState) != 0 || s.NotificationsUnsent != 0 || !s.OldestUnsent.IsZero() || s.LatestSeq != 0 {
			t.Fatalf("empty database: %+v, %v", s, err)
		}
		store, items := seedStore(t, db)
		now := time.Now().UTC().Truncate(time.Microsecond)
		for i, id := range []string{"SIG-1", "SIG-2"} {
			if _, _, _, err := db.CreateOrder(ctx, newOrder(t, store, items, id, now.Add(time.Duration(i)*time.Second)), nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := db.UpdateStore(ctx, store.ID, func(s *domain.Store) error {
			s.Integration.Health = domain.HealthCredentialsInvalid
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.gorm.Exec("DELETE FROM notifications").Error; err != nil {
			t.Fatal(err)
		}
		oldest := now.Add(-time.Hour)
		for i, id := range []string{"n-sent", "n-waiting", "n-failing"} {
			row := notificationRow{ID: id, Kind: domain.NotifyNewOrder, StoreID: store.ID, CreatedAt: oldest.Add(time.Duration(i) * time.Minute)}
			if err := db.gorm.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.NotificationSent(ctx, "n-sent"); err != nil {
			t.Fatal(err)
		}
		if err := db.NotificationFailed(ctx, "n-failing", "smtp: 451", nil); err != nil {
			t.Fatal(err)
		}
		s, err = db.ReadSignals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.OrdersByPosState[string(domain.PosNotApplicable)]; got != 2 || len(s.OrdersByPosState) != 1 {
			t.Errorf("orders by POS state %v, want 2 NOT_APPLICABLE", s.OrdersByPosState)
		}
		if s.StoresByHealth[string(domain.HealthCredentialsInvalid)] != 1 || s.Unhealthy[store.ID] != string(domain.HealthCredentialsInvalid) || len(s.Unhealthy) != 1 {
			t.Errorf("stores by health %v, unhealthy %v; want the store CREDENTIALS_INVALID", s.StoresByHealth, s.Unhealthy)
		}
		if s.NotificationsUnsent != 2 || s.NotificationsFailing != 1 {
			t.Errorf("%d unsent, %d failing notifications; want 2 and 1", s.NotificationsUnsent, s.NotificationsFailing)
		}
		if want := oldest.Add(time.Minute); !s.OldestUnsent.Equal(want) {
			t.Errorf("oldest unsent notification written at %v, want %v", s.OldestUnsent, want)
		}
		if latest, err := db.LatestSeq(ctx); err != nil || s.LatestSeq != latest || latest == 0 {
			t.Errorf("latest seq %d, want %d (%v)", s.LatestSeq, latest, err)
		}
	})
}
