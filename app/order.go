package app

import (
	"context"
	"slices"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/pos"
)

// SubmitOrder stores a new order, or returns the one already submitted with
// the same store and Leafly order id when this is a retry of it.
func (a *App) SubmitOrder(ctx context.Context, in domain.SubmitOrder) (*domain.Order, error) {
	if _, err := authorize(ctx, domain.OpSubmitOrder, in.StoreID); err != nil {
		return nil, err
	}
	if existing, err := a.db.OrderByLeaflyID(ctx, in.StoreID, in.LeaflyOrderID); err != nil || existing != nil {
		return resubmitted(existing, in, err)
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	store, err := a.db.Store(ctx, in.StoreID)
	if err != nil {
		return nil, err
	}
	menu, err := a.db.MenuItemsByID(ctx, store.ID, menuItemIDs(in.Lines))
	if err != nil {
		return nil, err
	}
	o, err := domain.NewOrder(newID(), in, *store, menu, a.now())
	if err != nil {
		return nil, err
	}
	a.pos.TakeSend(o)
	stored, created, err := a.w.CreateOrder(ctx, o, nil)
	if err != nil || !created {
		return resubmitted(stored, in, err)
	}
	if stored.PosSync.Sender != "" {
		a.pos.SendNow(stored.ID)
	}
	return stored, nil
}

// resubmitted answers a submission of an order that already exists: the
// order when the submission names its shopper, since it is a retry; a
// conflict otherwise, so that whoever knows or guesses a Leafly order id
// reads nothing of another shopper.
func resubmitted(existing *domain.Order, in domain.SubmitOrder, err error) (*domain.Order, error) {
	if err != nil {
		return nil, err
	}
	if !existing.SameShopper(in) {
		return nil, domain.Errorf(domain.CodeConflict, "Leafly order %s was already submitted to this store for another shopper: a retry must send the same customer and delivery address.", in.LeaflyOrderID)
	}
	return existing, nil
}

func menuItemIDs(lines []domain.SubmitLine) []string {
	ids := make([]string, 0, len(lines))
	for _, l := range lines {
		if !slices.Contains(ids, l.MenuItemID) {
			ids = append(ids, l.MenuItemID)
		}
	}
	return ids
}

// Order returns an order the caller may read, with its status history
// when history is true.
func (a *App) Order(ctx context.Context, id string, history bool) (*domain.Order, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	o, err := a.db.ReadOrder(ctx, id, history)
	if err != nil {
		return nil, err
	}
	if err := domain.Authorize(p, domain.OpRead, o.StoreID); err != nil {
		return nil, hideForeign(err, id)
	}
	return o, nil
}

// hideForeign makes an order of a store the caller cannot see read as not
// found, like an order that does not exist.
func hideForeign(err error, orderID string) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.ErrOrderNotFound(orderID)
	}
	return err
}

// Orders returns a page of the store's orders, each with parts filled in,
// and, withUpdatesCursor, the orderUpdated cursor read before the page
// (OrderUpdatesCursor): a client subscribing after it misses no update the
// page does not show. The page's statements tell an unknown store: it is not
// read first.
func (a *App) Orders(ctx context.Context, storeID string, filter *domain.OrderFilter, args PageArgs, parts domain.OrderParts, withUpdatesCursor bool) (domain.OrderPage, string, error) {
	if _, err := authorize(ctx, domain.OpRead, storeID); err != nil {
		return domain.OrderPage{}, "", err
	}
	page, err := args.page()
	if err != nil {
		return domain.OrderPage{}, "", err
	}
	var f domain.OrderFilter
	if filter != nil {
		f = *filter
	}
	if err := f.Validate(); err != nil {
		return domain.OrderPage{}, "", err
	}
	var cursor string
	if withUpdatesCursor {
		if cursor, err = a.OrderUpdatesCursor(ctx, storeID); err != nil {
			return domain.OrderPage{}, "", err
		}
	}
	list, err := a.db.Orders(ctx, storeID, f, page, parts)
	return list, cursor, err
}

// PageArgs are a connection's Relay arguments as the caller sent them.
type PageArgs struct {
	First, Last   *int
	After, Before *string
}

// page checks the arguments as Relay's cursor connections define them:
// forward with first, backward with last (the last page without before),
// never both.
func (p PageArgs) page() (domain.Page, error) {
	if p.First != nil && p.Last != nil {
		return domain.Page{}, domain.Errorf(domain.CodeBadUserInput, "Pass first or last, not both: first pages forward, last backward.")
	}
	after, before := deref(p.After), deref(p.Before)
	if p.Last != nil {
		n, err := pageSize("last", p.Last)
		return domain.Page{Last: &n, After: after, Before: before}, err
	}
	n, err := pageSize("first", p.First)
	return domain.Page{First: n, After: after, Before: before}, err
}

// SetOrderStatus moves an order on the dashboard.
func (a *App) SetOrderStatus(ctx context.Context, id string, status domain.Status) (*domain.Order, error) {
	if status == domain.StatusCanceled {
		return nil, domain.Errorf(domain.CodeBadUserInput, "Use cancelOrder to cancel an order: it needs a reason.")
	}
	return a.dashboardAction(ctx, id, domain.OpDashboard, func(o *domain.Order) ([]river.JobArgs, error) {
		_, err := o.Move(status, domain.SourceDashboard, a.now())
		return nil, err
	})
}

// CancelOrder cancels an order: the ordering system on the shopper's behalf
// (reason CUSTOMER), or staff on the dashboard.
func (a *App) CancelOrder(ctx context.Context, id string, reason domain.CancelReason) (*domain.Order, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	source := domain.SourceDashboard
	if p.Role == domain.RoleMarketplace {
		source = domain.SourceMarketplace
	}
	return a.dashboardAction(ctx, id, domain.CancelOperation(reason), func(o *domain.Order) ([]river.JobArgs, error) {
		if _, err := o.Cancel(reason, source, a.now()); err != nil {
			return nil, err
		}
		if o.PosSync.State == domain.PosSent {
			return []river.JobArgs{pos.VoidSaleArgs{OrderID: o.ID}}, nil
		}
		return nil, nil
	})
}

// dashboardAction applies change to an order the caller may act on, keeping
// the read-only rule: while the store's integration is enabled, staff act
// only on orders that did not reach the POS. The shopper's own cancellation
// is not a dashboard action and is always accepted.
func (a *App) dashboardAction(ctx context.Context, id string, op domain.Operation, change func(*domain.Order) ([]river.JobArgs, error)) (*domain.Order, error) {
	p, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	scope, err := a.db.OrderScope(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := domain.Authorize(p, op, scope.StoreID); err != nil {
		return nil, hideForeign(err, id)
	}
	return a.w.UpdateOrder(ctx, id, func(o *domain.Order) ([]river.JobArgs, error) {
		if p.Role != domain.RoleMarketplace && !o.Status.Terminal() && !o.Actionable(scope.IntegrationEnabled) {
			return nil, domain.Errorf(domain.CodeDashboardReadOnly, "The order dashboard is read-only while the Lightspeed order integration is on: manage order %s in Lightspeed.", o.ID)
		}
		return change(o)
	})
}

// RetryOrderSync sends an order that did not reach the POS again, on
// demand; refused when staff already handled it or it is in Lightspeed.
func (a *App) RetryOrderSync(ctx context.Context, id string) (*domain.Order, error) {
	o, err := a.Order(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if _, err := authorize(ctx, domain.OpDashboard, o.StoreID); err != nil {
		return nil, hideForeign(err, id)
	}
	store, err := a.db.Store(ctx, o.StoreID)
	if err != nil {
		return nil, err
	}
	if !store.Integration.Enabled {
		return nil, domain.Errorf(domain.CodeConflict, "The store's Lightspeed order integration is off: order %s is managed on the dashboard.", id)
	}
	return a.pos.Requeue(ctx, id)
}
