package main

import (
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// httpFront is the service's HTTP server. It serves from the moment the
// service listens: the starting handler while the service waits for its
// database, then the service's own.
type httpFront struct {
	srv     *http.Server
	handler swapHandler
	addr    string
	// served receives Serve's result.
	served chan error
}

// serveFront serves ln with the starting handler.
func serveFront(ln net.Listener, cfg config, log *slog.Logger) *httpFront {
	f := &httpFront{addr: ln.Addr().String(), served: make(chan error, 1)}
	f.handler.set(startingHandler())
	f.srv = &http.Server{Handler: &f.handler, ReadTimeout: cfg.ReadTimeout, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { f.served <- f.srv.Serve(ln) }()
	return f
}

// startingHandler answers while the service waits for its database: alive
// (/healthz 200) but not ready (/readyz 503), and every other path 503 with
// a coded error, so callers and load balancers retry instead of reaching a
// half-built service.
func startingHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "waiting for database"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "5")
		writeGraphQLError(w, http.StatusServiceUnavailable, domain.CodeInternal, "The service is starting: its database is not reachable yet. Retry shortly.")
	})
	return mux
}

// swapHandler serves one handler, then another: the starting handler until
// the service is assembled, then the service's own.
type swapHandler struct{ current atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.current.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.current.Load()).ServeHTTP(w, r)
}
