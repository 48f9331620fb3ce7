package app

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/leafly/lightspeed-orders/domain"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// The setup form and turning the order integration on and off.

// Choice is one entry of a setup dropdown.
type Choice struct {
	ID, Name string
	// OutletID is the outlet of a register.
	OutletID string
}

// SetupOptions are the setup form's choices, read live from Lightspeed.
type SetupOptions struct {
	Outlets, Registers, Users, PaymentTypes []Choice
}

// SetupOptions reads the setup form's choices from the store's Lightspeed
// account: outlets, registers (with their outlet), users and the enabled
// payment types. They are cached for setupOptionsTTL, and the reads are
// interactive: they never hold up order sending.
func (a *App) SetupOptions(ctx context.Context, storeID string) (SetupOptions, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return SetupOptions{}, err
	}
	opts, err := a.cachedSetupOptions(lssync.Interactive(ctx), storeID, false)
	return opts, lightspeedError(err)
}

func (a *App) readSetupOptions(ctx context.Context, t lssync.Target) (SetupOptions, error) {
	var o SetupOptions
	outlets, err := a.ls.Outlets(ctx, t)
	if err != nil {
		return o, err
	}
	registers, err := a.ls.Registers(ctx, t)
	if err != nil {
		return o, err
	}
	users, err := a.ls.Users(ctx, t)
	if err != nil {
		return o, err
	}
	payments, err := a.ls.PaymentTypes(ctx, t)
	if err != nil {
		return o, err
	}
	a.ls.Limiter().SetRegisters(t.DomainPrefix, len(registers))
	for _, x := range outlets {
		if x.DeletedAt == "" {
			o.Outlets = append(o.Outlets, Choice{ID: x.ID, Name: x.Name})
		}
	}
	for _, x := range registers {
		if x.DeletedAt == "" {
			o.Registers = append(o.Registers, Choice{ID: x.ID, Name: x.Name, OutletID: x.OutletID})
		}
	}
	for _, x := range users {
		if x.DeletedAt == "" {
			o.Users = append(o.Users, Choice{ID: x.ID, Name: cmp.Or(x.DisplayName, x.Username, x.Email)})
		}
	}
	for _, x := range payments {
		if x.DeletedAt == "" && !x.Disabled {
			o.PaymentTypes = append(o.PaymentTypes, Choice{ID: x.ID, Name: x.Name})
		}
	}
	return o, nil
}

// validate checks the setup choices against what Lightspeed offers and
// names the first field that is wrong.
func (o SetupOptions) validate(s domain.IntegrationSettings) error {
	find := func(list []Choice, id string) (Choice, bool) {
		i := slices.IndexFunc(list, func(c Choice) bool { return c.ID == id })
		if i < 0 {
			return Choice{}, false
		}
		return list[i], true
	}
	if _, ok := find(o.Outlets, s.OutletID); !ok {
		return domain.Errorf(domain.CodeBadUserInput, "outletId %q is not an outlet of this Lightspeed account.", s.OutletID)
	}
	reg, ok := find(o.Registers, s.RegisterID)
	if !ok {
		return domain.Errorf(domain.CodeBadUserInput, "registerId %q is not a register of this Lightspeed account.", s.RegisterID)
	}
	if reg.OutletID != s.OutletID {
		return domain.Errorf(domain.CodeBadUserInput, "registerId %q belongs to another outlet than outletId %q.", s.RegisterID, s.OutletID)
	}
	if _, ok := find(o.Users, s.UserID); !ok {
		return domain.Errorf(domain.CodeBadUserInput, "userId %q is not a user of this Lightspeed account.", s.UserID)
	}
	if _, ok := find(o.PaymentTypes, s.PaymentTypeID); !ok {
		return domain.Errorf(domain.CodeBadUserInput, "paymentTypeId %q is not an enabled payment type of this Lightspeed account.", s.PaymentTypeID)
	}
	return nil
}

// ConfigureIntegration saves the setup form after checking each choice
// against the store's Lightspeed account.
func (a *App) ConfigureIntegration(ctx context.Context, storeID string, s domain.IntegrationSettings) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	if err := a.checkSettings(lssync.Interactive(ctx), storeID, s, false); err != nil {
		return nil, err
	}
	return a.updateStore(ctx, storeID, func(st *domain.Store) error {
		st.Integration.Settings = &s
		return nil
	})
}

// checkSettings validates the setup against the account's options: the
// cached ones the form was filled from, or fresh ones before enabling.
func (a *App) checkSettings(ctx context.Context, storeID string, s domain.IntegrationSettings, fresh bool) error {
	opts, err := a.cachedSetupOptions(ctx, storeID, fresh)
	if err != nil {
		return lightspeedError(err)
	}
	return opts.validate(s)
}

// EnableIntegration turns the store's order integration on when every
// requirement is met: it subscribes the sale.update webhook, and the
// dashboard turns read-only. Enabling an enabled integration changes nothing.
func (a *App) EnableIntegration(ctx context.Context, storeID string) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	store, err := a.db.Store(ctx, storeID)
	if err != nil || store.Integration.Enabled {
		return store, err
	}
	if unmet := domain.Unmet(domain.Requirements(store, a.now())); len(unmet) > 0 {
		return nil, &domain.Error{Code: domain.CodeRequirementsNotMet, Requirements: unmet,
			Message: "The order integration cannot be enabled yet: see the unmet requirements."}
	}
	ctx = lssync.Interactive(ctx)
	if err := a.checkSettings(ctx, storeID, *store.Integration.Settings, true); err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Code == domain.CodeBadUserInput {
			return nil, &domain.Error{Code: domain.CodeRequirementsNotMet, Requirements: []string{string(domain.ReqSettingsComplete)},
				Message: "The saved setup no longer matches the Lightspeed account: " + de.Message}
		}
		return nil, err
	}
	if err := a.subscribeWebhook(ctx, storeID); err != nil {
		return nil, err
	}
	return a.updateStore(ctx, storeID, func(s *domain.Store) error {
		s.Integration.Enabled = true
		return nil
	})
}

// subscribeWebhook makes sure Lightspeed posts the store's sale updates to
// the URL that names its connection.
func (a *App) subscribeWebhook(ctx context.Context, storeID string) error {
	c, err := a.db.Credentials(ctx, storeID)
	if err != nil {
		return err
	}
	t, err := a.target(ctx, storeID)
	if err != nil {
		return lightspeedError(err)
	}
	url := a.publicURL + WebhookPath + c.WebhookToken
	hook, err := a.ls.CreateWebhook(ctx, t, lssync.WebhookRequest{URL: url, Active: true, Type: lssync.WebhookSaleUpdate})
	if lssync.IsConflict(err) {
		hook, err = a.findWebhook(ctx, t, url)
	}
	if err != nil {
		return lightspeedError(err)
	}
	return a.db.SetWebhook(ctx, storeID, &hook.ID)
}

func (a *App) findWebhook(ctx context.Context, t lssync.Target, url string) (lssync.Webhook, error) {
	hooks, err := a.ls.Webhooks(ctx, t)
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
func (a *App) DisableIntegration(ctx context.Context, storeID string) (*domain.Store, error) {
	if _, err := authorize(ctx, domain.OpConfigure, storeID); err != nil {
		return nil, err
	}
	store, err := a.db.Store(ctx, storeID)
	if err != nil || !store.Integration.Enabled {
		return store, err
	}
	a.unsubscribeWebhook(lssync.Interactive(ctx), storeID)
	return a.updateStore(ctx, storeID, func(s *domain.Store) error {
		s.Integration.Enabled = false
		return nil
	})
}

func (a *App) unsubscribeWebhook(ctx context.Context, storeID string) {
	c, err := a.db.Credentials(ctx, storeID)
	if err != nil || c.WebhookID == nil {
		return
	}
	t, err := a.target(ctx, storeID)
	if err == nil {
		err = a.ls.DeleteWebhook(ctx, t, *c.WebhookID)
	}
	if err != nil && !lssync.IsNotFound(err) {
		a.log.WarnContext(ctx, "could not remove the lightspeed webhook", "store", storeID, "err", err)
		return
	}
	if err := a.db.SetWebhook(ctx, storeID, nil); err != nil {
		a.log.ErrorContext(ctx, "forget lightspeed webhook", "store", storeID, "err", err)
	}
}
