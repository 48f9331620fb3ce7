package pos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	lssync "github.com/leafly/lightspeed-orders/sync"
	"github.com/leafly/lightspeed-orders/vault"
)

// When Lightspeed fails: each store's health, one alert per incident, the
// dashboard fallback for orders that cannot reach the POS, and recovery.

// outageAfter is how many failed calls in a row make a partner outage: a
// single blip is not one.
const outageAfter = 3

// unreadableMessage is the alert of stored credentials no key opens, in the
// spirit of Leafly's own wording (the alerts of Lightspeed's failures are in
// the failure table).
const unreadableMessage = "The stored Lightspeed credentials cannot be read, so Leafly cannot send orders to your POS system. The store must reconnect Lightspeed from Leafly Biz; until then, manage orders from the Leafly Order Dashboard."

// health counts each store's failed calls in a row, in this process.
type health struct {
	mu       sync.Mutex
	failures map[string]int
	degraded map[string]bool
}

func (h *health) record(storeID string, failed bool) (failures int, wasDegraded bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures == nil {
		h.failures, h.degraded = map[string]int{}, map[string]bool{}
	}
	if failed {
		h.failures[storeID]++
	} else {
		h.failures[storeID] = 0
	}
	return h.failures[storeID], h.degraded[storeID]
}

func (h *health) mark(storeID string, degraded bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.degraded == nil {
		h.failures, h.degraded = map[string]int{}, map[string]bool{}
	}
	h.degraded[storeID] = degraded
}

// observe learns the store's health from the outcome of a Lightspeed call
// made for it: outages after several failures in a row, credential issues
// at once, recovery from an outage on the first success. Rate limiting
// changes nothing.
func (p *Pipeline) observe(ctx context.Context, storeID string, err error) {
	if err == nil {
		if _, degraded := p.health.record(storeID, false); degraded {
			p.recover(ctx, storeID, domain.HealthPartnerOutage)
		}
		return
	}
	switch f := failureOf(err); f.health {
	case domain.HealthPartnerOutage:
		if n, _ := p.health.record(storeID, true); n >= outageAfter {
			p.degrade(ctx, storeID, f.health, f.alert)
		}
	case domain.HealthCredentialsInvalid:
		p.degrade(ctx, storeID, f.health, f.alert)
	}
}

// degrade marks the store's integration unhealthy and, on the change,
// raises one alert for the incident, saying msg.
func (p *Pipeline) degrade(ctx context.Context, storeID string, h domain.IntegrationHealth, msg string) {
	defer p.healthLocks.lock(storeID)()
	changed := false
	_, err := p.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		if s.Integration.Health == h || s.Integration.Health == domain.HealthCredentialsInvalid {
			return nil
		}
		s.Integration.Health, changed = h, true
		return nil
	})
	if err != nil {
		p.log.ErrorContext(ctx, "record integration health", "store", storeID, "err", err)
		return
	}
	p.health.mark(storeID, true)
	if !changed {
		return
	}
	p.log.WarnContext(ctx, "lightspeed integration degraded", "store", storeID, "health", h)
	kind := domain.AlertPartnerOutage
	if h == domain.HealthCredentialsInvalid {
		kind = domain.AlertCredentialsInvalid
	}
	p.raise(ctx, storeID, kind, msg, nil)
}

// unreadable turns a stored token no key opens (vault.ErrCorrupt in err)
// into a credential issue: the store turns CREDENTIALS_INVALID with one
// alert, its periodic jobs stop calling, and it recovers when it
// reconnects, as retrying cannot help. Other errors are returned as they are.
func (p *Pipeline) unreadable(ctx context.Context, storeID string, err error) error {
	if !errors.Is(err, vault.ErrCorrupt) {
		return err
	}
	p.degrade(ctx, storeID, domain.HealthCredentialsInvalid, unreadableMessage)
	return &lssync.Error{Kind: lssync.KindCredential, Op: "open stored credentials", Message: "the stored credentials cannot be read: reconnect the store", Err: err}
}

// cancelUnreadable ends a job that failed on stored credentials no key
// opens rather than retrying it: only reconnecting helps, and reconnecting
// syncs the menu and reads the sales feed again.
func cancelUnreadable(err error) error {
	if errors.Is(err, vault.ErrCorrupt) {
		return river.JobCancel(err)
	}
	return err
}

// raise records an alert (one per incident) and tells subscribers.
func (p *Pipeline) raise(ctx context.Context, storeID string, kind domain.AlertKind, msg string, orderID *string) {
	alert := &domain.Alert{ID: newID(), StoreID: storeID, Kind: kind, Message: msg, RaisedAt: p.now()}
	if err := p.w.RaiseAlert(ctx, alert, orderID); err != nil {
		p.log.ErrorContext(ctx, "raise alert", "store", storeID, "kind", kind, "err", err)
	}
}

// recover marks the store healthy again after the given kind of problem:
// its alert is resolved, orders nobody handled while it lasted are sent,
// then the sales feed is read.
func (p *Pipeline) recover(ctx context.Context, storeID string, from domain.IntegrationHealth) {
	defer p.healthLocks.lock(storeID)()
	changed := false
	_, err := p.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		if s.Integration.Health != from {
			return nil
		}
		s.Integration.Health, changed = domain.HealthHealthy, true
		return nil
	})
	if err != nil {
		p.log.ErrorContext(ctx, "record integration health", "store", storeID, "err", err)
		return
	}
	p.health.mark(storeID, false)
	if !changed {
		return
	}
	kind := domain.AlertPartnerOutage
	if from == domain.HealthCredentialsInvalid {
		kind = domain.AlertCredentialsInvalid
	}
	if err := p.w.ResolveAlerts(ctx, storeID, kind, p.now()); err != nil {
		p.log.ErrorContext(ctx, "resolve alerts", "store", storeID, "err", err)
	}
	n := p.resend(ctx, storeID)
	p.log.InfoContext(ctx, "lightspeed integration recovered", "store", storeID, "orders_resent", n)
	if _, err := p.queue.Insert(ctx, reconcileArgs{StoreID: storeID}, nil); err != nil {
		p.log.ErrorContext(ctx, "enqueue reconciliation", "store", storeID, "err", err)
	}
}

// resend puts back on the POS path the orders that did not reach it for
// the store's sake and that nobody handled on the dashboard meanwhile.
func (p *Pipeline) resend(ctx context.Context, storeID string) int {
	ids, err := p.db.UntouchedNotSent(ctx, storeID)
	if err != nil {
		p.log.ErrorContext(ctx, "find orders to resend", "store", storeID, "err", err)
		return 0
	}
	sent := 0
	for _, id := range ids {
		if _, err := p.Requeue(ctx, id); err == nil {
			sent++
		}
	}
	return sent
}

// Requeue puts an untouched NOT_SENT order back on the POS path; refused
// when staff already handled it or it is in Lightspeed.
func (p *Pipeline) Requeue(ctx context.Context, id string) (*domain.Order, error) {
	return p.w.UpdateOrder(ctx, id, func(o *domain.Order) ([]river.JobArgs, error) {
		switch {
		case o.PosSync.State == domain.PosSent:
			return nil, domain.Errorf(domain.CodeConflict, "Order %s is already in Lightspeed.", o.ID)
		case o.PosSync.State != domain.PosNotSent:
			return nil, domain.Errorf(domain.CodeConflict, "Order %s is not waiting to be sent (%s).", o.ID, o.PosSync.State)
		case o.Status != domain.StatusPending:
			return nil, domain.Errorf(domain.CodeConflict, "Order %s was already handled on the dashboard (%s); it is not sent to Lightspeed, so it cannot be fulfilled twice.", o.ID, o.Status)
		}
		o.PosSync.State, o.PosSync.ErrorCode, o.PosSync.LastError, o.PosSync.Sender = domain.PosQueued, nil, nil, ""
		return []river.JobArgs{SendOrderArgs{OrderID: o.ID}}, nil
	})
}

// giveUp takes an order off the POS path once it has failed for longer
// than the deadline, or at once on a credential issue: it turns NOT_SENT
// and actionable on the dashboard.
func (p *Pipeline) giveUp(o *domain.Order, code domain.PosErrorCode) bool {
	return code == domain.PosErrCredentials || p.now().Sub(o.CreatedAt) >= p.deadline
}

// sweepArgs asks for the orders past the deadline to be taken off the POS
// path, for those whose next attempt is further away than the deadline.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "sweep_unsent_orders" }

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	p *Pipeline
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	ids, err := w.p.db.StaleQueuedOrders(ctx, w.p.now().Add(-w.p.deadline))
	if err != nil {
		return err
	}
	for _, id := range ids {
		o, err := w.p.db.Order(ctx, id)
		if err != nil {
			return err
		}
		code := domain.PosErrOutage
		if o.PosSync.ErrorCode != nil {
			code = *o.PosSync.ErrorCode
		}
		msg := "It could not reach Lightspeed within the deadline; manage it from the Leafly Order Dashboard."
		if err := w.p.notSent(ctx, id, code, msg); err != nil {
			return fmt.Errorf("take order %s off the POS path: %w", id, err)
		}
	}
	return nil
}

// probeArgs asks for a light call to every store in a partner outage, to
// notice when Lightspeed is back, and for a token refresh of every OAuth
// store whose credentials Lightspeed refused, to notice when it takes them
// again.
type probeArgs struct{}

func (probeArgs) Kind() string { return "probe_lightspeed" }

type probeWorker struct {
	river.WorkerDefaults[probeArgs]
	p *Pipeline
}

func (w *probeWorker) Work(ctx context.Context, _ *river.Job[probeArgs]) error {
	ids, err := w.p.db.IntegratedStores(ctx, domain.HealthPartnerOutage)
	if err != nil {
		return err
	}
	for _, id := range ids {
		w.p.health.mark(id, true)
		t, err := w.p.target(ctx, id)
		if err == nil {
			_, err = w.p.ls.Retailer(ctx, t)
		}
		w.p.observe(ctx, id, err)
	}
	if ids, err = w.p.db.IntegratedStores(ctx, domain.HealthCredentialsInvalid); err != nil {
		return err
	}
	for _, id := range ids {
		w.p.probeCredentials(ctx, id)
	}
	return nil
}

// probeCredentials renews the refused tokens of an OAuth store and, when
// Lightspeed takes the new ones, recovers the store as after an outage.
func (p *Pipeline) probeCredentials(ctx context.Context, storeID string) {
	c, err := p.credentials(ctx, storeID)
	if err != nil || !refreshable(c) {
		return
	}
	refused := c.AccessToken
	c, _, err = p.refresh(ctx, storeID, func(now domain.Credentials) bool { return now.AccessToken == refused || p.stale(now) })
	var t lssync.Target
	if err == nil {
		t, err = p.targetOf(ctx, c)
	}
	if err == nil {
		_, err = p.ls.Retailer(ctx, t)
	}
	if err != nil {
		p.log.InfoContext(ctx, "lightspeed credentials still refused", "store", storeID, "kind", lssync.KindOf(err).String(), "err", err)
		return
	}
	p.recover(ctx, storeID, domain.HealthCredentialsInvalid)
}

// defaultProbeInterval is how often the probe runs when Deps leave it unset.
const defaultProbeInterval = 15 * time.Second

// sweepInterval is how often the deadline sweep runs: every 10s, or a
// quarter of a shorter deadline, so an order turns NOT_SENT close to it.
func sweepInterval(deadline time.Duration) time.Duration {
	return min(10*time.Second, max(deadline/4, 100*time.Millisecond))
}
