package pos

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// Voiding the sale of an order the shopper canceled.

// VoidSaleArgs asks for the sale of a canceled order to be voided.
type VoidSaleArgs struct {
	OrderID string `json:"order_id"`
}

func (VoidSaleArgs) Kind() string { return "void_sale" }

// InsertOpts retry until the void is done: the order already reads
// canceled, and the sale must not be fulfilled.
func (VoidSaleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLightspeed, MaxAttempts: 1000, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.PendingStates}}
}

type voidSaleWorker struct {
	jobs.Backoff[VoidSaleArgs]
	p *Pipeline
}

func (w *voidSaleWorker) Work(ctx context.Context, job *river.Job[VoidSaleArgs]) error {
	return w.p.VoidSale(ctx, job.Args.OrderID)
}

// VoidSale voids the Lightspeed sale of a canceled order. A sale that does
// not exist, or is voided already, needs nothing; one Lightspeed will not
// void (it was closed meanwhile) is recorded on the order for staff.
func (p *Pipeline) VoidSale(ctx context.Context, orderID string) error {
	ctx, writeTrail := p.forOrder(ctx, orderID)
	defer writeTrail()
	o, err := p.db.Order(ctx, orderID)
	if err != nil || o.PosSync.SaleID == nil {
		return err
	}
	store, err := p.db.Store(ctx, o.StoreID)
	if err != nil {
		return err
	}
	t, err := p.target(ctx, o.StoreID)
	if err != nil {
		return err
	}
	sale, err := p.ls.GetSale(ctx, t, *o.PosSync.SaleID)
	if lssync.IsNotFound(err) || (err == nil && (sale.State == lssync.StateVoided || sale.DeletedAt != "")) {
		return nil
	}
	if err != nil {
		return err
	}
	update := lssync.SaleUpdate{State: lssync.StateVoided, Source: lssync.SaleSource{}}
	if st := store.Integration.Settings; st != nil {
		update.Source = lssync.SaleSource{AuthorID: st.UserID, RegisterID: st.RegisterID, ID: o.LeaflyOrderID, Type: SourceType}
	}
	_, err = p.ls.UpdateSale(ctx, t, *o.PosSync.SaleID, update)
	if lssync.IsRejected(err) {
		_, msg := posError(err)
		warning := "The shopper canceled, but Lightspeed would not void the sale: void it in Lightspeed. " + msg
		_, rerr := p.w.UpdateOrder(ctx, orderID, func(o *domain.Order) ([]river.JobArgs, error) {
			o.PosSync.Warning = &warning
			return nil, nil
		})
		return rerr
	}
	if err != nil {
		return fmt.Errorf("void sale of order %s: %w", orderID, err)
	}
	p.log.InfoContext(ctx, "sale voided for a canceled order", "order", orderID, "sale", *o.PosSync.SaleID)
	return nil
}
