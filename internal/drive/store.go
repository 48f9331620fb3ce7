package drive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// The store set-up, as a manager does it (server/sale_test.go's
// enabledStore does the same): OAuth through the sandbox's auto-approving
// consent page, a menu sync, the setup form, enabling.

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

// Store is a store whose order integration is enabled on the sandbox.
type Store struct {
	ID   string
	Menu []MenuItem // the synced menu: at least two items
}

// MenuItem is what an order needs of a menu item.
type MenuItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
}

// CreateStore creates a store named name, taking pickup and delivery
// orders, through admin (a client with an ADMIN token) and returns its id.
func CreateStore(ctx context.Context, admin GraphQL, name string) (string, error) {
	var data struct{ CreateStore struct{ ID string } }
	err := admin.Do(ctx, createStoreMutation, map[string]any{"input": map[string]any{
		"name": name, "timeZone": "America/Los_Angeles", "pickupEnabled": true, "deliveryEnabled": true,
		"advertisingSubscriptionActive": true,
	}}, &data)
	if err != nil {
		return "", fmt.Errorf("createStore: %w", err)
	}
	return data.CreateStore.ID, nil
}

// ConnectStore creates a store named name through admin (a client with an
// ADMIN token) on a server whose Lightspeed is its sandbox, and enables
// the store's order integration as its manager (with a token from tokens)
// would: OAuth, a menu sync, and the setup form's first outlet, a register
// of it, the first user and the first payment type. It returns the store
// with its synced menu.
func ConnectStore(ctx context.Context, admin GraphQL, tokens Tokens, name string) (Store, error) {
	id, err := CreateStore(ctx, admin, name)
	if err != nil {
		return Store{}, err
	}
	manager := admin
	manager.Token = tokens.Mint(domain.RoleStoreManager, id)
	vars := map[string]any{"id": id}

	var oauth struct{ StartLightspeedOAuth struct{ AuthorizeURL string } }
	if err := manager.Do(ctx, startOAuthMutation, vars, &oauth); err != nil {
		return Store{}, fmt.Errorf("startLightspeedOAuth: %w", err)
	}
	if err := consent(ctx, oauth.StartLightspeedOAuth.AuthorizeURL); err != nil {
		return Store{}, err
	}

	var menu struct {
		SyncMenu struct {
			ItemCount int
			LastError *string
		}
	}
	if err := manager.Do(ctx, syncMenuMutation, vars, &menu); err != nil {
		return Store{}, fmt.Errorf("syncMenu: %w", err)
	}
	switch m := menu.SyncMenu; {
	case m.LastError != nil:
		return Store{}, fmt.Errorf("syncMenu: %d items, last error %s", m.ItemCount, *m.LastError)
	case m.ItemCount == 0:
		return Store{}, errors.New("syncMenu: 0 items")
	}

	settings, err := setupChoice(ctx, manager, id)
	if err != nil {
		return Store{}, err
	}
	if err := manager.Do(ctx, configureMutation, map[string]any{"input": settings}, nil); err != nil {
		return Store{}, fmt.Errorf("configureOrderIntegration: %w", err)
	}
	var enabled struct{ EnableOrderIntegration struct{ Enabled bool } }
	if err := manager.Do(ctx, enableMutation, vars, &enabled); err != nil {
		return Store{}, fmt.Errorf("enableOrderIntegration: %w", err)
	}
	if !enabled.EnableOrderIntegration.Enabled {
		return Store{}, errors.New("enableOrderIntegration answered enabled: false")
	}

	var items struct {
		MenuItems struct{ Edges []struct{ Node MenuItem } }
	}
	if err := manager.Do(ctx, menuItemsQuery, vars, &items); err != nil {
		return Store{}, fmt.Errorf("menuItems: %w", err)
	}
	st := Store{ID: id}
	for _, e := range items.MenuItems.Edges {
		st.Menu = append(st.Menu, e.Node)
	}
	if len(st.Menu) < 2 {
		return Store{}, fmt.Errorf("the synced menu has %d items, want at least 2", len(st.Menu))
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
func setupChoice(ctx context.Context, manager GraphQL, storeID string) (map[string]any, error) {
	type option struct{ ID, Name, OutletID string }
	var data struct {
		LightspeedSetupOptions struct{ Outlets, Registers, Users, PaymentTypes []option }
	}
	if err := manager.Do(ctx, setupOptionsQuery, map[string]any{"id": storeID}, &data); err != nil {
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
			return in, nil
		}
	}
	return nil, fmt.Errorf("lightspeedSetupOptions: outlet %s has no register", o.Outlets[0].ID)
}
