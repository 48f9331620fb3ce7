package pos

import (
	"cmp"
	"context"
	"errors"

	"github.com/leafly/lightspeed-orders/domain"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// The setup form and turning the order integration on and off.

// SetupOptions reads the setup form's choices from the store's Lightspeed
// account: outlets, registers (with their outlet), users and the enabled
// payment types. They are cached for setupOptionsTTL, and the reads are
// interactive: they never hold up order sending.
func (p *Pipeline) SetupOptions(ctx context.Context, storeID string) (domain.SetupOptions, error) {
	opts, err := p.cachedSetupOptions(lssync.Interactive(ctx), storeID, false)
	return opts, lightspeedError(err)
}

func (p *Pipeline) readSetupOptions(ctx context.Context, t lssync.Target) (domain.SetupOptions, error) {
	var o domain.SetupOptions
	outlets, err := p.ls.Outlets(ctx, t)
	if err != nil {
		return o, err
	}
	registers, err := p.ls.Registers(ctx, t)
	if err != nil {
		return o, err
	}
	users, err := p.ls.Users(ctx, t)
	if err != nil {
		return o, err
	}
	payments, err := p.ls.PaymentTypes(ctx, t)
	if err != nil {
		return o, err
	}
	p.ls.Limiter().SetRegisters(t.DomainPrefix, len(registers))
	for _, x := range outlets {
		if x.DeletedAt == "" {
			o.Outlets = append(o.Outlets, domain.SetupChoice{ID: x.ID, Name: x.Name})
		}
	}
	for _, x := range registers {
		if x.DeletedAt == "" {
			o.Registers = append(o.Registers, domain.SetupChoice{ID: x.ID, Name: x.Name, OutletID: x.OutletID})
		}
	}
	for _, x := range users {
		if x.DeletedAt == "" {
			o.Users = append(o.Users, domain.SetupChoice{ID: x.ID, Name: cmp.Or(x.DisplayName, x.Username, x.Email)})
		}
	}
	for _, x := range payments {
		if x.DeletedAt == "" && !x.Disabled {
			o.PaymentTypes = append(o.PaymentTypes, domain.SetupChoice{ID: x.ID, Name: x.Name})
		}
	}
	return o, nil
}

// ConfigureIntegration saves the setup form after checking each choice
// against the store's Lightspeed account.
func (p *Pipeline) ConfigureIntegration(ctx context.Context, storeID string, s domain.IntegrationSettings) (*domain.Store, error) {
	if err := p.checkSettings(lssync.Interactive(ctx), storeID, s, false); err != nil {
		return nil, err
	}
	return p.w.UpdateStore(ctx, storeID, func(st *domain.Store) error {
		st.Integration.Settings = &s
		return nil
	})
}

// checkSettings validates the setup against the account's options: the
// cached ones the form was filled from, or fresh ones before enabling.
func (p *Pipeline) checkSettings(ctx context.Context, storeID string, s domain.IntegrationSettings, fresh bool) error {
	opts, err := p.cachedSetupOptions(ctx, storeID, fresh)
	if err != nil {
		return lightspeedError(err)
	}
	return opts.Validate(s)
}

// EnableIntegration turns the store's order integration on when every
// requirement is met: it subscribes the sale.update webhook, and the
// dashboard turns read-only. Enabling an enabled integration changes nothing.
func (p *Pipeline) EnableIntegration(ctx context.Context, storeID string) (*domain.Store, error) {
	store, err := p.db.Store(ctx, storeID)
	if err != nil || store.Integration.Enabled {
		return store, err
	}
	if unmet := domain.Unmet(domain.Requirements(store, p.now())); len(unmet) > 0 {
		return nil, &domain.Error{Code: domain.CodeRequirementsNotMet, Requirements: unmet,
			Message: "The order integration cannot be enabled yet: see the unmet requirements."}
	}
	ctx = lssync.Interactive(ctx)
	if err := p.checkSettings(ctx, storeID, *store.Integration.Settings, true); err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Code == domain.CodeBadUserInput {
			return nil, &domain.Error{Code: domain.CodeRequirementsNotMet, Requirements: []string{string(domain.ReqSettingsComplete)},
				Message: "The saved setup no longer matches the Lightspeed account: " + de.Message}
		}
		return nil, err
	}
	if err := p.subscribeWebhook(ctx, storeID); err != nil {
		return nil, err
	}
	return p.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		s.Integration.Enabled = true
		return nil
	})
}

// subscribeWebhook makes sure Lightspeed posts the store's sale updates to
// the URL that names its connection.
func (p *Pipeline) subscribeWebhook(ctx context.Context, storeID string) error {
	c, err := p.db.Credentials(ctx, storeID)
	if err != nil {
		return err
	}
	t, err := p.target(ctx, storeID)
	if err != nil {
		return lightspeedError(err)
	}
	url := p.publicURL + WebhookPath + c.WebhookToken
	hook, err := p.ls.CreateWebhook(ctx, t, lssync.WebhookRequest{URL: url, Active: true, Type: lssync.WebhookSaleUpdate})
	if lssync.IsConflict(err) {
		hook, err = p.findWebhook(ctx, t, url)
	}
	if err != nil {
		return lightspeedError(err)
	}
	return p.db.SetWebhook(ctx, storeID, &hook.ID)
}

func (p *Pipeline) findWebhook(ctx context.Context, t lssync.Target, url string) (lssync.Webhook, error) {
	hooks, err := p.ls.Webhooks(ctx, t)
	if err != nil {
		return lssync.Webhook{}, err
	}
	for _, h := range hooks {
		if h.URL == url && h.Type == lssync.WebhookSaleUpdate {
			return h, nil
		}
	}
	return lssync.Webhook{}, errors.New("lightspeed reported the webhook exists but does not list it")
}

// DisableIntegration turns the order integration off: the webhook is
// removed and the dashboard is actionable again. Disabling a disabled
// integration changes nothing. A webhook Lightspeed cannot remove now does
// not keep the integration on; it is logged and removed on the next enable.
func (p *Pipeline) DisableIntegration(ctx context.Context, storeID string) (*domain.Store, error) {
	store, err := p.db.Store(ctx, storeID)
	if err != nil || !store.Integration.Enabled {
		return store, err
	}
	p.unsubscribeWebhook(lssync.Interactive(ctx), storeID)
	return p.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		s.Integration.Enabled = false
		return nil
	})
}

func (p *Pipeline) unsubscribeWebhook(ctx context.Context, storeID string) {
	c, err := p.db.Credentials(ctx, storeID)
	if err != nil || c.WebhookID == nil {
		return
	}
	t, err := p.target(ctx, storeID)
	if err == nil {
		err = p.ls.DeleteWebhook(ctx, t, *c.WebhookID)
	}
	if err != nil && !lssync.IsNotFound(err) {
		p.log.WarnContext(ctx, "could not remove the lightspeed webhook", "store", storeID, "err", err)
		return
	}
	if err := p.db.SetWebhook(ctx, storeID, nil); err != nil {
		p.log.ErrorContext(ctx, "forget lightspeed webhook", "store", storeID, "err", err)
	}
}
