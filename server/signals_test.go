package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/pos"
	"github.com/leafly/lightspeed-orders/sandbox"
)

// The signal families every replica exports, and those only a replica on
// PostgreSQL does (its event listener).
var (
	signalFamilies = []string{"leafly_jobs", "leafly_jobs_oldest_available_seconds", "leafly_orders_pos_sync",
		"leafly_stores_integration_health", "leafly_store_integration_unhealthy", "leafly_notifications_unsent",
		"leafly_notifications_failing", "leafly_notifications_oldest_unsent_seconds", "leafly_database_signals_up",
		"leafly_db_connections", "leafly_db_connections_max", "leafly_db_waits_total", "leafly_db_wait_seconds_total",
		"leafly_lightspeed_budget_limit", "leafly_lightspeed_budget_remaining", "leafly_lightspeed_paused_seconds"}
	postgresFamilies = []string{"leafly_event_listener_connected", "leafly_event_listener_lag_events"}
)

// TestMetricsSignals sends an order through the sandbox, puts another store
// in a partner outage, and checks /metrics counts them, with every signal
// family present and plausible; then that the dashboard and the alerts use
// only series /metrics exposes.
func TestMetricsSignals(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		// Seeded straight into the database, this store's change is in the
		// event log unannounced; the order's announced events come after it.
		down := newFixture(t, s)
		if _, _, err := s.Storage(t).UpdateStore(context.Background(), down.StoreID, func(st *domain.Store) error {
			st.Integration.Health = domain.HealthPartnerOutage
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		st, menu := enabledStore(t, s)
		id := st.shopperOrder(t, "SIG-1", fmt.Sprintf("sig-%d@example.com", time.Now().UnixNano()), anyItems(menu, 1), nil)
		st.waitPos(t, id, "SENT")
		var fams map[string]*dto.MetricFamily
		waitFor(t, "/metrics to count the sent order and the store in outage", 15*time.Second, func() bool {
			fams = scrape(t, s.URL+"/metrics")
			return sample(fams, "leafly_orders_pos_sync", "state", "SENT") >= 1 &&
				sample(fams, "leafly_store_integration_unhealthy", "store", down.StoreID) == 1
		})
		want := signalFamilies
		if db.name == "postgres" {
			want = append(slices.Clone(want), postgresFamilies...)
		}
		for _, name := range want {
			if fams[name] == nil {
				t.Errorf("/metrics has no %s", name)
			}
		}
		if db.name == "sqlite" {
			for _, name := range postgresFamilies {
				if fams[name] != nil {
					t.Errorf("/metrics has %s on the embedded database, which has no listener", name)
				}
			}
		}
		completed := 0.0
		for _, m := range fams["leafly_jobs"].GetMetric() {
			if label(m, "state") == "completed" {
				completed += m.GetGauge().GetValue()
			}
		}
		checks := []struct {
			what string
			got  float64
			ok   func(float64) bool
		}{
			{"completed jobs", completed, func(v float64) bool { return v >= 1 }},
			{"oldest available job (s)", sample(fams, "leafly_jobs_oldest_available_seconds"), func(v float64) bool { return v >= 0 && v < 60 }},
			{"NOT_SENT orders", sample(fams, "leafly_orders_pos_sync", "state", "NOT_SENT"), func(v float64) bool { return v == 0 }},
			{"HEALTHY stores", sample(fams, "leafly_stores_integration_health", "health", "HEALTHY"), func(v float64) bool { return v >= 1 }},
			{"PARTNER_OUTAGE stores", sample(fams, "leafly_stores_integration_health", "health", "PARTNER_OUTAGE"), func(v float64) bool { return v == 1 }},
			{"unsent notifications", sample(fams, "leafly_notifications_unsent"), func(v float64) bool { return v >= 0 }},
			{"database signals up", sample(fams, "leafly_database_signals_up"), func(v float64) bool { return v == 1 }},
			{"pool maximum", sample(fams, "leafly_db_connections_max"), func(v float64) bool { return v >= 1 }},
			{"idle connections", sample(fams, "leafly_db_connections", "state", "idle"), func(v float64) bool { return v >= 0 }},
			{"budget limit", sample(fams, "leafly_lightspeed_budget_limit", "retailer", sandbox.DemoPrefix), func(v float64) bool { return v >= 350 }},
			{"budget remaining", sample(fams, "leafly_lightspeed_budget_remaining", "retailer", sandbox.DemoPrefix), func(v float64) bool {
				return v > 0 && v < sample(fams, "leafly_lightspeed_budget_limit", "retailer", sandbox.DemoPrefix)
			}},
			{"retailer paused (s)", sample(fams, "leafly_lightspeed_paused_seconds", "retailer", sandbox.DemoPrefix), func(v float64) bool { return v == 0 }},
		}
		if db.name == "postgres" {
			checks = append(checks, struct {
				what string
				got  float64
				ok   func(float64) bool
			}{"listener connected", sample(fams, "leafly_event_listener_connected"), func(v float64) bool { return v == 1 }})
		}
		for _, c := range checks {
			if !c.ok(c.got) {
				t.Errorf("%s: %v is implausible", c.what, c.got)
			}
		}
		if db.name == "postgres" {
			waitFor(t, "the listener to hear of every event", 10*time.Second, func() bool {
				return sample(scrape(t, s.URL+"/metrics"), "leafly_event_listener_lag_events") == 0
			})
		}
		checkOperatorFiles(t, fams, db.name == "postgres")
	})
}

// checkOperatorFiles checks every series the Grafana dashboard's queries
// and the alerts' expressions name is one of fams (those of the listener
// only on PostgreSQL), and that every alert says what to do.
func checkOperatorFiles(t *testing.T, fams map[string]*dto.MetricFamily, postgres bool) {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	readJSON(t, "../deploy/grafana/leafly-orders.json", &dash)
	var exprs []string
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	if len(exprs) < 10 {
		t.Errorf("the dashboard has %d queries, want its panels' queries", len(exprs))
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				For         string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	b, err := os.ReadFile("../deploy/prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalWithOptions(b, &rules, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" || r.Labels["severity"] == "" {
				t.Errorf("alert %s needs a severity, a summary and a description", r.Alert)
			}
			exprs = append(exprs, r.Expr)
		}
	}
	series := regexp.MustCompile(`\bleafly_[a-z0-9_]+`)
	for _, e := range exprs {
		for _, name := range series.FindAllString(e, -1) {
			family := name
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && fams[base].GetType() == dto.MetricType_HISTOGRAM {
					family = base
				}
			}
			if fams[family] == nil && (postgres || !slices.Contains(postgresFamilies, family)) {
				t.Errorf("%s in %q is not a series /metrics exposes", name, e)
			}
		}
	}
}

// TestMetricsAddr checks METRICS_ADDR serves /metrics on a listener of its
// own and takes it off the public port.
func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "METRICS_ADDR": "127.0.0.1:0"})
	addr := loggedAddr(t, s, "serving metrics")
	fams := scrape(t, "http://"+addr+"/metrics")
	for _, name := range []string{"leafly_jobs_oldest_available_seconds", "leafly_websocket_connections", "leafly_db_connections"} {
		if fams[name] == nil {
			t.Errorf("the metrics listener has no %s", name)
		}
	}
	public, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	mustStatus(t, public, http.StatusNotFound)
}

// TestAccessLog checks each request gets one JSON access line with its
// method, path (never a webhook's token), status, duration, request id and,
// for GraphQL, the operation; a websocket's when it closes.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "info"})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query?token=secret-in-query",
		strings.NewReader(`{"query":"query WhoIsThere { __typename }","operationName":"WhoIsThere"}`))
	req.Header.Set("Authorization", "Bearer "+s.Token(t, "ADMIN"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "access-graphql")
	mustStatus(t, req, http.StatusOK)
	hook, _ := http.NewRequest(http.MethodPost, s.URL+"/webhooks/lightspeed/secret-webhook-token", strings.NewReader(`{}`))
	hook.Header.Set("X-Request-Id", "access-webhook")
	mustStatus(t, hook, http.StatusNotFound)
	ws := dialWS(t, s, "graphql-transport-ws", s.Token(t, "ADMIN"))
	if m, err := ws.read(); err != nil || m.Type != "connection_ack" {
		t.Fatalf("websocket: %+v, %v; want connection_ack", m, err)
	}
	ws.conn.Close()

	graphQL := accessLine(t, s, func(l map[string]any) bool { return l["request_id"] == "access-graphql" })
	for k, want := range map[string]any{"level": "INFO", "method": "POST", "path": "/query", "status": 200.0, "operation": "WhoIsThere", "operation_type": "query"} {
		if graphQL[k] != want {
			t.Errorf("GraphQL access line: %s = %v, want %v (%v)", k, graphQL[k], want, graphQL)
		}
	}
	if _, ok := graphQL["duration_ms"].(float64); !ok {
		t.Errorf("GraphQL access line without duration_ms: %v", graphQL)
	}
	webhook := accessLine(t, s, func(l map[string]any) bool { return l["request_id"] == "access-webhook" })
	if webhook["status"] != 404.0 || webhook["path"] != "/webhooks/lightspeed/…" {
		t.Errorf("webhook access line %v, want status 404 and the path without its token", webhook)
	}
	socket := accessLine(t, s, func(l map[string]any) bool { return l["status"] == 101.0 })
	if socket["path"] != "/query" || socket["method"] != "GET" || socket["request_id"] == nil {
		t.Errorf("websocket access line %v, want GET /query with a request id", socket)
	}
	if out := s.out.String(); strings.Contains(out, "secret-webhook-token") || strings.Contains(out, "secret-in-query") {
		t.Error("the log holds a webhook token or a query string")
	}
}

// TestAccessLineMatchesLogger wants each access line accessLog builds to be
// the line the JSON logger writes for it, byte for byte, and the lines it
// cannot build to be left to the logger.
func TestAccessLineMatchesLogger(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 21, 30, 5, 123456000, time.UTC)
	gql := &accessNote{operation: "WhoIsThere", operationType: "query"}
	for name, c := range map[string]struct {
		line                     accessRecord
		operation, kind, request string
		plain                    bool
	}{
		"GraphQL":         {accessRecord{"POST", "/query", 200, gql, now.Add(-1500 * time.Millisecond)}, "WhoIsThere", "query", "abc-1", true},
		"Anonymous":       {accessRecord{"POST", "/query", 200, gql, now}, "", "mutation", "abc-1", true},
		"NoOperation":     {accessRecord{"GET", "/console/app.js", 304, &accessNote{}, now.Add(-time.Millisecond)}, "", "", "9f86d081884c7d65", true},
		"Websocket":       {accessRecord{"GET", "/query", 101, &accessNote{}, now.Add(-time.Hour)}, "", "", "abc-2", true},
		"Unanswered":      {accessRecord{"GET", "/healthz", 0, &accessNote{}, now}, "", "", "abc-3", true},
		"Webhook":         {accessRecord{"POST", pos.WebhookPath + "secret-token", 202, &accessNote{}, now}, "", "", "abc-4", true},
		"NoRequestID":     {accessRecord{"POST", "/query", 401, &accessNote{}, now}, "", "", "", true},
		"QuoteInPath":     {accessRecord{"GET", `/a"b\c`, 404, &accessNote{}, now}, "", "", "abc-5", false},
		"Separator":       {accessRecord{"GET", "/caf\u00e9\u2028", 404, &accessNote{}, now}, "", "", "abc-6", false},
		"ControlInPath":   {accessRecord{"GET", "/a\x01", 404, &accessNote{}, now}, "", "", "abc-8", false},
		"InvalidUTF8":     {accessRecord{"GET", "/a\xff", 404, &accessNote{}, now}, "", "", "abc-9", false},
		"NonASCIIPath":    {accessRecord{"GET", "/caf\u00e9", 404, &accessNote{}, now}, "", "", "abc-10", true},
		"WebhookNonASCII": {accessRecord{"POST", pos.WebhookPath + "\u00e9", 404, &accessNote{}, now}, "", "", "abc-7", true},
	} {
		t.Run(name, func(t *testing.T) {
			var want lockedBuffer
			ctx := context.WithValue(context.Background(), requestIDKey{}, c.request)
			level := c.line.level()
			if err := newLogger(&want, slog.LevelDebug).Handler().Handle(ctx, accessRecordOf(now, level, c.line, c.operation, c.kind)); err != nil {
				t.Fatal(err)
			}
			got, plain := appendAccessLine(nil, now, level, c.line, c.operation, c.kind, c.request)
			if plain != c.plain || (plain && string(got) != want.String()) {
				t.Errorf("built %q (%v)\nwant %q (%v)", got, plain, want.String(), c.plain)
			}
		})
	}
}

// scrape reads and parses the metrics at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// sample returns the value of the series of family with the label pairs
// given, -1 when there is none.
func sample(fams map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	for _, m := range fams[family].GetMetric() {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && label(m, labels[i]) == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func mustStatus(t *testing.T, req *http.Request, want int) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d", req.Method, req.URL.Path, resp.StatusCode, want)
	}
}

// loggedAddr returns the addr of the server's first log line with msg.
func loggedAddr(t *testing.T, s *testServer, msg string) string {
	t.Helper()
	return str(serverLogLine(t, s, func(l map[string]any) bool { return l["msg"] == msg })["addr"])
}

// accessLine waits for the server to write an access line match accepts.
func accessLine(t *testing.T, s *testServer, match func(map[string]any) bool) map[string]any {
	t.Helper()
	return serverLogLine(t, s, func(l map[string]any) bool { return l["msg"] == "request" && match(l) })
}

// serverLogLine waits for the server to log a JSON line match accepts.
func serverLogLine(t *testing.T, s *testServer, match func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	waitFor(t, "a log line", 10*time.Second, func() bool {
		sc := bufio.NewScanner(strings.NewReader(s.out.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l map[string]any
			if json.Unmarshal(sc.Bytes(), &l) == nil && match(l) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}
