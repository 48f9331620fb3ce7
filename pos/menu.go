package pos

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/jobs"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// The menu sync: Lightspeed products become the store's menu items.

// productPageSize is how many products one call of the menu sync reads.
const productPageSize = 1000

// SyncMenu turns the store's menu sync on and runs it at once. A failed
// sync is reported in the returned state's LastError, not as an error,
// except a sync refused because the rate budget left is kept for order
// sending: that is LIGHTSPEED_UNAVAILABLE, and the scheduled sync runs later.
func (p *Pipeline) SyncMenu(ctx context.Context, storeID string) (*domain.Store, error) {
	ctx = lssync.Interactive(ctx)
	if _, err := p.db.Credentials(ctx, storeID); err != nil {
		return nil, domain.Errorf(domain.CodeBadUserInput, "Store %s is not connected to Lightspeed: connect it first.", storeID)
	}
	if _, err := p.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		s.Integration.MenuSync.Enabled = true
		return nil
	}); err != nil {
		return nil, err
	}
	if err := p.RunMenuSync(ctx, storeID); errors.Is(err, lssync.ErrReserved) {
		return nil, lightspeedError(err)
	} else if err != nil {
		p.log.WarnContext(ctx, "menu sync failed", "store", storeID, "err", err)
	}
	return p.db.Store(ctx, storeID)
}

// RunMenuSync reads the products changed since the last sync and saves them
// as menu items: new ones added, changed ones updated, deleted or inactive
// ones deactivated. The outcome is recorded on the store either way.
func (p *Pipeline) RunMenuSync(ctx context.Context, storeID string) error {
	defer p.menuLocks.lock(storeID)()
	store, err := p.db.Store(ctx, storeID)
	if err != nil {
		return err
	}
	version := store.Integration.MenuSync.Version
	t, err := p.target(ctx, storeID)
	var retailer lssync.Retailer
	if err == nil {
		// The retailer names its discount product, which is no menu item.
		retailer, err = p.ls.Retailer(ctx, t)
	}
	var page lssync.ProductPage
	if err == nil {
		page, err = p.ls.ProductsAll(ctx, t, version, productPageSize)
	}
	if err == nil {
		err = p.db.SaveMenuItems(ctx, p.menuItems(storeID, page.Products, retailer.DiscountProductID))
	}
	if errors.Is(err, lssync.ErrReserved) {
		return err // not a failure of the sync: nothing to record
	}
	return p.recordMenuSync(ctx, storeID, page.MaxVersion, len(page.Products), err)
}

func (p *Pipeline) menuItems(storeID string, products []lssync.Product, discountProductID string) []domain.MenuItem {
	items := make([]domain.MenuItem, 0, len(products))
	for _, p := range products {
		name := p.Name
		if p.VariantName != "" && p.VariantName != p.Name {
			name = p.VariantName
		}
		var sku *string
		if p.SKU != "" {
			sku = &p.SKU
		}
		price, priced := p.PriceExcludingTax.Cents()
		items = append(items, domain.MenuItem{ID: newID(), StoreID: storeID, Name: name, SKU: sku,
			PosProductID: p.ID, PriceCents: max(price, 0), Active: p.ForSale() && !p.HasVariants && priced && price >= 0 && p.ID != discountProductID})
	}
	return items
}

// recordMenuSync keeps the outcome of a sync on the store.
func (p *Pipeline) recordMenuSync(ctx context.Context, storeID string, version int64, products int, syncErr error) error {
	at := p.now()
	_, err := p.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		m := &s.Integration.MenuSync
		if syncErr != nil {
			msg := menuSyncError(syncErr)
			m.LastError = &msg
			return nil
		}
		m.LastError, m.LastSyncedAt = nil, &at
		m.Version = max(m.Version, version)
		return nil
	})
	if err != nil {
		return err
	}
	if syncErr != nil {
		return fmt.Errorf("menu sync of store %s: %w", storeID, syncErr)
	}
	p.log.InfoContext(ctx, "menu synced", "store", storeID, "products_changed", products, "version", version)
	return nil
}

// menuSyncArgs asks for one store's menu sync.
type menuSyncArgs struct {
	StoreID string `json:"store_id"`
}

func (menuSyncArgs) Kind() string { return "menu_sync" }

// InsertOpts keeps one pending sync per store.
func (menuSyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLightspeed, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.PendingStates}}
}

type menuSyncWorker struct {
	river.WorkerDefaults[menuSyncArgs]
	p *Pipeline
}

func (w *menuSyncWorker) Work(ctx context.Context, job *river.Job[menuSyncArgs]) error {
	return cancelUnreadable(w.p.RunMenuSync(ctx, job.Args.StoreID))
}

// menuSyncAllArgs asks for the sync of every store whose menu sync is on.
type menuSyncAllArgs struct{}

func (menuSyncAllArgs) Kind() string { return "menu_sync_all" }

func (menuSyncAllArgs) stores(ctx context.Context, p *Pipeline) ([]string, error) {
	return p.db.MenuSyncStores(ctx)
}

func (menuSyncAllArgs) perStore(storeID string) (river.JobArgs, string) {
	return menuSyncArgs{StoreID: storeID}, "menu sync"
}

// enqueueMenuSync asks for a sync in the background; a failure to ask is
// logged, and the periodic sync catches up.
func (p *Pipeline) enqueueMenuSync(ctx context.Context, storeID string) {
	if _, err := p.queue.Insert(ctx, menuSyncArgs{StoreID: storeID}, nil); err != nil {
		p.log.ErrorContext(ctx, "enqueue menu sync", "store", storeID, "err", err)
	}
}
