package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// The store set-up, as a manager does it (after cmd/loadtest/lightspeed.go
// and server/sale_test.go's enabledStore): OAuth through the sandbox's
// auto-approving consent page, a menu sync, the setup form, enabling.

const (
	createStoreMutation = `mutation($input: CreateStoreInput!) { createStore(input: $input) { id } }`
	startOAuthMutation  = `mutation($id: ID!) { startLightspeedOAuth(storeId: $id) { authorizeUrl } }`
	syncMenuMutation    = `mutation($id: ID!) { syncMenu(storeId: $id) { itemCount lastError } }`
	setupOptionsQuery   = `query($id: ID!) { lightspeedSetupOptions(storeId: $id) {
	outlets { id name } registers { id name outletId } users { id name } paymentTypes { id name } } }`
	configureMutation = `mutation($input: ConfigureOrderIntegrationInput!) { configureOrderIntegration(input: $input) {
	settings { outletId registerId userId paymentTypeId } } }`
	enableMutation = `mutation($id: ID!) { enableOrderIntegration(storeId: $id) { enabled } }`
	menuItemsQuery = `query($id: ID!) { menuItems(storeId: $id, first: 100) { edges { node { id name priceCents } } } }`
	oauthConnected = "Lightspeed connected"
)

// store is the store whose order integration is enabled on the sandbox.
type store struct {
	ID   string
	Menu []menuItem
}

type menuItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
}

// connectStore creates a store on the server at base and enables its order
// integration: the setup form's first outlet, a register of it, the first
// user and the first payment type.
func connectStore(ctx context.Context, base string) (store, error) {
	var st store
	hc := newHTTPClient(2, 60*time.Second)
	admin := graphQL{url: base + "/query", token: mint(domain.RoleAdmin), http: hc}
	var created struct{ CreateStore struct{ ID string } }
	err := admin.do(ctx, createStoreMutation, map[string]any{"input": map[string]any{
		"name": "Chaos Dispensary", "timeZone": "America/Los_Angeles", "pickupEnabled": true, "deliveryEnabled": true,
		"advertisingSubscriptionActive": true,
	}}, &created)
	if err != nil {
		return st, fmt.Errorf("createStore: %w", err)
	}
	st.ID = created.CreateStore.ID
	gql := graphQL{url: base + "/query", token: mint(domain.RoleStoreManager, st.ID), http: hc}
	id := map[string]any{"id": st.ID}

	var oauth struct{ StartLightspeedOAuth struct{ AuthorizeURL string } }
	if err := gql.do(ctx, startOAuthMutation, id, &oauth); err != nil {
		return st, fmt.Errorf("startLightspeedOAuth: %w", err)
	}
	if err := consent(ctx, oauth.StartLightspeedOAuth.AuthorizeURL); err != nil {
		return st, err
	}
	var menu struct {
		SyncMenu struct {
			ItemCount int
			LastError *string
		}
	}
	if err := gql.do(ctx, syncMenuMutation, id, &menu); err != nil {
		return st, fmt.Errorf("syncMenu: %w", err)
	}
	if menu.SyncMenu.LastError != nil || menu.SyncMenu.ItemCount == 0 {
		return st, fmt.Errorf("syncMenu: %d items, last error %v", menu.SyncMenu.ItemCount, menu.SyncMenu.LastError)
	}
	settings, err := setupChoice(ctx, gql, st.ID)
	if err != nil {
		return st, err
	}
	if err := gql.do(ctx, configureMutation, map[string]any{"input": settings}, nil); err != nil {
		return st, fmt.Errorf("configureOrderIntegration: %w", err)
	}
	var enabled struct{ EnableOrderIntegration struct{ Enabled bool } }
	if err := gql.do(ctx, enableMutation, id, &enabled); err != nil {
		return st, fmt.Errorf("enableOrderIntegration: %w", err)
	}
	if !enabled.EnableOrderIntegration.Enabled {
		return st, fmt.Errorf("enableOrderIntegration answered enabled: false")
	}
	var items struct {
		MenuItems struct{ Edges []struct{ Node menuItem } }
	}
	if err := gql.do(ctx, menuItemsQuery, id, &items); err != nil {
		return st, fmt.Errorf("menuItems: %w", err)
	}
	for _, e := range items.MenuItems.Edges {
		st.Menu = append(st.Menu, e.Node)
	}
	if len(st.Menu) < 2 {
		return st, fmt.Errorf("the synced menu has %d items, want at least 2", len(st.Menu))
	}
	return st, nil
}

// consent is the manager's browser on Lightspeed's consent URL: the
// sandbox approves at once and redirects to the service's OAuth callback,
// whose page says whether the store is connected.
func consent(ctx context.Context, authorizeURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return fmt.Errorf("authorize URL %q: %w", authorizeURL, err)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("OAuth consent: %w", err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(oauthConnected)) {
		return fmt.Errorf("OAuth ended at %s with %d:\n%s", resp.Request.URL, resp.StatusCode, page)
	}
	return nil
}

// setupChoice reads the setup form's options and picks the first outlet, a
// register of it, the first user and the first payment type.
func setupChoice(ctx context.Context, gql graphQL, storeID string) (map[string]any, error) {
	type option struct{ ID, Name, OutletID string }
	var data struct {
		LightspeedSetupOptions struct{ Outlets, Registers, Users, PaymentTypes []option }
	}
	if err := gql.do(ctx, setupOptionsQuery, map[string]any{"id": storeID}, &data); err != nil {
		return nil, fmt.Errorf("lightspeedSetupOptions: %w", err)
	}
	o := data.LightspeedSetupOptions
	if len(o.Outlets) == 0 || len(o.Users) == 0 || len(o.PaymentTypes) == 0 {
		return nil, fmt.Errorf("lightspeedSetupOptions: %+v lacks an outlet, a user or a payment type", o)
	}
	in := map[string]any{"storeId": storeID, "outletId": o.Outlets[0].ID, "userId": o.Users[0].ID, "paymentTypeId": o.PaymentTypes[0].ID}
	for _, r := range o.Registers {
		if r.OutletID == o.Outlets[0].ID {
			in["registerId"] = r.ID
			break
		}
	}
	if in["registerId"] == nil {
		return nil, fmt.Errorf("lightspeedSetupOptions: outlet %s has no register", o.Outlets[0].ID)
	}
	return in, nil
}
