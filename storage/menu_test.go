package storage

import (
	"context"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestMenuSyncSkipsInvalidCredentials: the periodic menu sync leaves a
// store whose credentials are invalid (refused, or unreadable) alone until
// it reconnects.
func TestMenuSyncSkipsInvalidCredentials(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := seedStore(t, db)
		setStore := func(h domain.IntegrationHealth) {
			if _, _, err := db.UpdateStore(ctx, s.ID, func(s *domain.Store) error {
				s.Integration.MenuSync.Enabled, s.Integration.Health = true, h
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		for h, want := range map[domain.IntegrationHealth]int{domain.HealthHealthy: 1, domain.HealthPartnerOutage: 1, domain.HealthCredentialsInvalid: 0} {
			setStore(h)
			if ids, err := db.MenuSyncStores(ctx); err != nil || len(ids) != want {
				t.Errorf("health %s: MenuSyncStores = %v, %v; want %d store", h, ids, err, want)
			}
		}
	})
}
