package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// The store set-up and the sandbox control the orders-burst scenario uses:
// a store connected to the server's built-in Lightspeed (the sandbox at
// /sandbox) the way server/sale_test.go's enabledStore does it, over GraphQL
// and the browser's side of OAuth.

// demoPrefix is the sandbox's demo retailer.
const demoPrefix = "demo"

const (
	startOAuthMutation = `mutation($id: ID!) { startLightspeedOAuth(storeId: $id) { authorizeUrl } }`
	syncMenuMutation   = `mutation($id: ID!) { syncMenu(storeId: $id) { itemCount lastError } }`
	setupOptionsQuery  = `query($id: ID!) { lightspeedSetupOptions(storeId: $id) {
	outlets { id name } registers { id name outletId } users { id name } paymentTypes { id name } } }`
	configureMutation = `mutation($input: ConfigureOrderIntegrationInput!) { configureOrderIntegration(input: $input) {
	settings { outletId registerId userId paymentTypeId } } }`
	enableMutation = `mutation($id: ID!) { enableOrderIntegration(storeId: $id) { enabled } }`
	menuItemsQuery = `query($id: ID!) { menuItems(storeId: $id, first: 100) { edges { node { id name priceCents } } } }`
	oauthConnected = "Lightspeed connected"
)

// lsStore is a store whose order integration is enabled on the sandbox.
type lsStore struct {
	ID      string
	Manager string
	Menu    []menuItem
}

type menuItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
}

// demoStore is the store a server started without SANDBOX_DEMO=false sets
// up on its sandbox (server/lightspeed.go).
const demoStore = "demo-store"

// retireDemo retires the demo store an earlier scenario's server set up, if
// any: its sandbox is gone, so the menu syncs the next server would run for
// it fail and stay in the job queue, which awaitStartupJobs waits to empty.
func (b *bench) retireDemo(ctx context.Context) error {
	if b.store == nil {
		return nil
	}
	var n int
	if err := b.store.SQL().QueryRowContext(ctx, "SELECT count(*) FROM stores WHERE id = '"+demoStore+"'").Scan(&n); err != nil {
		return fmt.Errorf("look for the demo store: %w", err)
	}
	if n == 0 {
		return nil
	}
	return b.retire(ctx, lsStore{ID: demoStore})
}

// sandboxStore starts a server without the demo store (which would share
// the demo retailer's budget), sets the sandbox's limit to limit requests
// per limitWindow unless 0, connects a store to it with connectStore and
// waits for the server's start-up jobs. The caller stops the server.
func (b *bench) sandboxStore(ctx context.Context, name string, limit int) (*serverProcess, lsStore, error) {
	if err := b.retireDemo(ctx); err != nil {
		return nil, lsStore{}, err
	}
	lastJob, err := b.lastJob(ctx)
	if err != nil {
		return nil, lsStore{}, err
	}
	env := b.env
	b.env = append(slices.Clone(env), "SANDBOX_DEMO=false")
	srv, err := b.startServer(ctx)
	b.env = env
	if err != nil {
		return nil, lsStore{}, err
	}
	st, err := b.setUpStore(ctx, srv, name, limit, lastJob)
	if err != nil {
		srv.stop()
		return nil, lsStore{}, err
	}
	return srv, st, nil
}

func (b *bench) setUpStore(ctx context.Context, srv *serverProcess, name string, limit int, lastJob int64) (lsStore, error) {
	// Set before the set-up so that the server learns the limit from the
	// sandbox's X-RateLimit-Limit headers as it would from Lightspeed's.
	if limit > 0 {
		if err := srv.sandbox().setRateLimit(ctx, limit, limitWindow); err != nil {
			return lsStore{}, err
		}
	}
	st, err := b.connectStore(ctx, srv, name)
	if err != nil {
		return st, err
	}
	return st, b.awaitStartupJobs(ctx, lastJob)
}

// connectStore creates a store and enables its order integration as a
// manager would: OAuth through the sandbox's auto-approving consent page,
// a menu sync, and the setup form's first outlet, a register of it, the
// first user and the first enabled payment type.
func (b *bench) connectStore(ctx context.Context, srv *serverProcess, name string) (lsStore, error) {
	var st lsStore
	var created struct{ CreateStore struct{ ID string } }
	err := srv.client(b.token(domain.RoleAdmin), 0).do(ctx, createStoreMutation, map[string]any{"input": map[string]any{
		"name": "Load test " + name, "timeZone": "America/Los_Angeles", "pickupEnabled": true, "deliveryEnabled": true,
		"advertisingSubscriptionActive": true,
	}}, &created)
	if err != nil {
		return st, fmt.Errorf("createStore: %w", err)
	}
	st.ID = created.CreateStore.ID
	st.Manager = b.token(domain.RoleStoreManager, st.ID)
	gql := srv.client(st.Manager, 0)
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
		return st, fmt.Errorf("syncMenu: %d items, last error %v", menu.SyncMenu.ItemCount, deref(menu.SyncMenu.LastError))
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
// register of it, the first user and the first (enabled) payment type.
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

// sandbox is the control side of a server's built-in Lightspeed.
type sandbox struct {
	base string // http://host:port/sandbox
	http *http.Client
}

func (s *serverProcess) sandbox() sandbox { return sandbox{base: s.url + "/sandbox", http: s.http} }

// sandboxStats are the demo retailer's API counters since the server
// started: requests by route, their total and the 429s answered.
type sandboxStats struct {
	Requests    map[string]int `json:"requests"`
	Total       int            `json:"total"`
	RateLimited int            `json:"rate_limited"`
}

// call sends a control request and decodes the JSON answer into out.
func (sb sandbox) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, sb.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sb.http.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sandbox %s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	return nil
}

// setRateLimit sets the demo retailer's limit to limit requests per window
// and starts a fresh window, which begins with the next request.
func (sb sandbox) setRateLimit(ctx context.Context, limit int, window time.Duration) error {
	return sb.call(ctx, http.MethodPost, "/control/rate_limit",
		map[string]any{"domain_prefix": demoPrefix, "limit": limit, "window_seconds": int(window / time.Second)}, nil)
}

// stats reads the demo retailer's counters.
func (sb sandbox) stats(ctx context.Context) (sandboxStats, error) {
	var out struct{ Data map[string]sandboxStats }
	if err := sb.call(ctx, http.MethodGet, "/control/stats?domain_prefix="+demoPrefix, nil, &out); err != nil {
		return sandboxStats{}, err
	}
	st, ok := out.Data[demoPrefix]
	if !ok {
		return st, fmt.Errorf("sandbox stats have no retailer %q", demoPrefix)
	}
	return st, nil
}

// salesBySource reads how many sales (deleted ones too) the demo retailer
// has for each source id, i.e. each Leafly order id.
func (sb sandbox) salesBySource(ctx context.Context) (map[string]int, error) {
	var out struct {
		Counts map[string]int `json:"counts_by_source_id"`
	}
	if err := sb.call(ctx, http.MethodGet, "/"+demoPrefix+"/staff/sales", nil, &out); err != nil {
		return nil, err
	}
	return out.Counts, nil
}

// since returns the counters added after earlier.
func (s sandboxStats) since(earlier sandboxStats) sandboxStats {
	d := sandboxStats{Requests: map[string]int{}, Total: s.Total - earlier.Total, RateLimited: s.RateLimited - earlier.RateLimited}
	for route, n := range s.Requests {
		if n -= earlier.Requests[route]; n != 0 {
			d.Requests[route] = n
		}
	}
	return d
}
