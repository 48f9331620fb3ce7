package app

import (
	"context"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// CreateStore creates a store.
func (a *App) CreateStore(ctx context.Context, in domain.StoreInput) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpCreateStore, ""); err != nil {
		return nil, err
	}
	at := a.now()
	s := &domain.Store{ID: newID(), Integration: domain.Integration{Health: domain.HealthHealthy}, CreatedAt: at, UpdatedAt: at}
	if err := in.Apply(s); err != nil {
		return nil, err
	}
	if err := a.db.CreateStore(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// UpdateStore changes the fields of the store that in sets.
func (a *App) UpdateStore(ctx context.Context, id string, in domain.StoreInput) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpUpdateStore, id); err != nil {
		return nil, err
	}
	return a.w.UpdateStore(ctx, id, in.Apply)
}

// Store returns a store the caller may read.
func (a *App) Store(ctx context.Context, id string) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpRead, id); err != nil {
		return nil, err
	}
	return a.db.Store(ctx, id)
}

// UpdateNotificationSettings replaces who the store's notifications go to.
func (a *App) UpdateNotificationSettings(ctx context.Context, storeID string, n domain.NotificationSettings) (*domain.NotificationSettings, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	if err := domain.ValidateEmails("alertEmails", n.AlertEmails); err != nil {
		return nil, err
	}
	if err := domain.ValidateEmails("newOrderEmails", n.NewOrderEmails); err != nil {
		return nil, err
	}
	s, err := a.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		s.Notifications = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s.Notifications, nil
}

// MenuItems returns a page of the store's menu.
func (a *App) MenuItems(ctx context.Context, storeID string, first *int, after *string) (domain.MenuItemPage, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return domain.MenuItemPage{}, err
	}
	n, err := pageSize("first", first)
	if err != nil {
		return domain.MenuItemPage{}, err
	}
	return a.db.MenuItems(ctx, storeID, domain.Page{First: n, After: deref(after)})
}

// Alerts returns the store's alerts.
func (a *App) Alerts(ctx context.Context, storeID string, unresolvedOnly bool) ([]*domain.Alert, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	return a.db.Alerts(ctx, storeID, unresolvedOnly)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// MenuItemCount returns how many active items the store's menu has.
func (a *App) MenuItemCount(ctx context.Context, storeID string) (int, error) {
	return a.db.MenuItemCount(ctx, storeID)
}

// Now returns the service's current time.
func (a *App) Now() time.Time { return a.now() }
