package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/events"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// signalsTTL is how long one reading of the database's signals serves
// scrapes: however many Prometheus servers scrape however often, the
// grouped queries behind them run at most once per signalsTTL per replica.
const signalsTTL = 5 * time.Second

// signalsTimeout bounds one reading of the database's signals.
const signalsTimeout = 5 * time.Second

func gaugeDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	jobsDesc          = gaugeDesc("leafly_jobs", "Jobs in River's table by kind and state (available, scheduled, running, retryable, completed, cancelled, discarded).", "kind", "state")
	oldestJobDesc     = gaugeDesc("leafly_jobs_oldest_available_seconds", "How long the oldest job due to run (available, or scheduled or retryable past its time) has waited since it was due; 0 when none waits.")
	ordersDesc        = gaugeDesc("leafly_orders_pos_sync", "Orders by posSync.state.", "state")
	storesDesc        = gaugeDesc("leafly_stores_integration_health", "Stores by integration health.", "health")
	unhealthyDesc     = gaugeDesc("leafly_store_integration_unhealthy", "1 for each store whose integration is not HEALTHY, with its health (only unhealthy stores have a series).", "store", "health")
	unsentDesc        = gaugeDesc("leafly_notifications_unsent", "Notifications in the outbox not sent yet.")
	failingDesc       = gaugeDesc("leafly_notifications_failing", "Unsent notifications whose last attempt failed.")
	oldestUnsentDesc  = gaugeDesc("leafly_notifications_oldest_unsent_seconds", "Age of the oldest unsent notification; 0 when none waits.")
	signalsUpDesc     = gaugeDesc("leafly_database_signals_up", "1 when the last reading of the database's signals (jobs, orders, stores, outbox) succeeded, else 0.")
	connectionsDesc   = gaugeDesc("leafly_db_connections", "Database pool connections by state (in_use, idle).", "state")
	maxConnsDesc      = gaugeDesc("leafly_db_connections_max", "The database pool's maximum open connections (0: unlimited).")
	waitsDesc         = prometheus.NewDesc("leafly_db_waits_total", "Times a query waited for a free database connection.", nil, nil)
	waitSecondsDesc   = prometheus.NewDesc("leafly_db_wait_seconds_total", "Time spent waiting for a free database connection.", nil, nil)
	budgetLimitDesc   = gaugeDesc("leafly_lightspeed_budget_limit", "A retailer's Lightspeed request budget per 5-minute window, for each retailer this replica has called.", "retailer")
	budgetLeftDesc    = gaugeDesc("leafly_lightspeed_budget_remaining", "What Lightspeed last said is left of a retailer's window (X-RateLimit-Remaining), or the whole budget when it said nothing within one window.", "retailer")
	budgetPausedDesc  = gaugeDesc("leafly_lightspeed_paused_seconds", "How long this replica still holds back calls to a retailer that Lightspeed told to stop; 0 when not paused.", "retailer")
	listenerUpDesc    = gaugeDesc("leafly_event_listener_connected", "1 while the PostgreSQL event listener is listening and caught up, else 0.")
	listenerLagDesc   = gaugeDesc("leafly_event_listener_lag_events", "Events committed to the log that the listener has not heard of yet.")
	posStates         = []domain.PosSyncState{domain.PosNotApplicable, domain.PosQueued, domain.PosSent, domain.PosNotSent}
	integrationHealth = []domain.IntegrationHealth{domain.HealthHealthy, domain.HealthPartnerOutage, domain.HealthCredentialsInvalid}
)

// watchDatabase exports the database's signals, read at scrape time and
// cached for signalsTTL, and its connection pool's.
func (m *metrics) watchDatabase(db *storage.DB, log *slog.Logger) {
	m.reg.MustRegister(&databaseSignals{db: db, log: log})
}

// watchBudgets exports each retailer's Lightspeed budget. A gauge per
// retailer this replica has called: thousands of stores make thousands of
// series, which Prometheus holds easily.
func (m *metrics) watchBudgets(budgets func() []lssync.Budget) {
	m.reg.MustRegister(budgetCollector(budgets))
}

// watchListener exports the PostgreSQL event listener's state and lag
// behind the event log.
func (m *metrics) watchListener(pg *events.Postgres, db *storage.DB) {
	m.reg.MustRegister(&listenerCollector{pg: pg, db: db})
}

// databaseSignals collects the jobs, orders, stores and outbox counts.
type databaseSignals struct {
	db  *storage.DB
	log *slog.Logger

	mu      sync.Mutex
	readAt  time.Time
	ok      bool
	jobs    jobs.Stats
	signals storage.Signals
}

func (c *databaseSignals) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsDesc, oldestJobDesc, ordersDesc, storesDesc, unhealthyDesc, unsentDesc, failingDesc,
		oldestUnsentDesc, signalsUpDesc, connectionsDesc, maxConnsDesc, waitsDesc, waitSecondsDesc} {
		ch <- d
	}
}

func (c *databaseSignals) Collect(ch chan<- prometheus.Metric) {
	st := c.db.SQL().Stats()
	ch <- prometheus.MustNewConstMetric(connectionsDesc, prometheus.GaugeValue, float64(st.InUse), "in_use")
	ch <- prometheus.MustNewConstMetric(connectionsDesc, prometheus.GaugeValue, float64(st.Idle), "idle")
	ch <- prometheus.MustNewConstMetric(maxConnsDesc, prometheus.GaugeValue, float64(st.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(waitsDesc, prometheus.CounterValue, float64(st.WaitCount))
	ch <- prometheus.MustNewConstMetric(waitSecondsDesc, prometheus.CounterValue, st.WaitDuration.Seconds())

	c.mu.Lock()
	defer c.mu.Unlock()
	c.refresh()
	ch <- prometheus.MustNewConstMetric(signalsUpDesc, prometheus.GaugeValue, boolGauge(c.ok))
	if !c.ok {
		return
	}
	for _, jc := range c.jobs.Counts {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(jc.Jobs), jc.Kind, jc.State)
	}
	ch <- prometheus.MustNewConstMetric(oldestJobDesc, prometheus.GaugeValue, c.jobs.OldestAvailableSeconds)
	s := c.signals
	for _, state := range posStates {
		ch <- prometheus.MustNewConstMetric(ordersDesc, prometheus.GaugeValue, float64(s.OrdersByPosState[string(state)]), string(state))
	}
	for _, h := range integrationHealth {
		ch <- prometheus.MustNewConstMetric(storesDesc, prometheus.GaugeValue, float64(s.StoresByHealth[string(h)]), string(h))
	}
	for store, h := range s.Unhealthy {
		ch <- prometheus.MustNewConstMetric(unhealthyDesc, prometheus.GaugeValue, 1, store, h)
	}
	ch <- prometheus.MustNewConstMetric(unsentDesc, prometheus.GaugeValue, float64(s.NotificationsUnsent))
	ch <- prometheus.MustNewConstMetric(failingDesc, prometheus.GaugeValue, float64(s.NotificationsFailing))
	oldest := 0.0
	if !s.OldestUnsent.IsZero() {
		oldest = max(time.Since(s.OldestUnsent).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(oldestUnsentDesc, prometheus.GaugeValue, oldest)
}

// refresh reads the signals again when the last reading is older than
// signalsTTL. A failed reading is logged and exported as
// leafly_database_signals_up 0. c.mu must be held.
func (c *databaseSignals) refresh() {
	if !c.readAt.IsZero() && time.Since(c.readAt) < signalsTTL {
		return
	}
	c.readAt = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), signalsTimeout)
	defer cancel()
	js, err := jobs.ReadStats(ctx, c.db.SQL(), c.db.Postgres())
	if err == nil {
		c.signals, err = c.db.ReadSignals(ctx)
	}
	c.jobs, c.ok = js, err == nil
	if err != nil {
		c.log.Warn("read signals for /metrics", "err", err)
	}
}

// budgetCollector collects each retailer's Lightspeed budget.
type budgetCollector func() []lssync.Budget

func (budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- budgetLimitDesc
	ch <- budgetLeftDesc
	ch <- budgetPausedDesc
}

func (budgets budgetCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range budgets() {
		ch <- prometheus.MustNewConstMetric(budgetLimitDesc, prometheus.GaugeValue, b.Limit, b.Prefix)
		ch <- prometheus.MustNewConstMetric(budgetLeftDesc, prometheus.GaugeValue, b.Remaining, b.Prefix)
		ch <- prometheus.MustNewConstMetric(budgetPausedDesc, prometheus.GaugeValue, b.PausedFor.Seconds(), b.Prefix)
	}
}

// listenerCollector collects the event listener's state; its lag is the
// latest seq of the log (one indexed read per scrape) less the highest
// seq the listener heard of.
type listenerCollector struct {
	pg *events.Postgres
	db *storage.DB
}

func (*listenerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- listenerUpDesc
	ch <- listenerLagDesc
}

func (c *listenerCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(listenerUpDesc, prometheus.GaugeValue, boolGauge(c.pg.Listening()))
	ctx, cancel := context.WithTimeout(context.Background(), signalsTimeout)
	defer cancel()
	heard := c.pg.Heard()
	latest, err := c.db.LatestSeq(ctx)
	if err != nil {
		return // leafly_database_signals_up tells of the database's trouble
	}
	ch <- prometheus.MustNewConstMetric(listenerLagDesc, prometheus.GaugeValue, float64(max(latest-heard, 0)))
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
