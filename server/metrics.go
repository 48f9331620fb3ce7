package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leafly/lightspeed-orders/events"
	"github.com/leafly/lightspeed-orders/graph"
	lssync "github.com/leafly/lightspeed-orders/sync"
	"github.com/vektah/gqlparser/v2/ast"
)

// metrics are the service's Prometheus series, on a registry of its own.
type metrics struct {
	reg                *prometheus.Registry
	httpRequests       *prometheus.CounterVec
	opDurations        *prometheus.HistogramVec
	websockets         prometheus.Gauge
	droppedEvents      prometheus.Counter
	listenerReconnects prometheus.Counter
	lightspeedCalls    *prometheus.HistogramVec
	callsPerOrder      prometheus.Histogram
	webhooks           *prometheus.CounterVec
	websocketRefused   *prometheus.CounterVec
	// subscriptions shares each distinct live subscription's execution
	// among its subscribers; it counts towards leafly_subscriptions.
	subscriptions *graph.Multiplexer
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leafly_http_requests_total", Help: "HTTP requests to /query by method and status code.",
		}, []string{"method", "code"}),
		opDurations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leafly_graphql_operation_duration_seconds", Help: "GraphQL operations by type, first root field and outcome.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"type", "field", "outcome"}),
		websockets:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "leafly_websocket_connections", Help: "Open websocket connections."}),
		droppedEvents: prometheus.NewCounter(prometheus.CounterOpts{Name: "leafly_subscription_events_dropped_total", Help: "Subscribers dropped for not keeping up with their events."}),
		listenerReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leafly_event_listener_reconnects_total", Help: "Times the PostgreSQL event listener reconnected and caught up.",
		}),
	}
	m.subscriptions = graph.Multiplex(graph.MultiplexOptions{Buffer: events.DefaultBuffer, OnDrop: m.droppedEvents.Inc})
	m.lightspeedCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "leafly_lightspeed_call_duration_seconds", Help: "Calls to Lightspeed by method, path template and status (0: no answer).",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "path", "status"})
	m.callsPerOrder = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "leafly_lightspeed_calls_per_order", Help: "Lightspeed calls each order sent to the POS took.",
		Buckets: []float64{1, 2, 3, 4, 5, 6, 8, 10},
	})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leafly_lightspeed_webhooks_total", Help: "Webhooks received from Lightspeed by outcome.",
	}, []string{"outcome"})
	m.websocketRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leafly_websocket_refused_total", Help: "Websockets refused over the cap per token subject, and subscriptions over the cap per websocket, by reason.",
	}, []string{"reason"})
	for _, outcome := range []string{"accepted", "ignored", "unknown_connection", "bad_signature", "malformed", "too_large", "too_slow", "error"} {
		m.webhooks.WithLabelValues(outcome) // exported at 0 from the start, for rates and alerts
	}
	m.websocketRefused.WithLabelValues("sockets_per_subject")
	m.websocketRefused.WithLabelValues("subscriptions_per_socket")
	m.reg.MustRegister(m.websocketRefused, m.webhooks, m.callsPerOrder, m.lightspeedCalls, m.httpRequests, m.opDurations, m.websockets, m.droppedEvents, m.listenerReconnects,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchSubscribers exports the live subscription count: the event
// subscriptions read from count, and the subscribers sharing one.
func (m *metrics) watchSubscribers(count func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "leafly_subscriptions", Help: "Live GraphQL subscriptions on this replica.",
	}, func() float64 { return float64(count() + m.subscriptions.Shared()) }))
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// serve serves /metrics on a listener of its own at addr, when addr is
// set (METRICS_ADDR), and returns the function that stops it.
func (m *metrics) serve(addr string, log *slog.Logger) (stop func(), err error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler())
	return serveAside("METRICS_ADDR", "serving metrics", addr, mux, log)
}

// serveAside serves h on a listener of its own at addr, apart from
// HTTP_ADDR, and logs msg with the address; an empty addr serves nothing.
// A listen failure is a config error naming setting.
func serveAside(setting, msg, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", setting, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve "+setting, "err", err)
		}
	}()
	log.Info(msg, "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

func (m *metrics) instrumentHTTP(next http.Handler) http.Handler {
	return promhttp.InstrumentHandlerCounter(m.httpRequests, next)
}

// operations returns a gqlgen extension timing each operation. The label is
// the first root field, a set bounded by the schema (unlike operation names).
func (m *metrics) operations() graphql.HandlerExtension { return operationTimer{m.opDurations} }

type operationTimer struct{ hist *prometheus.HistogramVec }

func (operationTimer) ExtensionName() string                   { return "OperationTimer" }
func (operationTimer) Validate(graphql.ExecutableSchema) error { return nil }

func (t operationTimer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	op := graphql.GetOperationContext(ctx)
	kind, field := "unknown", "unknown"
	if op.Operation != nil {
		kind = string(op.Operation.Operation)
		if len(op.Operation.SelectionSet) > 0 {
			if f, ok := op.Operation.SelectionSet[0].(*ast.Field); ok {
				field = f.Name
			}
		}
	}
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "error"
	}
	t.hist.WithLabelValues(kind, field, outcome).Observe(time.Since(start).Seconds())
	return resp
}

// newLogger returns the JSON logger, adding each record's request id.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := requestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// observeLightspeed records one call to Lightspeed.
func (m *metrics) observeLightspeed(c lssync.Call) {
	m.lightspeedCalls.WithLabelValues(c.Method, c.Path, strconv.Itoa(c.Status)).Observe(c.Duration.Seconds())
}
