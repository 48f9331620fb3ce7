package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

// menuSize is how many items each seeded store's menu has.
const menuSize = 20

// fixture is a seeded store.
type fixture struct {
	StoreID string
	Menu    []domain.MenuItem
}

// seedStore creates a store through GraphQL, as an operator would, and gives
// it a menu through storage, as the menu sync would.
func (b *bench) seedStore(ctx context.Context, srv *serverProcess, name string) (fixture, error) {
	var f fixture
	var err error
	if f.StoreID, err = drive.CreateStore(ctx, srv.client(b.tokens.Mint(domain.RoleAdmin), 0), "Load test "+name); err != nil {
		return f, err
	}
	for i := range menuSize {
		f.Menu = append(f.Menu, domain.MenuItem{ID: uuid.NewString(), StoreID: f.StoreID, Name: fmt.Sprintf("%s #%d", products[i%len(products)], i),
			PosProductID: fmt.Sprintf("ls-%s-%d", f.StoreID[:8], i), PriceCents: int64(500 + 250*i), Active: true})
	}
	if err := b.store.SaveMenuItems(ctx, f.Menu); err != nil {
		return f, err
	}
	return f, nil
}

var products = []string{"Blue Dream 3.5g", "Sour Diesel pre-roll", "Mint gummies", "OG Kush 1g cart", "CBD tincture 30ml"}

// importChunk is how many orders are generated and imported at a time.
const importChunk = 10_000

// seedOrders imports n orders of the store, one a minute going back from
// now, and returns their ids, newest first.
func (b *bench) seedOrders(ctx context.Context, f fixture, n int) ([]string, error) {
	start := time.Now()
	rnd := rand.New(rand.NewPCG(uint64(n), 42))
	newest := time.Now().UTC().Truncate(time.Microsecond)
	ids := make([]string, 0, n)
	for done := 0; done < n; {
		chunk := make([]*domain.Order, min(importChunk, n-done))
		for i := range chunk {
			chunk[i] = newOrder(f, done+i, newest.Add(-time.Duration(done+i)*time.Minute), rnd)
			ids = append(ids, chunk[i].ID)
		}
		if err := b.store.ImportOrders(ctx, chunk); err != nil {
			return nil, err
		}
		done += len(chunk)
		if n > importChunk {
			fmt.Fprintf(b.out, "  imported %d/%d orders\n", done, n)
		}
	}
	if err := b.analyze(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "  seeded %d orders in %s\n", n, time.Since(start).Round(100*time.Millisecond))
	return ids, nil
}

// analyze brings the planner's statistics (and PostgreSQL's visibility map)
// up to date after a bulk import, as autovacuum would within minutes on a
// live database, so that runs do not depend on when it last ran.
func (b *bench) analyze(ctx context.Context) error {
	stmt := "ANALYZE"
	if b.db.url != "" {
		stmt = "VACUUM ANALYZE"
	}
	if _, err := b.store.SQL().ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s after seeding: %w", stmt, err)
	}
	return nil
}

// lifecycle is the path seeded orders move along; each gets a prefix of it.
var lifecycle = []domain.Status{domain.StatusPending, domain.StatusConfirmed, domain.StatusReady, domain.StatusPickedUp}

// newOrder returns the i-th seeded order: 2 or 3 lines, 1 to 4 status changes.
func newOrder(f fixture, i int, at time.Time, rnd *rand.Rand) *domain.Order {
	email := fmt.Sprintf("shopper%d@example.com", i%5000)
	o := &domain.Order{
		ID: uuid.NewString(), StoreID: f.StoreID, LeaflyOrderID: fmt.Sprintf("LT-%07d", i),
		FulfillmentMethod: domain.FulfillmentPickup,
		Customer:          domain.Customer{FirstName: "Shopper", LastName: fmt.Sprintf("No. %d", i%5000), Email: &email},
		PosSync:           domain.PosSync{State: domain.PosNotApplicable},
		CreatedAt:         at,
	}
	for range 2 + rnd.IntN(2) {
		item := f.Menu[rnd.IntN(len(f.Menu))]
		l := domain.OrderLine{MenuItemID: item.ID, Name: item.Name, Quantity: 1 + rnd.IntN(3), UnitPriceCents: item.PriceCents}
		o.Lines = append(o.Lines, l)
		o.SubtotalCents += l.UnitPriceCents * int64(l.Quantity)
	}
	o.TotalCents = o.SubtotalCents
	for k, s := range lifecycle[:1+rnd.IntN(len(lifecycle))] {
		source := domain.SourceMarketplace
		if k > 0 {
			source = domain.SourceDashboard
		}
		o.Status, o.UpdatedAt = s, at.Add(time.Duration(k)*10*time.Second)
		o.StatusHistory = append(o.StatusHistory, domain.StatusChange{Status: s, Source: source, OccurredAt: o.UpdatedAt})
	}
	return o
}
