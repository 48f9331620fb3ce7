package main

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/storage"
)

// config is everything the service reads from its environment. README.md
// documents each variable.
type config struct {
	HTTPAddr     string
	PublicURL    string
	publicURLSet bool
	DatabaseURL  string
	// DatabaseListenURL is where the connections that LISTEN go (the
	// event listener's and River's): DatabaseURL unless DATABASE_LISTEN_URL
	// names the same database reached without a transaction pooler.
	DatabaseListenURL      string
	DataDir                string
	AuthSecret             []byte
	EncryptionKey          []byte
	LightspeedClientID     string
	LightspeedClientSecret string
	LightspeedConnectURL   string
	LightspeedAPIURL       string
	LightspeedAPIVersion   string
	LightspeedTimeout      time.Duration
	// Sandbox is true when the built-in sandbox stands in for Lightspeed:
	// by default only on the embedded database without a Lightspeed app, as
	// its fault and staff endpoints are unauthenticated and its webhook
	// secret is public.
	Sandbox             bool
	SandboxDemo         bool
	lightspeedURLsSet   bool
	MenuSyncInterval    time.Duration
	JobTimeout          time.Duration
	SMTPURL             string
	NotifyFrom          string
	NotifyWebhookURL    string
	NotifyWebhookSecret string
	ReconcileInterval   time.Duration
	ProbeInterval       time.Duration
	WebhookRetention    time.Duration
	OrderPosDeadline    time.Duration
	// AllowedOrigins are the browser origins that may call the API (CORS)
	// and open websockets; nil until serve defaults it to PUBLIC_URL's
	// origin, once the address PUBLIC_URL defaults to is known.
	AllowedOrigins []string
	Introspection  bool
	// GraphiQL serves the GraphQL IDE at /graphiql.
	GraphiQL        bool
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// ReadTimeout bounds how long a client may take to send a request's
	// headers, and then its body.
	ReadTimeout time.Duration
	DBMaxConns  int
	// DatabaseWait bounds how long a start waits for an unreachable
	// PostgreSQL before it gives up.
	DatabaseWait time.Duration

	// WebsocketMaxSubscriptions caps the live subscriptions of one websocket.
	WebsocketMaxSubscriptions int
	// WebsocketMaxPerSubject caps the open websockets of one token subject.
	WebsocketMaxPerSubject int

	// AuthPrevious are secrets tokens are still accepted with while
	// AUTH_SECRET is rotated (AUTH_SECRET_PREVIOUS); new ones are signed
	// with AuthSecret.
	AuthPrevious [][]byte
	// EncryptionKeyPrevious also opens sealed tokens while ENCRYPTION_KEY
	// is rotated (ENCRYPTION_KEY_PREVIOUS); values are sealed with
	// EncryptionKey.
	EncryptionKeyPrevious []byte

	// MetricsAddr, when set, is where /metrics is served instead of
	// HTTPAddr, so that it need not face the internet.
	MetricsAddr string
	// DebugAddr, when set, is the loopback address net/http/pprof is
	// served at, on a listener of its own.
	DebugAddr string
}

// configError names the variable that stopped the start.
type configError struct {
	name, problem string
}

func (e *configError) Error() string { return "config: " + e.name + ": " + e.problem }

// env reads variables, remembering the first bad one.
type env struct {
	getenv func(string) string
	err    error
}

func (e *env) fail(name, format string, args ...any) {
	if e.err == nil {
		e.err = &configError{name, fmt.Sprintf(format, args...)}
	}
}

func (e *env) str(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(name, "%q is not a positive duration such as 30s or 5m", v)
	}
	return d
}

func (e *env) boolean(name string, def bool) bool {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, "%q is not true or false", v)
	}
	return b
}

func (e *env) integer(name string, def, lo, hi int) int {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
	}
	return n
}

func (e *env) url(name, def string, schemes ...string) string {
	v := e.str(name, def)
	u, err := url.Parse(strings.ReplaceAll(v, "{domain_prefix}", "x"))
	if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
		e.fail(name, "%q is not an absolute %s URL", v, strings.Join(schemes, " or "))
	}
	return strings.TrimRight(v, "/")
}

var apiVersion = regexp.MustCompile(`^\d{4}-\d{2}$|^\d+\.\d+$`)

// useSandbox points the Lightspeed settings at the built-in sandbox served
// under base (unless they were set explicitly) with its own OAuth app.
func (c *config) useSandbox(base string) {
	c.LightspeedClientID, c.LightspeedClientSecret = sandboxClientID, sandboxClientSecret
	if !c.lightspeedURLsSet {
		c.LightspeedAPIURL = base + sandboxPath + "/{domain_prefix}"
		c.LightspeedConnectURL = base + sandboxPath + "/connect"
	}
}

// The built-in sandbox's OAuth app. It signs the sandbox's webhooks, so it
// is no secret: it only ever talks to this process.
const (
	sandboxPath         = "/sandbox"
	sandboxClientID     = "leafly-sandbox"
	sandboxClientSecret = "leafly-sandbox-secret"
)

// loadConfig reads and checks the configuration. Secrets left empty are
// filled by loadSecrets.
func loadConfig(getenv func(string) string) (config, error) {
	e := &env{getenv: getenv}
	c := config{
		HTTPAddr:               e.str("HTTP_ADDR", ":8080"),
		MetricsAddr:            e.str("METRICS_ADDR", ""),
		DebugAddr:              e.str("DEBUG_ADDR", ""),
		PublicURL:              e.url("PUBLIC_URL", "http://localhost:8080", "http", "https"),
		publicURLSet:           e.str("PUBLIC_URL", "") != "",
		DatabaseURL:            e.str("DATABASE_URL", ""),
		DataDir:                e.str("DATA_DIR", "./data"),
		LightspeedClientID:     e.str("LIGHTSPEED_CLIENT_ID", ""),
		LightspeedClientSecret: e.str("LIGHTSPEED_CLIENT_SECRET", ""),
		LightspeedConnectURL:   e.url("LIGHTSPEED_CONNECT_URL", "https://secure.retail.lightspeed.app/connect", "http", "https"),
		LightspeedAPIURL:       e.url("LIGHTSPEED_API_URL", "https://{domain_prefix}.retail.lightspeed.app", "http", "https"),
		LightspeedAPIVersion:   e.str("LIGHTSPEED_API_VERSION", "2026-07"),
		LightspeedTimeout:      e.duration("LIGHTSPEED_TIMEOUT", 15*time.Second),
		ReconcileInterval:      e.duration("LIGHTSPEED_RECONCILE_INTERVAL", time.Minute),
		ProbeInterval:          e.duration("LIGHTSPEED_PROBE_INTERVAL", 15*time.Second),
		WebhookRetention:       e.duration("WEBHOOK_RETENTION", 72*time.Hour),
		MenuSyncInterval:       e.duration("MENU_SYNC_INTERVAL", 15*time.Minute),
		JobTimeout:             e.duration("JOB_TIMEOUT", time.Minute),
		SMTPURL:                e.str("SMTP_URL", ""),
		NotifyFrom:             e.str("NOTIFY_FROM", ""),
		NotifyWebhookURL:       e.str("NOTIFY_WEBHOOK_URL", ""),
		NotifyWebhookSecret:    e.str("NOTIFY_WEBHOOK_SECRET", ""),
		lightspeedURLsSet:      e.str("LIGHTSPEED_API_URL", "") != "" || e.str("LIGHTSPEED_CONNECT_URL", "") != "",
		OrderPosDeadline:       e.duration("ORDER_POS_DEADLINE", 5*time.Minute),
		ShutdownTimeout:        e.duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		ReadTimeout:            e.duration("HTTP_READ_TIMEOUT", 10*time.Second),
		DBMaxConns:             e.integer("DB_MAX_CONNS", storage.DefaultMaxOpenConns, 1, 1000),
		DatabaseWait:           e.duration("DATABASE_WAIT", time.Minute),
	}
	c.Introspection = e.boolean("GRAPHQL_INTROSPECTION", c.DatabaseURL == "")
	c.GraphiQL = e.boolean("GRAPHIQL", c.DatabaseURL == "")
	c.WebsocketMaxSubscriptions = e.integer("WEBSOCKET_MAX_SUBSCRIPTIONS", 100, 1, 10_000)
	c.WebsocketMaxPerSubject = e.integer("WEBSOCKET_MAX_PER_SUBJECT", 50, 1, 100_000)
	checkAddr(e, "HTTP_ADDR", c.HTTPAddr)
	if c.MetricsAddr != "" {
		checkAddr(e, "METRICS_ADDR", c.MetricsAddr)
	}
	if c.DebugAddr != "" {
		checkLoopbackAddr(e, "DEBUG_ADDR", c.DebugAddr)
	}
	checkDatabaseURL(e, "DATABASE_URL", c.DatabaseURL)
	c.DatabaseListenURL = databaseListenURL(e, c.DatabaseURL)
	c.AllowedOrigins = origins(e)
	c.LogLevel = logLevel(e)
	c.AuthSecret = secret(e, "AUTH_SECRET", 32, false)
	c.EncryptionKey = secret(e, "ENCRYPTION_KEY", 32, true)
	if prev := secret(e, "AUTH_SECRET_PREVIOUS", 32, false); prev != nil {
		c.AuthPrevious = [][]byte{prev}
	}
	c.EncryptionKeyPrevious = secret(e, "ENCRYPTION_KEY_PREVIOUS", 32, true)
	if (c.LightspeedClientID == "") != (c.LightspeedClientSecret == "") {
		e.fail("LIGHTSPEED_CLIENT_SECRET", "set both LIGHTSPEED_CLIENT_ID and LIGHTSPEED_CLIENT_SECRET, or neither for the built-in sandbox")
	}
	c.Sandbox = e.boolean("SANDBOX", c.DatabaseURL == "" && c.LightspeedClientID == "")
	if c.Sandbox && c.LightspeedClientID != "" {
		e.fail("SANDBOX", "true serves the built-in Lightspeed sandbox in place of the Lightspeed app: unset it or LIGHTSPEED_CLIENT_ID and LIGHTSPEED_CLIENT_SECRET")
	}
	c.SandboxDemo = e.boolean("SANDBOX_DEMO", c.Sandbox)
	checkNotify(e, c)
	if !apiVersion.MatchString(c.LightspeedAPIVersion) {
		e.fail("LIGHTSPEED_API_VERSION", "%q is not a date version such as 2026-07", c.LightspeedAPIVersion)
	}
	return c, e.err
}

// checkLightspeedApp refuses to serve without Lightspeed: with
// DATABASE_URL (a production start) the sandbox is never on by itself, so a
// missing LIGHTSPEED_CLIENT_ID is a mistake, not a wish for the sandbox.
// `server token` does not call it: minting a token needs no Lightspeed.
func (c config) checkLightspeedApp() error {
	if c.Sandbox || c.LightspeedClientID != "" {
		return nil
	}
	return &configError{"LIGHTSPEED_CLIENT_ID", "required unless SANDBOX=true (never on by itself with DATABASE_URL): set LIGHTSPEED_CLIENT_ID and LIGHTSPEED_CLIENT_SECRET, or SANDBOX=true for the built-in sandbox"}
}

// checkNotify requires the companions of the notification settings.
func checkNotify(e *env, c config) {
	if c.SMTPURL != "" && c.NotifyFrom == "" {
		e.fail("NOTIFY_FROM", "required with SMTP_URL: the address notifications are sent from")
	}
	if c.NotifyWebhookSecret != "" && c.NotifyWebhookURL == "" {
		e.fail("NOTIFY_WEBHOOK_URL", "required with NOTIFY_WEBHOOK_SECRET")
	}
	if c.NotifyWebhookURL != "" && c.NotifyWebhookSecret == "" {
		e.fail("NOTIFY_WEBHOOK_SECRET", "required with NOTIFY_WEBHOOK_URL: notifications are signed with it")
	}
}

func checkAddr(e *env, name, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if _, perr := strconv.Atoi(port); err != nil || perr != nil {
		e.fail(name, "%q is not a listen address such as :8080 or 127.0.0.1:8080", addr)
	}
}

// checkLoopbackAddr refuses a listen address that could be reached from
// another machine: the host must be localhost or a loopback IP.
func checkLoopbackAddr(e *env, name, addr string) {
	checkAddr(e, name, addr)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		e.fail(name, "%q is not a loopback address such as 127.0.0.1:6060 or [::1]:6060: it serves profiles, which must not be reachable from another machine", addr)
	}
}

func checkDatabaseURL(e *env, name, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		e.fail(name, "not a postgres:// URL (leave it empty for the embedded database)")
	}
}

// databaseListenURL reads DATABASE_LISTEN_URL: databaseURL when unset. It
// means nothing on the embedded database, so it is refused there.
func databaseListenURL(e *env, databaseURL string) string {
	v := e.str("DATABASE_LISTEN_URL", "")
	if v == "" {
		return databaseURL
	}
	if databaseURL == "" {
		e.fail("DATABASE_LISTEN_URL", "set without DATABASE_URL: it is the PostgreSQL database's URL for LISTEN, and the embedded database has none")
		return ""
	}
	checkDatabaseURL(e, "DATABASE_LISTEN_URL", v)
	return v
}

// origins reads ALLOWED_ORIGINS: nil when unset, for serve to default.
func origins(e *env) []string {
	v := e.str("ALLOWED_ORIGINS", "")
	if v == "" {
		return nil
	}
	var list []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if u, err := url.Parse(o); o != "*" && (err != nil || u.Host == "" || u.Path != "") {
			e.fail("ALLOWED_ORIGINS", "%q is not an origin such as https://biz.leafly.com (or *)", o)
		}
		list = append(list, o)
	}
	return list
}

// originOf is the origin (scheme://host[:port]) of an absolute URL.
func originOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Scheme + "://" + u.Host
}

func logLevel(e *env) slog.Level {
	var l slog.Level
	v := e.str("LOG_LEVEL", "info")
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.fail("LOG_LEVEL", "%q is not one of debug, info, warn, error", v)
	}
	return l
}

// secret decodes a secret variable: standard base64 when b64 (exactly n
// bytes), otherwise raw text of at least n bytes. Empty stays nil.
func secret(e *env, name string, n int, b64 bool) []byte {
	v := e.str(name, "")
	switch {
	case v == "":
		return nil
	case !b64 && len(v) < n:
		e.fail(name, "too short: use at least %d characters", n)
	case !b64:
		return []byte(v)
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(key) != n {
		e.fail(name, "must be %d bytes, base64-encoded (e.g. openssl rand -base64 %d)", n, n)
	}
	return key
}
