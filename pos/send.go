package pos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// Sending an order to Lightspeed as a sale, exactly once.

// SourceType names Leafly as the sale's source in Lightspeed.
const SourceType = "leafly"

// SendOrderArgs asks for one order to be sent to the store's Lightspeed.
type SendOrderArgs struct {
	OrderID string `json:"order_id"`
	// at is when the job runs (now when zero): a send handed over after
	// its attempt right after commit failed (sendnow.go) is retried later.
	at time.Time
}

func (SendOrderArgs) Kind() string { return "send_order" }

// InsertOpts retry for long: when an order gives up is the outage
// handling's decision, not River's. Two sends of one order are harmless
// (the sale id is fixed under the order's row lock), so an order sent again
// after recovery never waits behind a finishing job.
func (a SendOrderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLightspeed, MaxAttempts: 1000, ScheduledAt: a.at}
}

type sendOrderWorker struct {
	jobs.Backoff[SendOrderArgs]
	p *Pipeline
}

func (w *sendOrderWorker) Work(ctx context.Context, job *river.Job[SendOrderArgs]) error {
	err := w.p.SendOrder(ctx, job.Args.OrderID)
	if d, ok := retryAfter(err, w.p.now()); ok {
		return river.JobSnooze(d)
	}
	return err
}

// turnWait is about the longest a send waits for its turns under the
// retailer's rate limit while holding a worker; an order whose turn is
// further off comes back for it later (Limiter.Later), so that a backlog of
// one retailer's orders does not hold every worker.
const turnWait = 10 * time.Second

// send is one attempt at sending an order: what it learned and how many
// Lightspeed calls it made.
type send struct {
	order    *domain.Order
	store    *domain.Store
	target   lssync.Target
	saleID   string
	customer string
	warning  *string
	calls    int
}

// SendOrder makes the order one sale in the store's Lightspeed. The sale id
// is chosen and saved before the first call, and any later attempt first
// looks the sale up, so retries, timeouts, crashes and replicas never make
// a second sale. A failure Lightspeed may get over is returned (the job
// retries); one it will not is recorded on the order, which becomes
// NOT_SENT with a machine-readable code.
func (p *Pipeline) SendOrder(ctx context.Context, orderID string) error {
	ctx, writeTrail := p.forOrder(ctx, orderID)
	defer writeTrail()
	ctx, s, err := p.prepareSend(ctx, orderID)
	defer p.ls.Limiter().Release(ctx)
	if err != nil || s == nil {
		return err
	}
	sale, found, err := p.createSale(ctx, s)
	var current *domain.Sale
	if err == nil && found {
		// An earlier attempt made the sale and staff may have worked it
		// since: webhooks and the sales feed skip an order not yet in the
		// POS, so what the sale says now is applied with the recording.
		var snap domain.Sale
		if snap, err = p.snapshot(ctx, s.target, sale); err == nil {
			current = &snap
		}
		if sale.State == lssync.StatePending && sale.DeletedAt == "" {
			s.calls++
		}
	}
	p.observe(ctx, s.store.ID, lightspeedOnly(err))
	if err != nil {
		return p.sendFailed(ctx, s, err)
	}
	return p.sent(ctx, s, sale, current)
}

// prepareSend loads what sending needs, waits to be near its turn under
// the retailer's rate limit (the context it returns holds the turn), saves
// the sale id and counts the attempt. It returns nil when there is nothing
// to send.
func (p *Pipeline) prepareSend(ctx context.Context, orderID string) (context.Context, *send, error) {
	o, err := p.db.ReadOrder(ctx, orderID, false)
	if err != nil {
		return ctx, nil, err
	}
	if o.PosSync.State != domain.PosQueued {
		return ctx, nil, nil
	}
	s := &send{order: o}
	if s.store, err = p.db.Store(ctx, o.StoreID); err != nil {
		return ctx, nil, err
	}
	if o.Status.Terminal() {
		return ctx, nil, p.abandonCanceled(ctx, s)
	}
	if !s.store.Integration.Settings.Complete() {
		return ctx, nil, p.notSent(ctx, o.ID, domain.PosErrNotConfigured, "The store's Lightspeed setup is incomplete.")
	}
	if s.store.Integration.Health == domain.HealthPartnerOutage {
		return ctx, nil, p.waitOutOutage(ctx, o)
	}
	if c := s.store.Integration.Connection; c != nil {
		var wait time.Duration
		if ctx, wait = p.ls.Limiter().Later(ctx, c.DomainPrefix, o.ID, turnWait); wait > 0 {
			return ctx, nil, river.JobSnooze(wait)
		}
	}
	a, queued, err := p.db.StartSend(ctx, orderID, uuid.NewString())
	if err != nil || !queued {
		return ctx, nil, err
	}
	s.saleID, o.PosSync.SaleID, o.PosSync.Attempts = a.SaleID, &a.SaleID, a.Attempts
	if s.target, err = p.target(ctx, o.StoreID); err != nil {
		p.observe(ctx, o.StoreID, err)
		return ctx, nil, p.sendFailed(ctx, s, err)
	}
	return ctx, s, nil
}

// createSale creates the sale, unless an earlier attempt already did;
// found says the sale was there already.
func (p *Pipeline) createSale(ctx context.Context, s *send) (sale lssync.Sale, found bool, err error) {
	if s.order.PosSync.Attempts > 1 {
		s.calls++
		sale, err := p.ls.GetSale(ctx, s.target, s.saleID)
		if err == nil || !lssync.IsNotFound(err) {
			return sale, err == nil, err
		}
	}
	req, err := p.saleRequest(ctx, s)
	if err != nil {
		return lssync.Sale{}, false, err
	}
	s.calls++
	sale, err = p.ls.CreateSale(ctx, s.target, req)
	if lssync.IsConflict(err) {
		s.calls++
		sale, err = p.ls.GetSale(ctx, s.target, s.saleID)
		return sale, err == nil, err
	}
	return sale, false, err
}

// waitOutOutage keeps an order off Lightspeed while its store is in a
// partner outage: the probe alone calls Lightspeed then, so an outage costs
// a handful of calls however many orders wait. The order turns NOT_SENT at
// the deadline (recovery sends it if nobody handled it); until then the job
// sleeps and looks again.
func (p *Pipeline) waitOutOutage(ctx context.Context, o *domain.Order) error {
	if p.giveUp(o, domain.PosErrOutage) {
		return p.notSent(ctx, o.ID, domain.PosErrOutage, "Lightspeed is having problems; manage the order from the Leafly Order Dashboard.")
	}
	wait := min(p.probeInterval, o.CreatedAt.Add(p.deadline).Sub(p.now())+time.Second)
	return river.JobSnooze(max(wait, time.Second))
}

// sent records the sale and confirms the order (source POS), then moves it
// on as current says, when the sale was found rather than made: staff may
// have packed, closed or voided it meanwhile.
func (p *Pipeline) sent(ctx context.Context, s *send, sale lssync.Sale, current *domain.Sale) error {
	customer := s.customer
	if sale.CustomerID != "" {
		customer = sale.CustomerID
	}
	// The calls that made the sale are recorded with it: one commit.
	calls := takeTrail(ctx)
	o, err := p.w.UpdateOrderWith(ctx, s.order.ID, recording(calls, nil), func(o *domain.Order) ([]river.JobArgs, error) {
		o.PosSync = domain.PosSync{State: domain.PosSent, SaleID: &s.saleID, CustomerID: nonEmpty(customer),
			Attempts: o.PosSync.Attempts, Warning: s.warning, SaleVersion: sale.Version, HintedVersion: o.PosSync.HintedVersion}
		if domain.CanMove(o.FulfillmentMethod, o.Status, domain.StatusConfirmed) {
			if _, err := o.Move(domain.StatusConfirmed, domain.SourcePOS, p.now()); err != nil {
				return nil, err
			}
		}
		if current != nil {
			o.ApplySale(*current, p.now())
		}
		return hintedChange(o), nil
	})
	if err != nil {
		returnTrail(ctx, calls)
		return fmt.Errorf("record sale %s of order %s: %w", s.saleID, s.order.ID, err)
	}
	if p.onOrderSent != nil {
		p.onOrderSent(s.calls)
	}
	p.log.InfoContext(ctx, "order sent to lightspeed", "order", o.ID, "sale", s.saleID, "calls", s.calls)
	return nil
}

// hintedChange is the job that re-reads the order's sale when a webhook
// kept while the order was QUEUED announced a newer version than the one
// recorded (see keepWebhook), or none.
func hintedChange(o *domain.Order) []river.JobArgs {
	hinted := o.PosSync.HintedVersion
	if hinted <= o.PosSync.SaleVersion {
		return nil
	}
	args := applySaleArgs{StoreID: o.StoreID, SaleID: *o.PosSync.SaleID}
	if hinted != unversioned {
		args.Version = hinted
	}
	return []river.JobArgs{args}
}

// sendFailed records why an attempt failed. Failures only the order can
// fix end its sending; others are returned so the job retries.
func (p *Pipeline) sendFailed(ctx context.Context, s *send, err error) error {
	var unmapped unmappedError
	if errors.As(err, &unmapped) {
		return p.notSent(ctx, s.order.ID, domain.PosErrUnmappedItem, unmapped.Error())
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return p.notSent(ctx, s.order.ID, domain.PosErrNotConfigured, de.Message)
	}
	code, msg := posError(err)
	if code == domain.PosErrRejected || p.giveUp(s.order, code) {
		return p.notSent(ctx, s.order.ID, code, msg)
	}
	if _, rerr := p.w.UpdateOrder(ctx, s.order.ID, func(o *domain.Order) ([]river.JobArgs, error) {
		o.PosSync.LastError, o.PosSync.ErrorCode = &msg, &code
		return nil, nil
	}); rerr != nil {
		p.log.ErrorContext(ctx, "record send failure", "order", s.order.ID, "err", rerr)
	}
	return fmt.Errorf("send order %s: %w", s.order.ID, err)
}

// notSent takes the order off the POS path with a reason: it turns
// NOT_SENT, actionable on the dashboard. A reason of the order's own
// raises an ORDER_NOT_SENT alert for it.
func (p *Pipeline) notSent(ctx context.Context, orderID string, code domain.PosErrorCode, msg string) error {
	o, err := p.w.UpdateOrder(ctx, orderID, func(o *domain.Order) ([]river.JobArgs, error) {
		if o.PosSync.State != domain.PosQueued {
			return nil, nil
		}
		o.PosSync.State, o.PosSync.ErrorCode, o.PosSync.LastError, o.PosSync.Sender = domain.PosNotSent, &code, &msg, ""
		return nil, nil
	})
	if err != nil {
		return err
	}
	p.log.WarnContext(ctx, "order not sent to lightspeed", "order", orderID, "code", code, "reason", msg)
	if code == domain.PosErrRejected || code == domain.PosErrUnmappedItem {
		p.raise(ctx, o.StoreID, domain.AlertOrderNotSent, fmt.Sprintf("Leafly order %s could not be sent to Lightspeed: %s Manage it from the Leafly Order Dashboard.", o.LeaflyOrderID, msg), &o.ID)
	}
	return nil
}

// abandonCanceled handles an order canceled before it reached the POS: a
// sale an earlier attempt may have made is voided.
func (p *Pipeline) abandonCanceled(ctx context.Context, s *send) error {
	if s.order.PosSync.SaleID != nil && s.order.PosSync.Attempts > 0 {
		return p.VoidSale(ctx, s.order.ID)
	}
	return p.notSent(ctx, s.order.ID, domain.PosErrCanceled, "The order was canceled before it reached Lightspeed.")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Note lines staff read in Lightspeed.
const govIDNote = "Government ID on file in Leafly Biz"

// saleNote tells staff what the sale is and what Leafly applied that the
// POS does not know: deals, and whether the shopper's ID is on file.
func saleNote(o *domain.Order, addressNote string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Leafly order %s (%s)\n", o.LeaflyOrderID, strings.ToLower(string(o.FulfillmentMethod)))
	fmt.Fprintf(&b, "Shopper: %s %s\n", o.Customer.FirstName, o.Customer.LastName)
	for _, l := range o.Lines {
		if l.DealTitle == nil && l.DiscountedUnitPriceCents == nil {
			continue
		}
		title := "Leafly deal"
		if l.DealTitle != nil {
			title = *l.DealTitle
		}
		off := int64(0)
		if l.DiscountedUnitPriceCents != nil {
			off = (l.UnitPriceCents - *l.DiscountedUnitPriceCents) * int64(l.Quantity)
		}
		fmt.Fprintf(&b, "Deal to apply: %s on %s ×%d, %s off\n", title, l.Name, l.Quantity, dollars(off))
	}
	if o.HasGovernmentID {
		b.WriteString(govIDNote + "\n")
	}
	if addressNote != "" {
		b.WriteString("Deliver to: " + addressNote + "\n")
	}
	return strings.TrimSpace(b.String())
}

func dollars(cents int64) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

// lightspeedOnly keeps the errors Lightspeed caused, for the store's health;
// an order's own problem (an unmapped item) says nothing of Lightspeed.
func lightspeedOnly(err error) error {
	var unmapped unmappedError
	if errors.As(err, &unmapped) {
		return nil
	}
	return err
}

// newID returns a new time-ordered id.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
