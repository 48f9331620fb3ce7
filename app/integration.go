package app

import (
	"context"
	"net/url"

	"github.com/leafly/lightspeed-orders/domain"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// The store's Lightspeed integration: each use case checks the caller may
// configure the store, then hands the work to the POS pipeline.

// SetupOptions reads the setup form's choices from the store's Lightspeed
// account (see pos.Pipeline.SetupOptions).
func (a *App) SetupOptions(ctx context.Context, storeID string) (domain.SetupOptions, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return domain.SetupOptions{}, err
	}
	return a.pos.SetupOptions(ctx, storeID)
}

// ConfigureIntegration saves the setup form after checking each choice
// against the store's Lightspeed account.
func (a *App) ConfigureIntegration(ctx context.Context, storeID string, s domain.IntegrationSettings) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	return a.pos.ConfigureIntegration(ctx, storeID, s)
}

// EnableIntegration turns the store's order integration on when every
// requirement is met.
func (a *App) EnableIntegration(ctx context.Context, storeID string) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	return a.pos.EnableIntegration(ctx, storeID)
}

// DisableIntegration turns the order integration off.
func (a *App) DisableIntegration(ctx context.Context, storeID string) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	return a.pos.DisableIntegration(ctx, storeID)
}

// SyncMenu turns the store's menu sync on and runs it at once.
func (a *App) SyncMenu(ctx context.Context, storeID string) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	return a.pos.SyncMenu(ctx, storeID)
}

// ConnectPersonalToken connects the store with a personal token.
func (a *App) ConnectPersonalToken(ctx context.Context, storeID, prefix, token string) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	return a.pos.ConnectPersonalToken(ctx, storeID, prefix, token)
}

// StartOAuth returns the Lightspeed consent URL that connects the store
// with OAuth.
func (a *App) StartOAuth(ctx context.Context, storeID string) (string, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return "", err
	}
	return a.pos.StartOAuth(ctx, storeID)
}

// CompleteOAuth finishes a connection from Lightspeed's callback query; its
// signed state says which store asked.
func (a *App) CompleteOAuth(ctx context.Context, q url.Values) (*domain.Store, error) {
	return a.pos.CompleteOAuth(ctx, q)
}

// ReceiveWebhook checks a Lightspeed webhook by its signature and queues its
// processing.
func (a *App) ReceiveWebhook(ctx context.Context, token string, body []byte, signature string) (kept bool, err error) {
	return a.pos.ReceiveWebhook(ctx, token, body, signature)
}

// RecordCall notes a Lightspeed call in the support trail of the order its
// context works for.
func (a *App) RecordCall(ctx context.Context, c lssync.Call) { a.pos.RecordCall(ctx, c) }

// PosCalls returns the order's support trail to the store's managers.
func (a *App) PosCalls(ctx context.Context, o *domain.Order) ([]*domain.PosCall, error) {
	if _, err := authorize(ctx, domain.OpConfigure, o.StoreID); err != nil {
		return nil, err
	}
	return a.db.Calls(ctx, o.ID)
}
