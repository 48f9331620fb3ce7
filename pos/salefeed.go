package pos

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// Sale changes back from Lightspeed: a sale re-read when a webhook hints at
// a change (webhook.go), and a periodic read of the sales feed for what
// webhooks missed; either moves the order as the sale says.

// applySaleArgs asks for one sale to be re-read and applied to its order.
type applySaleArgs struct {
	StoreID string `json:"store_id"`
	SaleID  string `json:"sale_id"`
	// Version is the webhook's version of the sale, 0 when unknown.
	Version int64 `json:"version,omitempty"`
}

func (applySaleArgs) Kind() string { return "apply_sale" }

// InsertOpts collapse the copies of a webhook Lightspeed sends.
func (applySaleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLightspeed, MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.PendingStates}}
}

type applySaleWorker struct {
	jobs.Backoff[applySaleArgs]
	p *Pipeline
}

func (w *applySaleWorker) Work(ctx context.Context, job *river.Job[applySaleArgs]) error {
	return cancelUnreadable(w.p.ApplySaleByID(ctx, job.Args.StoreID, job.Args.SaleID, job.Args.Version))
}

// ApplySaleByID re-reads a sale and applies it to the order it was made
// for. Sales the service did not make are ignored, and so, without a call,
// is a webhook that is no news to the order (the creation of the sale the
// service made, or a copy of a webhook). While the order's send is still
// recording the sale, the job comes back a second later: the change is
// news only if it is newer than what the send records.
func (p *Pipeline) ApplySaleByID(ctx context.Context, storeID, saleID string, version int64) error {
	so, err := p.db.SaleOrder(ctx, storeID, saleID)
	if err != nil || so.OrderID == "" {
		return err
	}
	orderID := so.OrderID
	ctx, writeTrail := p.forOrder(ctx, orderID)
	defer writeTrail()
	news, recording := saleNews(so, version)
	switch {
	case recording:
		return river.JobSnooze(time.Second)
	case !news:
		return nil
	}
	t, err := p.target(ctx, storeID)
	if err != nil {
		return err
	}
	snap, err := p.readSale(ctx, t, saleID)
	if err != nil {
		return err
	}
	return p.applySale(ctx, orderID, snap, nil)
}

// readSale reads the sale from Lightspeed as the mapping sees it; a sale
// Lightspeed no longer has reads as deleted.
func (p *Pipeline) readSale(ctx context.Context, t lssync.Target, saleID string) (domain.Sale, error) {
	sale, err := p.ls.GetSale(ctx, t, saleID)
	if lssync.IsNotFound(err) {
		return domain.Sale{Deleted: true, Version: 1 << 62}, nil
	}
	if err != nil {
		return domain.Sale{}, err
	}
	return p.snapshot(ctx, t, sale)
}

// saleNews reports whether this version of its sale (0: unknown) is news to
// the order, so that what is not costs no Lightspeed call: only an order in
// the POS that has not seen the version takes it. recording is true while
// the order's send has made the sale but not recorded it yet.
func saleNews(o storage.SaleOrder, version int64) (news, recording bool) {
	switch o.PosState {
	case domain.PosQueued:
		return false, true
	case domain.PosSent:
		return version <= 0 || version > o.SaleVersion, false
	}
	return false, false
}

// snapshot reduces a sale to what the mapping reads, asking for its
// fulfillments only while the sale is pending (packed is their news).
func (p *Pipeline) snapshot(ctx context.Context, t lssync.Target, sale lssync.Sale) (domain.Sale, error) {
	snap := domain.Sale{State: sale.State, Deleted: sale.DeletedAt != "", Version: sale.Version}
	if sale.State != lssync.StatePending || snap.Deleted {
		return snap, nil
	}
	fs, err := p.ls.Fulfillments(ctx, t, sale.ID)
	if err != nil {
		return snap, err
	}
	for _, f := range fs {
		snap.Packed = snap.Packed || domain.FulfillmentPacked(f.State)
	}
	return snap, nil
}

// applySale moves the order as the sale says, unless the order has seen a
// newer version of the sale. Backward, repeated and unknown states change
// nothing and are logged. The update's transaction also records the calls
// of the order's trail and runs also, unless it is nil.
func (p *Pipeline) applySale(ctx context.Context, orderID string, sale domain.Sale, also func(storage.Tx) error) error {
	var changes []domain.StatusChange
	// The calls that read the sale are recorded with it: one commit.
	calls := takeTrail(ctx)
	o, err := p.w.UpdateOrderWith(ctx, orderID, recording(calls, also), func(o *domain.Order) ([]river.JobArgs, error) {
		if o.PosSync.State != domain.PosSent || (sale.Version != 0 && sale.Version <= o.PosSync.SaleVersion) {
			return nil, nil
		}
		o.PosSync.SaleVersion = max(o.PosSync.SaleVersion, sale.Version)
		changes = o.ApplySale(sale, p.now())
		return nil, nil
	})
	if err != nil {
		returnTrail(ctx, calls)
		return fmt.Errorf("apply sale to order %s: %w", orderID, err)
	}
	if len(changes) == 0 {
		p.log.DebugContext(ctx, "sale change ignored", "order", orderID, "state", sale.State, "packed", sale.Packed, "version", sale.Version, "status", o.Status)
		return nil
	}
	p.log.InfoContext(ctx, "order status from lightspeed", "order", orderID, "status", o.Status, "version", sale.Version)
	return nil
}

// reconcileArgs asks for one store's sales feed to be read.
type reconcileArgs struct {
	StoreID string `json:"store_id"`
}

func (reconcileArgs) Kind() string { return "reconcile_sales" }

// InsertOpts keep one pending reconciliation per store.
func (reconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLightspeed, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.PendingStates}}
}

type reconcileWorker struct {
	river.WorkerDefaults[reconcileArgs]
	p *Pipeline
}

func (w *reconcileWorker) Work(ctx context.Context, job *river.Job[reconcileArgs]) error {
	return cancelUnreadable(w.p.Reconcile(ctx, job.Args.StoreID))
}

// reconcileAllArgs asks for the feed of every store whose integration is
// on and healthy to be read: a degraded store's calls would only fail, and
// its recovery reads the feed.
type reconcileAllArgs struct{}

func (reconcileAllArgs) Kind() string { return "reconcile_all" }

func (reconcileAllArgs) stores(ctx context.Context, p *Pipeline) ([]string, error) {
	return p.db.IntegratedStores(ctx, domain.HealthHealthy)
}

func (reconcileAllArgs) perStore(storeID string) (river.JobArgs, string) {
	return reconcileArgs{StoreID: storeID}, "reconciliation"
}

// salesPageSize is how many sales one call of the reconciliation reads.
const salesPageSize = 500

// Reconcile reads the store's sales changed since its cursor and applies
// those the service made, catching the changes no webhook announced. The
// cursor is kept in the database.
func (p *Pipeline) Reconcile(ctx context.Context, storeID string) error {
	t, err := p.target(ctx, storeID)
	if err != nil {
		p.observe(ctx, storeID, err)
		return err
	}
	cursor, err := p.db.SalesCursor(ctx, storeID)
	if err != nil {
		return err
	}
	for {
		page, err := p.ls.SalesAfter(ctx, t, cursor, salesPageSize)
		p.observe(ctx, storeID, err)
		if err != nil {
			return err
		}
		if len(page.Sales) == 0 || page.MaxVersion <= cursor {
			return nil
		}
		applied, err := p.applyPage(ctx, t, storeID, page.Sales)
		if err != nil {
			return err
		}
		cursor = page.MaxVersion
		if err := p.db.SetSalesCursor(ctx, storeID, cursor); err != nil {
			return err
		}
		// A short page with nothing to apply is the end of the feed, or
		// sales this service recorded as it made them (a burst of orders
		// makes them as fast as the rate limit lets it): reading on would
		// spend the orders' turns chasing them. What follows is read from
		// the cursor next time.
		if applied == 0 && len(page.Sales) < salesPageSize {
			return nil
		}
	}
}

// applyPage applies the sales of a page that tell the service something
// new, and returns how many did.
func (p *Pipeline) applyPage(ctx context.Context, t lssync.Target, storeID string, sales []lssync.Sale) (int, error) {
	applied := 0
	for _, sale := range sales {
		so, err := p.db.SaleOrder(ctx, storeID, sale.ID)
		if err != nil {
			return applied, err
		}
		if news, _ := saleNews(so, sale.Version); !news {
			continue
		}
		snap, err := p.snapshot(ctx, t, sale)
		if err != nil {
			return applied, err
		}
		if err := p.applySale(ctx, so.OrderID, snap, nil); err != nil {
			return applied, err
		}
		applied++
	}
	return applied, nil
}
