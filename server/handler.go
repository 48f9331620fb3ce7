package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	gqlhandler "github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/app"
	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/console"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/gqlws"
	"github.com/leafly/lightspeed-orders/graph"
	"github.com/leafly/lightspeed-orders/graphiql"
	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
	"github.com/leafly/lightspeed-orders/storage"
)

// Limits on what one request may ask of the service.
const (
	maxBodyBytes    = 1 << 20
	maxComplexity   = 5000
	maxDepth        = 12
	maxParserTokens = 15_000
)

// server is the service's HTTP surface.
type server struct {
	mux *http.ServeMux
	// root is mux under the request id and the access log, with websocket
	// upgrades detached from the HTTP server's goroutine (gqlws.Detach).
	root http.Handler
	ws   *gqlws.Implementation
	// endStreams ends every server-sent event stream.
	endStreams context.CancelFunc
}

func (h *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// closeSubscriptions ends every websocket with a "going away" close frame
// and every server-sent event stream with its complete event, so that
// shutting down waits for no subscription and clients reconnect elsewhere.
func (h *server) closeSubscriptions() {
	h.ws.CloseAll(websocket.CloseGoingAway, "server shutting down")
	h.endStreams()
}

func newHandler(cfg config, a *app.App, db *storage.DB, tokens *auth.Tokens, sb *sandbox.Sandbox, m *metrics, log *slog.Logger, access *accessLog) *server {
	ws := gqlws.New(gqlws.Options{AllowedOrigins: cfg.AllowedOrigins, OnOpen: m.websockets.Inc, OnClose: m.websockets.Dec})
	streams, endStreams := context.WithCancel(context.Background())
	h := &server{mux: http.NewServeMux(), ws: ws, endStreams: endStreams}
	sk := newSockets(cfg, m)
	graphQL := gqlws.Scope(newGraphQL(cfg, a, ws, streams, tokens, sk, m, log))
	query := newCORSPolicy(cfg.AllowedOrigins).wrap(authenticate(tokens, checkTransport(ws, readBody(cfg.ReadTimeout, graphQL))))
	h.mux.Handle("/query", m.instrumentHTTP(query))
	if cfg.GraphiQL {
		ide := http.StripPrefix("/graphiql", graphiql.Handler())
		h.mux.Handle("GET /graphiql", ide)
		h.mux.Handle("GET /graphiql/{file}", ide)
	}
	h.mux.HandleFunc("GET /healthz", healthz)
	h.mux.HandleFunc("GET /readyz", readyz(db))
	if cfg.MetricsAddr == "" {
		h.mux.Handle("GET /metrics", m.handler())
	}
	h.mux.Handle("GET "+pos.OAuthCallbackPath, oauthCallback(a, log))
	h.mux.Handle("POST "+pos.WebhookPath+"{token}", webhookReceiver(a, m, log))
	if sb != nil {
		h.mux.Handle(sandboxPath+"/", http.StripPrefix(sandboxPath, sb))
	}
	biz := console.Handler(consoleOptions(cfg, db, tokens, sb != nil))
	h.mux.Handle("GET /{$}", biz)
	h.mux.Handle("/console/", biz)
	h.root = gqlws.Detach(withRequestID(access, h.mux))
	return h
}

// consoleOptions is what the console offers: one-click sign-in only on the
// embedded default (SQLite with the sandbox standing in for Lightspeed),
// since a start that serves real retailers has no business handing out
// tokens to whoever reaches it; the sandbox's staff panel whenever the
// sandbox is served.
func consoleOptions(cfg config, db *storage.DB, tokens *auth.Tokens, sandboxServed bool) console.Options {
	o := console.Options{Sandbox: sandboxServed}
	if sandboxServed && cfg.SandboxDemo {
		o.DemoStore = demoStoreID
	}
	if sandboxServed && !db.Postgres() {
		o.SignIn = func(role domain.Role) (string, error) {
			p := domain.Principal{Subject: "console-" + strings.ToLower(string(role)), Role: role}
			if role != domain.RoleAdmin {
				p.Stores = []string{demoStoreID}
			}
			return tokens.Mint(p, 12*time.Hour, time.Now())
		}
	}
	return o
}

// newGraphQL assembles gqlgen's server with explicit transports and limits.
func newGraphQL(cfg config, a *app.App, ws *gqlws.Implementation, streams context.Context, tokens *auth.Tokens, sk *sockets, m *metrics, log *slog.Logger) *gqlhandler.Server {
	srv := gqlhandler.New(graph.NewExecutableSchema(graph.NewConfig(&graph.Resolver{App: a, Log: log})))
	srv.AddTransport(gqlws.Transport{
		Implementation:        ws,
		InitFunc:              websocketInit(tokens, sk),
		InitTimeout:           5 * time.Second,
		KeepAlivePingInterval: 25 * time.Second,
		PayloadReadLimit:      64 << 10,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(sseTransport{streams: streams})
	srv.AddTransport(postTransport{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(maxParserTokens)
	present := graph.ErrorPresenter(log, requestID)
	if !cfg.Introspection {
		present = graph.WithoutSuggestions(present)
	}
	srv.SetErrorPresenter(present)
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", requestID(ctx), "panic", v)
		return domain.Errorf(domain.CodeInternal, "Internal error; quote request id %s to support.", requestID(ctx))
	})
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(graph.RefuseIntrospection())
		srv.SetDisableSuggestion(true)
	}
	srv.Use(graph.NoNULs())
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(extension.FixedComplexityLimit(maxComplexity))
	srv.Use(graph.DepthLimit(maxDepth))
	srv.Use(graph.FieldAccess())
	srv.Use(m.operations())
	srv.Use(operationNames{})
	srv.Use(sk)
	srv.Use(m.subscriptions)
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(app.WithRequestCache(ctx))
	})
	return srv
}

// websocketInit authenticates a websocket from its connection_init payload;
// a missing or bad token closes the socket with 4403 and a reason, one
// more socket than its subject may hold with 1008. An accepted socket is
// closed with 4403 when its token expires.
func websocketInit(tokens *auth.Tokens, sk *sockets) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := payload.Authorization()
		if token == "" {
			token, _ = payload["authorization"].(string)
		}
		p, err := tokens.Verify(token)
		if err != nil {
			return ctx, nil, &gqlws.CloseError{Code: closeForbidden, Reason: "Forbidden: a valid bearer token is required in connection_init", Err: err}
		}
		if err := sk.admit(ctx, p); err != nil {
			code, reason := websocket.CloseInternalServerErr, "Internal error"
			if err == sk.tooMany {
				code, reason = closeTooManySockets, fmt.Sprintf("Too many websockets: at most %d per token subject", sk.perSubject)
			}
			return ctx, nil, &gqlws.CloseError{Code: code, Reason: reason, Err: err}
		}
		return withSubscriptionCount(auth.WithPrincipal(ctx, p)), nil, nil
	}
}

// authenticate requires a valid bearer token on HTTP requests, and ends an
// SSE stream when it expires. Websockets authenticate in connection_init
// instead.
func authenticate(tokens *auth.Tokens, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		p, err := tokens.Verify(r.Header.Get("Authorization"))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leafly-orders"`)
			writeGraphQLError(w, http.StatusUnauthorized, domain.CodeUnauthenticated, "A valid bearer token is required in the Authorization header.")
			return
		}
		r, cancel := streamUntilExpiry(r.WithContext(auth.WithPrincipal(r.Context(), p)), p)
		defer cancel()
		next.ServeHTTP(w, r)
	})
}

type requestIDKey struct{}

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives each request an id (the caller's X-Request-Id when it
// is sane), echoes it in the response and writes the request's access line
// with it (see accessLog): a websocket's once it closes (gqlws.Finally).
func withRequestID(access *accessLog, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !safeRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		start := time.Now()
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		note := &accessNote{}
		if r.Header.Get("Upgrade") == "" {
			ctx = context.WithValue(ctx, accessNoteKey{}, note)
		}
		aw := &accessWriter{ResponseWriter: w}
		next.ServeHTTP(aw, r.WithContext(ctx))
		line := accessRecord{method: r.Method, path: r.URL.Path, status: aw.status, note: note, start: start}
		gqlws.Finally(ctx, func() { access.write(ctx, line) })
	})
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// healthz answers while the process runs, database or not.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]string{"status": "ok"})
}

func readyz(db *storage.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		if ok, err := db.Migrated(ctx); err != nil || !ok {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "migrations not applied"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

func writeGraphQLError(w http.ResponseWriter, status int, code domain.Code, message string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": message, "extensions": map[string]string{"code": string(code)}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
