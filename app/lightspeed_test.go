package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/app"
	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/events"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
	"github.com/leafly/lightspeed-orders/vault"
)

// Tests of the Lightspeed connection that need a sandbox configured
// differently from the server's built-in one (a large catalogue, short-lived
// tokens): a real App over a real database, talking HTTP to a sandbox.

const (
	clientID     = "leafly-test"
	clientSecret = "leafly-test-secret"
)

// eachDatabase runs test on the embedded database and on PostgreSQL
// (skipped, with a message, when TEST_DATABASE_URL is unset).
func eachDatabase(t *testing.T, test func(t *testing.T, cfg storage.Config)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, storage.Config{DataDir: t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, storage.Config{DatabaseURL: pgtest.NewDatabase(t)})
	})
}

// env is an App wired as the server wires it, with a sandbox behind an
// httptest server.
type env struct {
	app     *app.App
	deps    app.Deps
	db      *storage.DB
	sandbox *sandbox.Sandbox
	url     string // the sandbox's base URL
	ctx     context.Context
}

// newEnv migrates a database for cfg and builds an App that calls a sandbox
// made with opts and served by handler(sandbox) (the sandbox itself when nil).
func newEnv(t *testing.T, cfg storage.Config, opts sandbox.Options, handler func(*sandbox.Sandbox) http.Handler) *env {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), domain.Principal{Subject: "test", Role: domain.RoleAdmin})
	db, err := storage.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, db.SQL(), db.Postgres()); err != nil {
		t.Fatal(err)
	}
	opts.ClientID, opts.ClientSecret = clientID, clientSecret
	sb := sandbox.New(opts)
	var h http.Handler = sb
	if handler != nil {
		h = handler(sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	v, err := vault.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ls := lssync.NewClient(lssync.Config{APIURL: srv.URL + "/{domain_prefix}", ClientID: clientID, ClientSecret: clientSecret,
		Limiter: lssync.NewLimiter(lssync.LimiterOptions{Shared: db})})
	deps := app.Deps{DB: db, Broker: events.NewHub(events.HubOptions{}), Log: slog.New(slog.DiscardHandler),
		POS: pos.Config{Lightspeed: ls, Vault: v, Tokens: auth.NewTokens([]byte("app-test-secret-app-test-secret-!!")),
			PublicURL: "http://orders.leafly.test", ConnectURL: srv.URL + "/connect"}}
	return &env{app: newApp(t, deps), deps: deps, db: db, sandbox: sb, url: srv.URL, ctx: ctx}
}

// newApp builds an App over deps with a queue of its own, as a replica
// does; the queue is not started, so the jobs it is given wait in the
// database.
func newApp(t *testing.T, deps app.Deps) *app.App {
	t.Helper()
	deps.Workers = river.NewWorkers()
	q, err := jobs.New(jobs.Config{DB: deps.DB.SQL(), Postgres: deps.DB.Postgres(), Workers: deps.Workers})
	if err != nil {
		t.Fatal(err)
	}
	deps.Queue = q
	a, err := app.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// createStore creates a store that takes pickup orders.
func (e *env) createStore(t *testing.T) string {
	t.Helper()
	name, tz, yes := "Evergreen", "America/Los_Angeles", true
	s, err := e.app.CreateStore(e.ctx, domain.StoreInput{Name: &name, TimeZone: &tz, PickupEnabled: &yes,
		DeliveryEnabled: &yes, AdvertisingSubscriptionActive: &yes})
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// connectOAuth runs the consent as a browser would up to the callback, and
// completes it.
func (e *env) connectOAuth(t *testing.T, storeID, prefix string) {
	t.Helper()
	consent, err := e.app.StartOAuth(e.ctx, storeID)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := noFollow.Get(consent + "&retailer=" + prefix)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("consent answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := e.app.CompleteOAuth(e.ctx, back.Query()); err != nil {
		t.Fatalf("complete OAuth from %s: %v", back, err)
	}
}

// control sends a request to the sandbox's control API.
func (e *env) control(t *testing.T, method, p string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.url+"/control"+p, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode > 299 {
		t.Fatalf("%s /control%s: %d %v", method, p, resp.StatusCode, out)
	}
	return out
}

// calls returns the retailer's API calls by route, and their total.
func (e *env) calls(t *testing.T, prefix string) (map[string]int, int) {
	t.Helper()
	st := e.control(t, http.MethodGet, "/stats?domain_prefix="+prefix, nil)["data"].(map[string]any)[prefix].(map[string]any)
	routes := map[string]int{}
	for k, v := range st["requests"].(map[string]any) {
		routes[k] = int(v.(float64))
	}
	return routes, int(st["total"].(float64))
}

// TestMenuSyncLargeCatalogue syncs a 10,000-product catalogue and reports
// how long it takes and how many Lightspeed calls it makes.
func TestMenuSyncLargeCatalogue(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a 10,000-product sync is not short")
	}
	const n = 10_000
	eachDatabase(t, func(t *testing.T, cfg storage.Config) {
		e := newEnv(t, cfg, sandbox.Options{PersonalTokens: map[string]string{"lsxs_pt_bulk": "bulk"}}, nil)
		e.sandbox.AddRetailer("bulk")
		ids := e.sandbox.AddProducts("bulk", n)
		storeID := e.createStore(t)
		if _, err := e.app.ConnectPersonalToken(e.ctx, storeID, "bulk", "lsxs_pt_bulk"); err != nil {
			t.Fatal(err)
		}
		e.control(t, http.MethodDelete, "/stats", nil)

		start := time.Now()
		s, err := e.app.SyncMenu(e.ctx, storeID)
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		routes, total := e.calls(t, "bulk")
		t.Logf("a %d-product menu sync took %s and %d Lightspeed calls: %v", n, took.Round(time.Millisecond), total, routes)
		if s.Integration.MenuSync.LastError != nil {
			t.Fatalf("lastError = %q, want none", *s.Integration.MenuSync.LastError)
		}
		if got, err := e.app.MenuItemCount(e.ctx, storeID); err != nil || got != n {
			t.Fatalf("itemCount = %d (%v), want %d", got, err, n)
		}
		page, err := e.db.MenuItems(e.ctx, storeID, domain.Page{First: 2 * n})
		if err != nil {
			t.Fatal(err)
		}
		synced := map[string]bool{}
		for _, it := range page.Items {
			synced[it.PosProductID] = true
		}
		for _, id := range ids {
			if !synced[id] {
				t.Fatalf("product %s is not an active menu item", id)
			}
		}

		e.control(t, http.MethodDelete, "/stats", nil)
		start = time.Now()
		if _, err := e.app.SyncMenu(e.ctx, storeID); err != nil {
			t.Fatal(err)
		}
		routes, total = e.calls(t, "bulk")
		t.Logf("the next sync, nothing changed, took %s and %d Lightspeed calls: %v", time.Since(start).Round(time.Millisecond), total, routes)
		if routes["GET /products"] != 1 {
			t.Errorf("a sync with nothing changed read GET /products %d times, want once", routes["GET /products"])
		}
	})
}

// tokenWatch watches the sandbox's token endpoint: how many requests are in
// it at once, and every refresh token sent and the status it got.
type tokenWatch struct {
	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	refreshes   []string
	statuses    []int
}

func (w *tokenWatch) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/api/1.0/token") {
			next.ServeHTTP(rw, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		w.mu.Lock()
		w.inFlight++
		w.maxInFlight = max(w.maxInFlight, w.inFlight)
		w.mu.Unlock()
		rec := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.inFlight--
		if form.Get("grant_type") == "refresh_token" {
			w.refreshes = append(w.refreshes, form.Get("refresh_token"))
			w.statuses = append(w.statuses, rec.status)
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// TestTokenRefresh uses a store's Lightspeed connection from many
// goroutines while every use must renew its OAuth token (they live less
// than the service renews ahead), then after Lightspeed revoked it.
func TestTokenRefresh(t *testing.T) {
	t.Parallel()
	const workers = 10
	eachDatabase(t, func(t *testing.T, cfg storage.Config) {
		watch := &tokenWatch{}
		e := newEnv(t, cfg, sandbox.Options{AccessTokenTTL: 2 * time.Minute}, func(sb *sandbox.Sandbox) http.Handler { return watch.wrap(sb) })
		prefix := e.sandbox.SeedDemo()
		storeID := e.createStore(t)
		e.connectOAuth(t, storeID, prefix)
		// Slow the token endpoint down so that overlapping refreshes, were
		// there any, would be in it at the same time.
		e.control(t, http.MethodPost, "/faults", map[string]any{"domain_prefix": prefix, "path": "/token", "latency_ms": 20})

		t.Run("Concurrent", func(t *testing.T) {
			errs := concurrently(workers, func(i int) error {
				if i%2 == 0 {
					_, err := e.app.SetupOptions(e.ctx, storeID)
					return err
				}
				return syncMenu(e.ctx, e.app, storeID)
			})
			for _, err := range errs {
				if err != nil {
					t.Errorf("a concurrent Lightspeed operation failed: %v", err)
				}
			}
			watch.mu.Lock()
			defer watch.mu.Unlock()
			t.Logf("%d operations made %d refreshes; at most %d token request(s) at once", workers, len(watch.refreshes), watch.maxInFlight)
			// Concurrent setup option loads share one read (they are cached).
			if want := workers/2 + 1; len(watch.refreshes) < want {
				t.Errorf("%d refreshes for %d operations reading Lightspeed with a token always due for renewal, want one each", len(watch.refreshes), want)
			}
			if watch.maxInFlight != 1 {
				t.Errorf("up to %d token requests at once, want refreshes one at a time", watch.maxInFlight)
			}
			seen := map[string]bool{}
			for i, rt := range watch.refreshes {
				if seen[rt] {
					t.Errorf("refresh %d sent a refresh token an earlier refresh had already used", i)
				}
				if watch.statuses[i] != http.StatusOK {
					t.Errorf("refresh %d answered %d, want 200", i, watch.statuses[i])
				}
				seen[rt] = true
			}
		})

		t.Run("ErrRevoked", func(t *testing.T) {
			// A store whose setup options are not cached reads Lightspeed.
			uncached := e.createStore(t)
			e.connectOAuth(t, uncached, prefix)
			e.control(t, http.MethodPost, "/faults", map[string]any{"domain_prefix": prefix, "revoke": true})
			_, err := e.app.SetupOptions(e.ctx, uncached)
			if domain.ErrorCode(err) != domain.CodeLightspeedUnavailable || !strings.Contains(err.Error(), "reconnect") {
				t.Fatalf("SetupOptions with revoked tokens: %v, want LIGHTSPEED_UNAVAILABLE asking to reconnect", err)
			}
			s, err := e.app.SyncMenu(e.ctx, storeID)
			if err != nil {
				t.Fatal(err)
			}
			if m := s.Integration.MenuSync.LastError; m == nil || !strings.Contains(*m, "reconnect") {
				t.Errorf("menu sync lastError with revoked tokens = %v, want a message asking to reconnect", m)
			}
			if !slices.Contains(watch.statuses, http.StatusBadRequest) {
				t.Errorf("no refresh was refused after the revocation: statuses %v", watch.statuses)
			}
		})
	})
}

// TestRevokedTokenRenewedAcrossReplicas: Lightspeed revokes a store's
// access token early; two replicas (two Apps sharing only the database)
// read Lightspeed for it at once. One refresh renews it, every read goes
// through, and no refresh token is presented twice.
func TestRevokedTokenRenewedAcrossReplicas(t *testing.T) {
	t.Parallel()
	const workers = 8
	eachDatabase(t, func(t *testing.T, cfg storage.Config) {
		watch := &tokenWatch{}
		e := newEnv(t, cfg, sandbox.Options{}, func(sb *sandbox.Sandbox) http.Handler { return watch.wrap(sb) })
		prefix := e.sandbox.SeedDemo()
		storeID := e.createStore(t)
		e.connectOAuth(t, storeID, prefix)
		replicas := []*app.App{e.app, newApp(t, e.deps)}
		e.control(t, http.MethodPost, "/faults", map[string]any{"domain_prefix": prefix, "path": "/token", "latency_ms": 50})
		e.control(t, http.MethodPost, "/tokens", map[string]any{"domain_prefix": prefix, "revoke_access": true})

		errs := concurrently(workers, func(i int) error { return syncMenu(e.ctx, replicas[i%2], storeID) })
		for _, err := range errs {
			if err != nil {
				t.Errorf("a read with a revoked token failed: %v", err)
			}
		}
		watch.mu.Lock()
		defer watch.mu.Unlock()
		if len(watch.refreshes) != 1 || watch.maxInFlight != 1 {
			t.Errorf("%d refreshes, up to %d at once; want one", len(watch.refreshes), watch.maxInFlight)
		}
		if n := int(e.control(t, http.MethodGet, "/stats?domain_prefix="+prefix, nil)["data"].(map[string]any)[prefix].(map[string]any)["refresh_replays"].(float64)); n != 0 {
			t.Errorf("%d refresh tokens presented again after a refresh used them, want none", n)
		}
	})
}

// concurrently runs op(0) to op(n-1) at once and returns their errors.
func concurrently(n int, op func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = op(i) })
	}
	wg.Wait()
	return errs
}

// syncMenu syncs the store's menu through a and returns the error, a failure
// the sync recorded in the store's state included.
func syncMenu(ctx context.Context, a *app.App, storeID string) error {
	s, err := a.SyncMenu(ctx, storeID)
	if err == nil && s.Integration.MenuSync.LastError != nil {
		err = &domain.Error{Code: domain.CodeInternal, Message: "menu sync: " + *s.Integration.MenuSync.LastError}
	}
	return err
}
