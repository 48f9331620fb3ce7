package app

import (
	"context"

	"github.com/leafly/lightspeed-orders/domain"
)

// SubscribeOrderStatus streams the status changes of the store's orders.
func (a *App) SubscribeOrderStatus(ctx context.Context, storeID string) (<-chan *domain.OrderStatusEvent, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	return a.broker.SubscribeOrderStatus(ctx, storeID), nil
}

// SubscribeAlerts streams the alerts raised for the store.
func (a *App) SubscribeAlerts(ctx context.Context, storeID string) (<-chan *domain.Alert, error) {
	if _, err := a.Store(ctx, storeID); err != nil {
		return nil, err
	}
	return a.broker.SubscribeAlerts(ctx, storeID), nil
}
