package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
	"github.com/leafly/lightspeed-orders/vault"
)

// End-to-end tests of connecting a store to Lightspeed: the real program,
// its built-in sandbox at /sandbox, GraphQL at /query and the browser's side
// of OAuth, all over HTTP.

// testEncryptionKey is the ENCRYPTION_KEY of these tests' servers, so a test
// can open the tokens the service stored.
var testEncryptionKey = bytes.Repeat([]byte{0x5a}, 32)

// startLightspeedServer starts the service on db with the sandbox, a key the
// test knows, and no periodic menu sync during the test.
func startLightspeedServer(t *testing.T, db database, extra map[string]string) *testServer {
	t.Helper()
	env := map[string]string{"ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(testEncryptionKey), "MENU_SYNC_INTERVAL": "1h"}
	for k, v := range db.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return startServer(t, env)
}

// publicURL is the base URL the server builds OAuth and webhook URLs from,
// as its banner prints it.
func publicURL(t *testing.T, s *testServer) string {
	t.Helper()
	for _, line := range strings.Split(s.out.String(), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "GraphQL:"); ok {
			return strings.TrimSuffix(strings.TrimSpace(rest), "/query")
		}
	}
	t.Fatalf("no GraphQL URL in the banner:\n%s", s.out)
	return ""
}

const integrationFields = `enabled dashboardReadOnly health
	connection { authMethod domainPrefix connectedAt }
	menuSync { enabled lastSyncedAt itemCount lastError }
	settings { outletId registerId userId paymentTypeId }
	requirements { code met message }`

// lsStore is a store of a test server and the tokens that act on it.
type lsStore struct {
	s                         *testServer
	ID, Admin, Manager, Staff string
	Market                    string
}

// newLightspeedStore creates a store that meets every requirement of
// enabling except the Lightspeed ones.
func newLightspeedStore(t *testing.T, s *testServer) lsStore {
	t.Helper()
	st := lsStore{s: s, Admin: s.Token(t, domain.RoleAdmin), Market: s.Token(t, domain.RoleMarketplace)}
	data := s.MustDo(t, st.Admin, createStoreMutation, map[string]any{"input": map[string]any{
		"name": "Evergreen", "timeZone": "America/Los_Angeles", "pickupEnabled": true, "deliveryEnabled": false,
		"advertisingSubscriptionActive": true,
	}})
	st.ID = str(path(data, "createStore", "id"))
	st.Manager = s.Token(t, domain.RoleStoreManager, st.ID)
	st.Staff = s.Token(t, domain.RoleStoreStaff, st.ID)
	return st
}

// integration reads the store's orderIntegration.
func (st lsStore) integration(t *testing.T) map[string]any {
	t.Helper()
	data := st.s.MustDo(t, st.Manager, `query($id: ID!) { store(id: $id) { orderIntegration { `+integrationFields+` } } }`,
		map[string]any{"id": st.ID})
	return path(data, "store", "orderIntegration").(map[string]any)
}

const connectPersonalTokenMutation = `mutation($id: ID!, $prefix: String!, $token: String!) {
	connectLightspeedPersonalToken(storeId: $id, domainPrefix: $prefix, token: $token) { ` + integrationFields + ` } }`

// connectedStore starts a server with the sandbox on db and creates a store
// connected to the demo retailer with its personal token.
func connectedStore(t *testing.T, db database) (*testServer, lsSandbox, lsStore) {
	t.Helper()
	s := startLightspeedServer(t, db, nil)
	st := newLightspeedStore(t, s)
	st.connectPersonalToken(t)
	return s, sandboxOf(t, s), st
}

// connectPersonalToken connects the store to the demo retailer with its
// personal token.
func (st lsStore) connectPersonalToken(t *testing.T) map[string]any {
	t.Helper()
	data := st.s.MustDo(t, st.Manager, connectPersonalTokenMutation,
		map[string]any{"id": st.ID, "prefix": sandbox.DemoPrefix, "token": sandbox.DemoPersonalToken})
	return path(data, "connectLightspeedPersonalToken").(map[string]any)
}

// authorizeURL starts OAuth and returns Lightspeed's consent URL.
func (st lsStore) authorizeURL(t *testing.T) string {
	t.Helper()
	data := st.s.MustDo(t, st.Manager, `mutation($id: ID!) { startLightspeedOAuth(storeId: $id) { authorizeUrl } }`,
		map[string]any{"id": st.ID})
	return str(path(data, "startLightspeedOAuth", "authorizeUrl"))
}

// browse is a manager's browser: it GETs u following redirects and returns
// the final page and the OAuth callback URL it passed through, if any.
func browse(t *testing.T, u string) (status int, page string, callback *url.URL) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == pos.OAuthCallbackPath {
			callback = req.URL
		}
		return nil
	}}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	return resp.StatusCode, string(body), callback
}

// connectOAuth walks the consent screen like a manager and returns the
// callback URL Lightspeed sent the browser to.
func (st lsStore) connectOAuth(t *testing.T) *url.URL {
	t.Helper()
	status, page, callback := browse(t, st.authorizeURL(t))
	if status != http.StatusOK || !strings.Contains(page, "Lightspeed connected") {
		t.Fatalf("OAuth ended with %d:\n%s", status, page)
	}
	if callback == nil {
		t.Fatal("the browser never reached the OAuth callback")
	}
	return callback
}

const syncMenuMutation = `mutation($id: ID!) { syncMenu(storeId: $id) { enabled lastSyncedAt itemCount lastError } }`

// syncMenu runs the menu sync and returns the MenuSync it answers.
func (st lsStore) syncMenu(t *testing.T) map[string]any {
	t.Helper()
	data := st.s.MustDo(t, st.Manager, syncMenuMutation, map[string]any{"id": st.ID})
	return path(data, "syncMenu").(map[string]any)
}

// menu returns the store's active menu items by Lightspeed product id.
func (st lsStore) menu(t *testing.T) map[string]map[string]any {
	t.Helper()
	data := st.s.MustDo(t, st.Manager, `query($id: ID!) { menuItems(storeId: $id, first: 100) {
		totalCount pageInfo { hasNextPage } edges { node { id name sku posProductId priceCents } } } }`,
		map[string]any{"id": st.ID})
	if path(data, "menuItems", "pageInfo", "hasNextPage") == true {
		t.Fatal("the menu has more than 100 items; this helper reads one page")
	}
	items := map[string]map[string]any{}
	for _, e := range path(data, "menuItems", "edges").([]any) {
		n := path(e, "node").(map[string]any)
		items[str(n["posProductId"])] = n
	}
	return items
}

// credentials reads the store's stored Lightspeed connection.
func (st lsStore) credentials(t *testing.T) domain.Credentials {
	t.Helper()
	c, err := st.s.Storage(t).Credentials(context.Background(), st.ID)
	if err != nil {
		t.Fatalf("read credentials of store %s: %v", st.ID, err)
	}
	return c
}

// openToken decrypts a sealed token with the test's ENCRYPTION_KEY.
func openToken(t *testing.T, sealed string) string {
	t.Helper()
	v, err := vault.New(testEncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := v.Open(sealed)
	if err != nil {
		t.Fatalf("open stored token: %v", err)
	}
	return plain
}

// waitForJobs waits until the server's job queue has run its start-up
// periodic job and has nothing left to run, nor any order a send right
// after its commit, so no background work calls Lightspeed while a test
// counts calls. The probe and the deadline
// sweep do not count: tests run them every 500ms (LIGHTSPEED_PROBE_INTERVAL,
// a short ORDER_POS_DEADLINE), so one is nearly always due, and a healthy
// store gives them nothing to do.
func waitForJobs(t *testing.T, s *testServer) {
	t.Helper()
	db := s.Storage(t).SQL()
	waitFor(t, "the job queue to be idle", 10*time.Second, func() bool {
		var pending, periodic int
		if err := db.QueryRow(`SELECT (SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')
			AND kind NOT IN ('probe_lightspeed', 'sweep_unsent_orders'))
			+ (SELECT count(*) FROM orders WHERE pos_sync_state = 'QUEUED' AND pos_sender IS NOT NULL)`).Scan(&pending); err != nil {
			t.Fatalf("count pending jobs: %v", err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'menu_sync_all' AND state = 'completed'`).Scan(&periodic); err != nil {
			t.Fatalf("count periodic jobs: %v", err)
		}
		return pending == 0 && periodic > 0
	})
}

// lsSandbox is the sandbox of a test server, reached over HTTP.
type lsSandbox struct {
	t    *testing.T
	base string
}

func sandboxOf(t *testing.T, s *testServer) lsSandbox { return lsSandbox{t, s.URL + sandboxPath} }

// do sends a request to the sandbox and decodes its JSON answer.
func (sb lsSandbox) do(method, p, token string, body any) (int, map[string]any) {
	sb.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, sb.base+p, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sb.t.Fatalf("%s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			sb.t.Fatalf("%s %s answered %d with non-JSON %q", method, p, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

// must sends a request that must succeed.
func (sb lsSandbox) must(method, p, token string, body any) map[string]any {
	sb.t.Helper()
	status, out := sb.do(method, p, token, body)
	if status < 200 || status > 299 {
		sb.t.Fatalf("%s %s: %d %v", method, p, status, out)
	}
	return out
}

// api reads the "data" of a demo API call made with token.
func (sb lsSandbox) api(token, p string) any {
	sb.t.Helper()
	return sb.must(http.MethodGet, "/"+sandbox.DemoPrefix+"/api/2026-07"+p, token, nil)["data"]
}

// list reads a list of the demo retailer with its personal token.
func (sb lsSandbox) list(p string) []map[string]any {
	sb.t.Helper()
	var out []map[string]any
	for _, x := range sb.api(sandbox.DemoPersonalToken, p).([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// forSale returns the demo retailer's products a shopper may buy, by id:
// live, active, and not the discount product every Lightspeed store has.
func (sb lsSandbox) forSale() map[string]map[string]any {
	sb.t.Helper()
	discount := str(path(sb.api(sandbox.DemoPersonalToken, "/retailer"), "discount_product_id"))
	out := map[string]map[string]any{}
	for _, p := range sb.list("/products?page_size=10000") {
		if p["deleted_at"] == nil && p["active"] == true && p["is_active"] == true && str(p["id"]) != discount {
			out[str(p["id"])] = p
		}
	}
	if len(out) == 0 {
		sb.t.Fatal("the demo retailer has no product for sale")
	}
	return out
}

// calls returns the demo retailer's API calls by route, and their total.
func (sb lsSandbox) calls() (map[string]int, int) {
	sb.t.Helper()
	out := sb.must(http.MethodGet, "/control/stats?domain_prefix="+sandbox.DemoPrefix, "", nil)
	st := path(out, "data", sandbox.DemoPrefix).(map[string]any)
	routes := map[string]int{}
	for k, v := range st["requests"].(map[string]any) {
		routes[k] = int(v.(float64))
	}
	return routes, int(st["total"].(float64))
}

func (sb lsSandbox) resetCalls() { sb.must(http.MethodDelete, "/control/stats", "", nil) }

// errorWith checks r failed with code and a message containing each part.
func errorWith(t *testing.T, r gqlResponse, code string, parts ...string) {
	t.Helper()
	if r.Code() != code {
		t.Fatalf("got error code %q (errors %+v), want %s", r.Code(), r.Errors, code)
	}
	for _, p := range parts {
		if !strings.Contains(r.Errors[0].Message, p) {
			t.Errorf("error message %q does not mention %q", r.Errors[0].Message, p)
		}
	}
}

// TestDemoStore starts the service as `go run ./server` does, with the
// sandbox demo: the demo store is connected by OAuth and its menu synced.
func TestDemoStore(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"SANDBOX_DEMO": "true"})
		want := len(sandboxOf(t, s).forSale())
		st := lsStore{s: s, ID: demoStoreID, Manager: s.Token(t, domain.RoleAdmin)}
		var got map[string]any
		waitFor(t, "the demo store to be connected and its menu synced", 10*time.Second, func() bool {
			r := s.Do(t, st.Manager, `query($id: ID!) { store(id: $id) { orderIntegration { `+integrationFields+` } } }`,
				map[string]any{"id": demoStoreID})
			got, _ = path(r.Data, "store", "orderIntegration").(map[string]any)
			// The start-up's own sync may finish after the one connecting
			// enqueued: wait for the log line that ends the set-up too.
			return path(got, "connection", "authMethod") == "OAUTH" && path(got, "menuSync", "lastSyncedAt") != nil &&
				strings.Contains(s.out.String(), "demo store ready")
		})
		if p := path(got, "connection", "domainPrefix"); p != sandbox.DemoPrefix {
			t.Errorf("demo store domainPrefix = %v, want %s", p, sandbox.DemoPrefix)
		}
		if n := int(path(got, "menuSync", "itemCount").(float64)); n != want {
			t.Errorf("demo store itemCount = %d, want the sandbox's %d products for sale", n, want)
		}
		if e := path(got, "menuSync", "lastError"); e != nil {
			t.Errorf("demo store menu sync lastError = %v, want null", e)
		}
	})
}

// TestConnectPersonalToken connects a store with a personal token, the
// menu's legacy path, and refuses what Lightspeed would not accept.
func TestConnectPersonalToken(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		st := newLightspeedStore(t, s)

		t.Run("ErrWrongToken", func(t *testing.T) {
			r := s.Do(t, st.Manager, connectPersonalTokenMutation,
				map[string]any{"id": st.ID, "prefix": sandbox.DemoPrefix, "token": "lsxs_pt_wrong"})
			errorWith(t, r, "BAD_USER_INPUT", "token")
			if m := path(st.integration(t), "connection", "authMethod"); m != "NONE" {
				t.Errorf("after a refused token authMethod = %v, want NONE", m)
			}
			if _, err := s.Storage(t).Credentials(context.Background(), st.ID); !errors.Is(err, storage.ErrNotConnected) {
				t.Errorf("after a refused token the stored connection is %v, want none", err)
			}
		})

		t.Run("ErrBadDomainPrefix", func(t *testing.T) {
			for _, prefix := range []string{"demo.retail.lightspeed.app", "Not A Prefix", "-demo", "nosuchretailer"} {
				r := s.Do(t, st.Manager, connectPersonalTokenMutation,
					map[string]any{"id": st.ID, "prefix": prefix, "token": sandbox.DemoPersonalToken})
				if r.Code() != "BAD_USER_INPUT" {
					t.Errorf("domainPrefix %q: got code %q (errors %+v), want BAD_USER_INPUT", prefix, r.Code(), r.Errors)
				}
			}
			if m := path(st.integration(t), "connection", "authMethod"); m != "NONE" {
				t.Errorf("after refused prefixes authMethod = %v, want NONE", m)
			}
		})

		t.Run("OK", func(t *testing.T) {
			in := st.connectPersonalToken(t)
			if m := path(in, "connection", "authMethod"); m != "PERSONAL_TOKEN" {
				t.Errorf("authMethod = %v, want PERSONAL_TOKEN", m)
			}
			if p := path(in, "connection", "domainPrefix"); p != sandbox.DemoPrefix {
				t.Errorf("domainPrefix = %v, want %s", p, sandbox.DemoPrefix)
			}
			if path(in, "connection", "connectedAt") == nil {
				t.Error("connectedAt is null")
			}
			if e := path(in, "menuSync", "enabled"); e != true {
				t.Errorf("menuSync.enabled = %v, want true", e)
			}
			checkRequirements(t, in["requirements"].([]any))
			if c := st.credentials(t); c.AccessToken == sandbox.DemoPersonalToken || strings.Contains(c.AccessToken, "lsxs_") {
				t.Errorf("the personal token is stored in plain text: %q", c.AccessToken)
			}
		})
	})
}

// checkRequirements checks the requirements of a store connected by
// personal token with pickup and advertising on and no settings.
func checkRequirements(t *testing.T, reqs []any) {
	t.Helper()
	var codes []string
	for _, r := range reqs {
		codes = append(codes, str(path(r, "code")))
	}
	want := []string{"OAUTH_CONNECTED", "MENU_SYNC_ACTIVE", "ONLINE_ORDERING_ENABLED", "ADVERTISING_SUBSCRIPTION_ACTIVE", "SETTINGS_COMPLETE"}
	if !slices.Equal(codes, want) {
		t.Fatalf("requirement codes = %v, want %v", codes, want)
	}
	met := func(i int) bool { return path(reqs[i], "met") == true }
	if met(0) || !strings.Contains(str(path(reqs[0], "message")), "enable OAuth") {
		t.Errorf("OAUTH_CONNECTED = %v, want unmet with a message about enabling OAuth", reqs[0])
	}
	if !met(2) || !met(3) {
		t.Errorf("ONLINE_ORDERING_ENABLED = %v, ADVERTISING_SUBSCRIPTION_ACTIVE = %v, want both met", reqs[2], reqs[3])
	}
	if met(4) {
		t.Errorf("SETTINGS_COMPLETE = %v, want unmet before the setup form is saved", reqs[4])
	}
}

// TestConnectOAuth connects a store by OAuth through the sandbox's consent
// screen and refuses every callback that did not come from that consent.
func TestConnectOAuth(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		base := publicURL(t, s)
		st := newLightspeedStore(t, s)

		t.Run("AuthorizeURL", func(t *testing.T) {
			u, err := url.Parse(st.authorizeURL(t))
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if u.Path != sandboxPath+"/connect" {
				t.Errorf("consent path = %s, want %s/connect", u.Path, sandboxPath)
			}
			checks := map[string]string{"response_type": "code", "client_id": sandboxClientID,
				"redirect_uri": base + pos.OAuthCallbackPath}
			for k, want := range checks {
				if got := q.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if got := strings.Split(q.Get("scope"), " "); !slices.Equal(got, lssync.Scopes) {
				t.Errorf("scope = %q, want the space-separated %v", q.Get("scope"), lssync.Scopes)
			}
			if len(q.Get("state")) < 8 {
				t.Errorf("state = %q, want an unguessable value", q.Get("state"))
			}
		})

		t.Run("ErrAccessDenied", func(t *testing.T) {
			status, page, _ := browse(t, st.authorizeURL(t)+"&deny=1")
			if status != http.StatusBadRequest || !strings.Contains(page, "did not grant access") {
				t.Errorf("a refused consent ended with %d:\n%s", status, page)
			}
			if m := path(st.integration(t), "connection", "authMethod"); m != "NONE" {
				t.Errorf("after a refused consent authMethod = %v, want NONE", m)
			}
		})

		callback := st.connectOAuth(t)
		connected := st.integration(t)
		stored := st.credentials(t)

		t.Run("OK", func(t *testing.T) {
			if m := path(connected, "connection", "authMethod"); m != "OAUTH" {
				t.Errorf("authMethod = %v, want OAUTH", m)
			}
			if p := path(connected, "connection", "domainPrefix"); p != sandbox.DemoPrefix {
				t.Errorf("domainPrefix = %v, want %s", p, sandbox.DemoPrefix)
			}
			if r := connected["requirements"].([]any); path(r, 0, "met") != true {
				t.Errorf("OAUTH_CONNECTED = %v, want met", r[0])
			}
		})

		t.Run("TokensSealed", func(t *testing.T) {
			if stored.RefreshToken == nil || stored.ExpiresAt == nil {
				t.Fatalf("stored OAuth connection lacks a refresh token or expiry: %+v", stored)
			}
			for name, pair := range map[string]struct{ sealed, prefix string }{
				"access token":  {stored.AccessToken, "lsxs_at_"},
				"refresh token": {*stored.RefreshToken, "lsxs_rt_"},
			} {
				_, body, _ := strings.Cut(pair.sealed, ":") // the key id, then base64
				if _, err := base64.StdEncoding.DecodeString(body); err != nil || strings.Contains(pair.sealed, "lsxs_") {
					t.Errorf("stored %s %q is not sealed", name, pair.sealed)
				}
				plain := openToken(t, pair.sealed)
				if !strings.HasPrefix(plain, pair.prefix) {
					t.Errorf("stored %s opens to %q, want a sandbox token %s…", name, plain, pair.prefix)
				}
				if strings.Contains(s.out.String(), plain) {
					t.Errorf("the server logged the %s", name)
				}
			}
		})

		unchanged := func(t *testing.T) {
			t.Helper()
			if c := st.credentials(t); c.AccessToken != stored.AccessToken || !c.UpdatedAt.Equal(stored.UpdatedAt) {
				t.Errorf("the stored connection changed: %+v, was %+v", c, stored)
			}
			if got := st.integration(t)["connection"]; !equalJSON(got, connected["connection"]) {
				t.Errorf("connection = %v, was %v", got, connected["connection"])
			}
		}

		t.Run("ErrReplayedCallback", func(t *testing.T) {
			status, page, _ := browse(t, callback.String())
			if status != http.StatusBadRequest || !strings.Contains(page, "already used") {
				t.Errorf("a replayed callback answered %d:\n%s", status, page)
			}
			unchanged(t)
		})

		t.Run("ErrForgedState", func(t *testing.T) {
			state := callback.Query().Get("state")
			signed, err := s.tokens.SignState(st.ID, "never-issued", time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			for name, forged := range map[string]string{
				"altered":       state[:len(state)-2] + flip(state[len(state)-2:]),
				"empty":         "",
				"unissuedNonce": signed,
				"unsigned":      "eyJhbGciOiJub25lIn0.e30.",
			} {
				q := callback.Query()
				q.Set("state", forged)
				u := *callback
				u.RawQuery = q.Encode()
				status, page, _ := browse(t, u.String())
				if status != http.StatusBadRequest || !strings.Contains(page, "Start again") {
					t.Errorf("%s state: answered %d:\n%s", name, status, page)
				}
			}
			unchanged(t)
		})

		t.Run("SwitchFromPersonalToken", func(t *testing.T) {
			other := newLightspeedStore(t, s)
			other.connectPersonalToken(t)
			other.connectOAuth(t)
			if m := path(other.integration(t), "connection", "authMethod"); m != "OAUTH" {
				t.Errorf("after switching authMethod = %v, want OAUTH", m)
			}
			c := other.credentials(t)
			if c.AuthMethod != domain.AuthOAuth || c.RefreshToken == nil {
				t.Errorf("stored connection after switching = %+v, want OAuth with a refresh token", c)
			}
			if tok := openToken(t, c.AccessToken); tok == sandbox.DemoPersonalToken || !strings.HasPrefix(tok, "lsxs_at_") {
				t.Errorf("stored access token after switching is %q, want the OAuth token", tok)
			}
		})
	})
}

// flip changes every character of s, keeping it base64url.
func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestMenuSync syncs the demo catalogue, follows products added and deleted
// in Lightspeed, and reports a Lightspeed outage in the sync state.
func TestMenuSync(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s, sb, st := connectedStore(t, db)
		forSale := sb.forSale()

		first := st.syncMenu(t)
		t.Run("OK", func(t *testing.T) {
			if n := int(first["itemCount"].(float64)); n != len(forSale) {
				t.Errorf("itemCount = %d, want the sandbox's %d products for sale", n, len(forSale))
			}
			if first["lastSyncedAt"] == nil || first["lastError"] != nil || first["enabled"] != true {
				t.Errorf("menuSync = %v, want enabled, lastSyncedAt set, lastError null", first)
			}
			menu := st.menu(t)
			for id, p := range forSale {
				item, ok := menu[id]
				if !ok {
					t.Errorf("product %s (%v) is not on the menu", id, p["name"])
					continue
				}
				if item["name"] != p["name"] || item["sku"] != p["sku"] {
					t.Errorf("menu item %v, want the name and SKU of product %v", item, p)
				}
			}
			if len(menu) != len(forSale) {
				t.Errorf("menu has %d items, want %d", len(menu), len(forSale))
			}
		})

		t.Run("FollowsChanges", func(t *testing.T) {
			added := sb.must(http.MethodPost, "/demo/staff/products", "", map[string]any{
				"name": "Leafly Test Kush 3.5g", "sku": "LT-KUSH-35", "price_excluding_tax": 42.5})
			addedID := str(path(added, "data", "id"))
			var deletedID string
			for id := range forSale {
				deletedID = id
				break
			}
			sb.must(http.MethodDelete, "/demo/staff/products/"+deletedID, "", nil)

			got := st.syncMenu(t)
			if n := int(got["itemCount"].(float64)); n != len(forSale) {
				t.Errorf("itemCount after one product added and one deleted = %d, want %d", n, len(forSale))
			}
			menu := st.menu(t)
			if item, ok := menu[addedID]; !ok || item["name"] != "Leafly Test Kush 3.5g" || item["priceCents"] != float64(4250) {
				t.Errorf("added product on the menu = %v (present %t), want Leafly Test Kush 3.5g at 4250", item, ok)
			}
			if item, ok := menu[deletedID]; ok {
				t.Errorf("deleted product %s is still on the menu: %v", deletedID, item)
			}
		})

		t.Run("ErrLightspeedDown", func(t *testing.T) {
			waitForJobs(t, s) // no background sync may change the state read as before
			before, menuBefore := st.integration(t)["menuSync"], st.menu(t)
			sb.must(http.MethodPost, "/control/faults", "", map[string]any{"domain_prefix": sandbox.DemoPrefix, "status": 503, "count": 1000})
			r := s.Do(t, st.Manager, syncMenuMutation, map[string]any{"id": st.ID})
			sb.must(http.MethodDelete, "/control/faults", "", nil)
			if len(r.Errors) > 0 {
				t.Fatalf("syncMenu during an outage answered errors %+v, want the failure in lastError", r.Errors)
			}
			got := path(r.Data, "syncMenu").(map[string]any)
			if got["lastError"] == nil || !strings.Contains(str(got["lastError"]), "Lightspeed") {
				t.Errorf("lastError = %v, want a message about Lightspeed", got["lastError"])
			}
			if got["itemCount"] != path(before, "itemCount") || got["lastSyncedAt"] != path(before, "lastSyncedAt") {
				t.Errorf("menuSync during an outage = %v, want itemCount and lastSyncedAt of %v", got, before)
			}
			if menu := st.menu(t); !equalJSON(menu, menuBefore) {
				t.Errorf("the menu changed during an outage")
			}

			again := st.syncMenu(t)
			if again["lastError"] != nil {
				t.Errorf("lastError after Lightspeed recovered = %v, want null", again["lastError"])
			}
		})
	})
}

// setupOptionsQuery reads the setup form's choices.
const setupOptionsQuery = `query($id: ID!) { lightspeedSetupOptions(storeId: $id) {
	outlets { id name } registers { id name outletId } users { id name } paymentTypes { id name } } }`

const configureMutation = `mutation($input: ConfigureOrderIntegrationInput!) { configureOrderIntegration(input: $input) { ` + integrationFields + ` } }`

// demoSettings is a valid setup of the demo retailer: its first outlet, a
// register of it, its first user and its first enabled payment type.
func demoSettings(t *testing.T, sb lsSandbox) map[string]any {
	t.Helper()
	outlet := str(sb.list("/outlets")[0]["id"])
	var register string
	for _, r := range sb.list("/registers") {
		if str(r["outlet_id"]) == outlet {
			register = str(r["id"])
			break
		}
	}
	var payment string
	for _, p := range sb.list("/payment_types") {
		if p["disabled"] == false {
			payment = str(p["id"])
			break
		}
	}
	return map[string]any{"outletId": outlet, "registerId": register, "userId": str(sb.list("/users")[0]["id"]), "paymentTypeId": payment}
}

// TestSetupForm reads the setup form's choices from Lightspeed and saves
// only choices that fit the Lightspeed account.
func TestSetupForm(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s, sb, st := connectedStore(t, db)

		t.Run("Options", func(t *testing.T) {
			opts := path(s.MustDo(t, st.Manager, setupOptionsQuery, map[string]any{"id": st.ID}), "lightspeedSetupOptions")
			ids := func(list any) []string {
				var out []string
				for _, x := range list.([]any) {
					out = append(out, str(path(x, "id")))
				}
				return out
			}
			want := func(p string, keep func(map[string]any) bool) []string {
				var out []string
				for _, x := range sb.list(p) {
					if keep(x) {
						out = append(out, str(x["id"]))
					}
				}
				return out
			}
			all := func(map[string]any) bool { return true }
			for field, w := range map[string][]string{
				"outlets":      want("/outlets", all),
				"registers":    want("/registers", all),
				"users":        want("/users", all),
				"paymentTypes": want("/payment_types", func(p map[string]any) bool { return p["disabled"] == false }),
			} {
				if got := ids(path(opts, field)); !slices.Equal(got, w) {
					t.Errorf("%s = %v, want %v", field, got, w)
				}
			}
			for _, p := range path(opts, "paymentTypes").([]any) {
				if path(p, "name") == "Credit Card" {
					t.Errorf("the disabled payment type Credit Card is offered: %v", p)
				}
			}
			for _, r := range sb.list("/registers") {
				i := slices.Index(ids(path(opts, "registers")), str(r["id"]))
				if got := path(opts, "registers", i, "outletId"); got != r["outlet_id"] {
					t.Errorf("register %v: outletId = %v, want %v", r["name"], got, r["outlet_id"])
				}
			}
		})

		valid := demoSettings(t, sb)
		var otherRegister, disabledPayment string
		for _, r := range sb.list("/registers") {
			if r["outlet_id"] != valid["outletId"] {
				otherRegister = str(r["id"])
			}
		}
		for _, p := range sb.list("/payment_types") {
			if p["disabled"] == true {
				disabledPayment = str(p["id"])
			}
		}
		if otherRegister == "" || disabledPayment == "" {
			t.Fatal("the demo retailer lacks a second outlet's register or a disabled payment type")
		}

		for _, tc := range []struct {
			name, field, value string
		}{
			{"ErrRegisterOfAnotherOutlet", "registerId", otherRegister},
			{"ErrUnknownOutlet", "outletId", "00000000-0000-0000-0000-000000000000"},
			{"ErrUnknownUser", "userId", "00000000-0000-0000-0000-000000000000"},
			{"ErrDisabledPaymentType", "paymentTypeId", disabledPayment},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := map[string]any{"storeId": st.ID}
				for k, v := range valid {
					in[k] = v
				}
				in[tc.field] = tc.value
				r := s.Do(t, st.Manager, configureMutation, map[string]any{"input": in})
				errorWith(t, r, "BAD_USER_INPUT", tc.field)
				if got := st.integration(t)["settings"]; got != nil {
					t.Errorf("settings after a refused setup = %v, want null", got)
				}
			})
		}

		t.Run("OK", func(t *testing.T) {
			in := map[string]any{"storeId": st.ID}
			for k, v := range valid {
				in[k] = v
			}
			s.MustDo(t, st.Manager, configureMutation, map[string]any{"input": in})
			if got := st.integration(t)["settings"]; !equalJSON(got, valid) {
				t.Errorf("settings read back = %v, want %v", got, valid)
			}
		})
	})
}

const (
	enableMutation  = `mutation($id: ID!) { enableOrderIntegration(storeId: $id) { ` + integrationFields + ` } }`
	disableMutation = `mutation($id: ID!) { disableOrderIntegration(storeId: $id) { ` + integrationFields + ` } }`
)

// TestEnableIntegration enables the order integration once every
// requirement is met, which subscribes the sale webhook and makes the
// dashboard read-only, and disables it again.
func TestEnableIntegration(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		base := publicURL(t, s)
		sb := sandboxOf(t, s)
		st := newLightspeedStore(t, s)
		st.connectPersonalToken(t)
		st.syncMenu(t)

		t.Run("ErrPersonalTokenOnly", func(t *testing.T) {
			r := s.Do(t, st.Manager, enableMutation, map[string]any{"id": st.ID})
			errorWith(t, r, "REQUIREMENTS_NOT_MET")
			got := r.Errors[0].Extensions["requirements"]
			if want := []any{"OAUTH_CONNECTED", "SETTINGS_COMPLETE"}; !equalJSON(got, want) {
				t.Errorf("extensions.requirements = %v, want %v", got, want)
			}
			if e := path(st.integration(t), "enabled"); e != false {
				t.Errorf("enabled = %v after a refusal, want false", e)
			}
		})

		st.connectOAuth(t)
		st.syncMenu(t)
		in := map[string]any{"storeId": st.ID}
		for k, v := range demoSettings(t, sb) {
			in[k] = v
		}
		s.MustDo(t, st.Manager, configureMutation, map[string]any{"input": in})
		waitForJobs(t, s)
		sb.resetCalls()

		got := path(s.MustDo(t, st.Manager, enableMutation, map[string]any{"id": st.ID}), "enableOrderIntegration")
		calls, total := sb.calls()
		t.Logf("enabling took %d Lightspeed calls: %v", total, calls)
		token := openToken(t, st.credentials(t).AccessToken)

		t.Run("OK", func(t *testing.T) {
			if path(got, "enabled") != true || path(got, "dashboardReadOnly") != true {
				t.Errorf("after enabling enabled = %v, dashboardReadOnly = %v, want both true", path(got, "enabled"), path(got, "dashboardReadOnly"))
			}
			if calls["POST /webhooks"] != 1 {
				t.Errorf("enabling made %d POST /webhooks, want 1", calls["POST /webhooks"])
			}
			c := st.credentials(t)
			hooks := sb.api(token, "/webhooks").([]any)
			if len(hooks) != 1 {
				t.Fatalf("the retailer has webhooks %v, want one", hooks)
			}
			h := hooks[0].(map[string]any)
			if want := base + pos.WebhookPath + c.WebhookToken; h["url"] != want || h["type"] != "sale.update" || h["active"] != true {
				t.Errorf("webhook = %v, want an active sale.update to %s", h, want)
			}
			if c.WebhookID == nil || *c.WebhookID != h["id"] {
				t.Errorf("stored webhook id = %v, want %v", c.WebhookID, h["id"])
			}
		})

		t.Run("EnableAgainIsNoOp", func(t *testing.T) {
			again := path(s.MustDo(t, st.Manager, enableMutation, map[string]any{"id": st.ID}), "enableOrderIntegration")
			if path(again, "enabled") != true {
				t.Errorf("enabled = %v, want true", path(again, "enabled"))
			}
			if after, _ := sb.calls(); after["POST /webhooks"] != 1 {
				t.Errorf("enabling twice made %d POST /webhooks, want 1", after["POST /webhooks"])
			}
		})

		items := st.menu(t)
		var item map[string]any
		for _, it := range items {
			item = it
			break
		}
		submit := func(t *testing.T, leaflyID string) string {
			t.Helper()
			data := s.MustDo(t, st.Market, submitOrderMutation, map[string]any{"input": map[string]any{
				"storeId": st.ID, "leaflyOrderId": leaflyID, "fulfillmentMethod": "PICKUP",
				"customer": map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
				"lines":    []any{map[string]any{"menuItemId": item["id"], "quantity": 1, "unitPriceCents": item["priceCents"]}},
			}})
			return str(path(data, "submitOrder", "id"))
		}
		setStatus := `mutation($id: ID!) { setOrderStatus(id: $id, status: READY) { status } }`
		staffCancel := `mutation($id: ID!) { cancelOrder(id: $id, reason: DISPENSARY) { status } }`
		shopperCancel := `mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { status } }`
		kept := submit(t, "ls-e2e-kept")

		t.Run("ErrDashboardReadOnly", func(t *testing.T) {
			id := submit(t, "ls-e2e-readonly")
			errorWith(t, s.Do(t, st.Staff, setStatus, map[string]any{"id": id}), "DASHBOARD_READ_ONLY")
			errorWith(t, s.Do(t, st.Staff, staffCancel, map[string]any{"id": id}), "DASHBOARD_READ_ONLY")
			got := s.MustDo(t, st.Market, shopperCancel, map[string]any{"id": id})
			if status := path(got, "cancelOrder", "status"); status != "CANCELED" {
				t.Errorf("the shopper's cancel left status %v, want CANCELED", status)
			}
		})

		t.Run("Disable", func(t *testing.T) {
			webhookID := *st.credentials(t).WebhookID
			got := path(s.MustDo(t, st.Manager, disableMutation, map[string]any{"id": st.ID}), "disableOrderIntegration")
			if path(got, "enabled") != false || path(got, "dashboardReadOnly") != false {
				t.Errorf("after disabling enabled = %v, dashboardReadOnly = %v, want both false", path(got, "enabled"), path(got, "dashboardReadOnly"))
			}
			calls, _ := sb.calls()
			if calls["DELETE /webhooks/{id}"] != 1 {
				t.Errorf("disabling made %d DELETE /webhooks/{id}, want 1", calls["DELETE /webhooks/{id}"])
			}
			if hooks := sb.api(token, "/webhooks").([]any); len(hooks) != 0 {
				t.Errorf("webhooks after disabling = %v, want none (was %s)", hooks, webhookID)
			}
			if c := st.credentials(t); c.WebhookID != nil {
				t.Errorf("stored webhook id after disabling = %v, want none", *c.WebhookID)
			}
			if status := path(s.MustDo(t, st.Staff, setStatus, map[string]any{"id": kept}), "setOrderStatus", "status"); status != "READY" {
				t.Errorf("setOrderStatus after disabling: status %v, want READY", status)
			}
			if status := path(s.MustDo(t, st.Staff, staffCancel, map[string]any{"id": kept}), "cancelOrder", "status"); status != "CANCELED" {
				t.Errorf("staff cancel after disabling: status %v, want CANCELED", status)
			}
		})

		t.Run("DisableAgainIsNoOp", func(t *testing.T) {
			got := path(s.MustDo(t, st.Manager, disableMutation, map[string]any{"id": st.ID}), "disableOrderIntegration")
			if path(got, "enabled") != false {
				t.Errorf("enabled = %v, want false", path(got, "enabled"))
			}
			if calls, _ := sb.calls(); calls["DELETE /webhooks/{id}"] != 1 {
				t.Errorf("disabling twice made %d DELETE /webhooks/{id}, want 1", calls["DELETE /webhooks/{id}"])
			}
		})
	})
}
