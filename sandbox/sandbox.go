package sandbox

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Options configures a Sandbox. The zero value works: no OAuth app (only
// personal tokens are accepted), 24 h access tokens, the real clock.
type Options struct {
	// ClientID and ClientSecret are the one OAuth app the sandbox accepts.
	// ClientSecret also signs webhooks (HMAC-SHA256 over the raw body).
	ClientID, ClientSecret string
	// PersonalTokens maps a personal token to the domain prefix it grants
	// admin access to. Personal tokens never expire and cannot be refreshed.
	PersonalTokens map[string]string
	// AccessTokenTTL is the lifetime of OAuth access tokens; 24 h by default.
	AccessTokenTTL time.Duration
	// Now is the clock for token expiry, rate-limit windows and timestamps.
	Now func() time.Time
	// HTTPClient delivers webhooks; by default a client with a 5 s timeout,
	// the time Lightspeed gives a receiver to answer.
	HTTPClient *http.Client
	// WebhookRetryDelays are the waits after each failed delivery attempt
	// (the last one repeats); by default about two days of back-off.
	WebhookRetryDelays []time.Duration
	// Logger receives webhook delivery and control events; discarded by default.
	Logger *slog.Logger
}

// defaultRetryDelays spread the 20 attempts of a webhook delivery over
// about two days, as Lightspeed documents ("up to 20 times over 48 hours").
var defaultRetryDelays = []time.Duration{
	time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, time.Hour, time.Hour,
	2 * time.Hour, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour, 6 * time.Hour,
	6 * time.Hour, 8 * time.Hour, 8 * time.Hour, 8 * time.Hour,
}

// webhookAttempts is how many times one webhook is tried before giving up.
const webhookAttempts = 20

// firstVersion is where the global version counter starts: above the int32
// range, as real versions are, so a client storing them in 32 bits fails here.
const firstVersion = 3_000_000_000

// Sandbox is an in-memory Lightspeed Retail X-Series: an http.Handler serving
// OAuth, the API, staff actions and a control API, and delivering webhooks.
// All state sits behind one mutex.
type Sandbox struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	ctx    context.Context // cancelled by Close: stops deliveries and hung requests
	cancel context.CancelFunc
	wg     sync.WaitGroup // webhook deliveries in flight

	mu            sync.Mutex
	closed        bool
	version       int64                // global change counter, see nextVersion
	retailers     map[string]*retailer // by domain prefix
	prefixes      []string             // domain prefixes in creation order
	codes         map[string]*authCode
	access        map[string]*grant        // OAuth access token → grant
	refresh       map[string]*refreshGrant // refresh token → grant, revoked ones kept
	personal      map[string]string        // personal token → domain prefix
	faults        []*fault
	nextFaultID   int
	hooks         webhookSettings
	tokens        tokenSettings
	nextAddressID int64
	nextFulfilID  int64
}

// New returns an empty sandbox (no retailer; see SeedDemo and AddRetailer).
func New(opts Options) *Sandbox {
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if len(opts.WebhookRetryDelays) == 0 {
		opts.WebhookRetryDelays = defaultRetryDelays
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sandbox{
		opts: opts, log: log, mux: http.NewServeMux(), ctx: ctx, cancel: cancel,
		version:       firstVersion,
		retailers:     map[string]*retailer{},
		codes:         map[string]*authCode{},
		access:        map[string]*grant{},
		refresh:       map[string]*refreshGrant{},
		personal:      map[string]string{},
		hooks:         webhookSettings{Encoding: "hex"},
		nextAddressID: 10_000_000_000_000_001, // above 2^53: float64 decoders lose it
		nextFulfilID:  1_947_700_198_720_344_064,
	}
	for token, prefix := range opts.PersonalTokens {
		s.personal[token] = prefix
	}
	s.routes()
	return s
}

// ServeHTTP serves the sandbox; mount it under any prefix with http.StripPrefix.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close stops webhook deliveries (pending retries are dropped), releases
// requests hung by a timeout fault, and waits for delivery goroutines.
func (s *Sandbox) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// routes registers every route; the patterns are the documentation.
func (s *Sandbox) routes() {
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("GET /connect", s.connect)
	s.mux.HandleFunc("POST /{prefix}/api/1.0/token", s.token)

	s.api("GET /retailer", s.getRetailer, "retailer:read", "payment_types:read")
	s.api("GET /outlets", s.listOutlets, "outlets:read")
	s.api("GET /outlets/{id}", s.getOutlet, "outlets:read")
	s.api("GET /registers", s.listRegisters, "registers:read")
	s.api("GET /registers/{id}", s.getRegister, "registers:read")
	s.api("GET /users", s.listUsers, "users:read")
	s.api("GET /users/{id}", s.getUser, "users:read")
	s.api("GET /payment_types", s.listPaymentTypes, "payment_types:read")
	s.api("GET /taxes", s.listTaxes, "taxes:read")
	s.api("GET /products", s.listProducts, "products:read")
	s.api("GET /products/{id}", s.getProduct, "products:read")
	s.api("GET /search", s.search) // scope depends on type, checked inside
	s.api("GET /customers", s.listCustomers, "customers:read")
	s.api("POST /customers", s.createCustomer, "customers:write")
	s.api("GET /customers/{id}", s.getCustomer, "customers:read")
	s.api("GET /customers/{id}/addresses", s.listAddresses, "customers:read")
	s.api("POST /customers/{id}/addresses", s.createAddress, "customers:write")
	s.api("GET /sales", s.listSales, "sales:read")
	s.api("POST /sales", s.createSale, "sales:write")
	s.api("GET /sales/{id}", s.getSale, "sales:read")
	s.api("PUT /sales/{id}", s.updateSale, "sales:write")
	s.api("GET /fulfillments", s.listFulfillments)
	s.api("POST /fulfillments/fulfill", s.fulfillSale, "sales:write")
	s.api("POST /fulfillments/{id}/{step}", s.fulfillmentStep, "sales:write")
	s.api("GET /webhooks", s.listWebhooks, "webhooks")
	s.api("POST /webhooks", s.createWebhook, "webhooks")
	s.api("GET /webhooks/{id}", s.getWebhook, "webhooks")
	s.api("PUT /webhooks/{id}", s.updateWebhook, "webhooks")
	s.api("DELETE /webhooks/{id}", s.deleteWebhook, "webhooks")
	s.mux.HandleFunc("/{prefix}/api/{version}/{rest...}", s.apiHandler("", nil, nil))

	s.staff("GET /sales", s.staffListSales)
	s.staff("POST /sales/{id}/{action}", s.staffSaleAction)
	s.staff("POST /products", s.staffPutProduct)
	s.staff("DELETE /products/{id}", s.staffDeleteProduct)

	s.mux.HandleFunc("GET /control/faults", s.controlListFaults)
	s.mux.HandleFunc("POST /control/faults", s.controlAddFault)
	s.mux.HandleFunc("DELETE /control/faults", s.controlClearFaults)
	s.mux.HandleFunc("POST /control/rate_limit", s.controlRateLimit)
	s.mux.HandleFunc("POST /control/webhooks", s.controlWebhooks)
	s.mux.HandleFunc("POST /control/tokens", s.controlTokens)
	s.mux.HandleFunc("GET /control/stats", s.controlStats)
	s.mux.HandleFunc("DELETE /control/stats", s.controlResetStats)
}

// now is the sandbox clock in UTC.
func (s *Sandbox) now() time.Time { return s.opts.Now().UTC() }

// nextVersion bumps the global version: every change to any object of any
// retailer takes the next one, so versions are monotonic but not +1 per object.
func (s *Sandbox) nextVersion() int64 {
	s.version++
	return s.version
}

// stamp formats a time the way the API does (RFC 3339, UTC).
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// newID returns a random object id.
func newID() string { return uuid.NewString() }

// idNamespace derives the stable ids of seeded objects.
var idNamespace = uuid.MustParse("8f2d6f57-2f61-4c3e-9d1b-6b1c0b7a51e4")

// stableID returns the same uuid for the same parts on every run, so settings a
// server stored (register, user, product ids) survive a sandbox restart.
func stableID(parts ...string) string {
	return uuid.NewSHA1(idNamespace, []byte(strings.Join(parts, "/"))).String()
}

// isUUID reports whether id looks like a uuid (any version).
func isUUID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}
