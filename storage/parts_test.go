package storage

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestOrdersReadTheirParts reads a page of one order with every field set,
// for each part alone, none and all: each read fills in exactly the order's
// always-read fields and those of its parts, as read whole, in two
// statements plus one for the lines and one for the history when asked.
func TestOrdersReadTheirParts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		at := time.Now().UTC().Truncate(time.Microsecond)
		o := newOrder(t, store, items, "PARTS-1", at)
		o.FulfillmentMethod, o.DeliveryAddress = domain.FulfillmentDelivery, &domain.Address{Line1: "1 Main St", City: "Portland", State: "OR", PostalCode: "97201"}
		email, phone, birth, reason := "ada@example.com", "+15035550100", "1990-12-10", domain.CancelCustomer
		o.Customer.Email, o.Customer.Phone, o.Customer.DateOfBirth, o.HasGovernmentID = &email, &phone, &birth, true
		saleID, customerID, lastError, code, warning := "sale-1", "customer-1", "refused", domain.PosErrRejected, "late"
		o.PosSync = domain.PosSync{State: domain.PosNotSent, SaleID: &saleID, CustomerID: &customerID, Attempts: 3,
			LastError: &lastError, ErrorCode: &code, Warning: &warning, SaleVersion: 7, HintedVersion: 9, Sender: "replica-1"}
		if _, err := o.Cancel(reason, domain.SourceDashboard, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.ImportOrders(ctx, []*domain.Order{o}); err != nil {
			t.Fatal(err)
		}
		read := func(parts domain.OrderParts) *domain.Order {
			t.Helper()
			page, err := db.Orders(ctx, store.ID, domain.OrderFilter{}, domain.Page{First: 5}, parts)
			if err != nil || len(page.Orders) != 1 {
				t.Fatalf("parts %b: %d orders, %v", parts, len(page.Orders), err)
			}
			return page.Orders[0]
		}
		whole := read(domain.AllOrderParts)
		if whole.ID != o.ID || whole.Status != domain.StatusCanceled || whole.DeliveryAddress == nil ||
			*whole.Customer.Email != email || whole.PosSync.Sender != "replica-1" || len(whole.StatusHistory) != 2 {
			t.Fatalf("whole order read as %+v", whole)
		}
		singles := []domain.OrderParts{domain.PartDetails, domain.PartCustomer, domain.PartPosSync, domain.PartLines, domain.PartHistory}
		for _, p := range singles {
			if reflect.DeepEqual(only(whole, domain.AllOrderParts&^p), whole) {
				t.Fatalf("part %b of the order is empty: the test could not tell it was left out", p)
			}
		}
		statements := countStatements(t, db)
		for _, parts := range append(singles, 0, domain.PartLines|domain.PartHistory, domain.AllOrderParts) {
			statements.Store(0)
			if got, want := read(parts), only(whole, parts); !reflect.DeepEqual(got, want) {
				t.Errorf("parts %b: read %+v, want %+v", parts, got, want)
			}
			want := int64(2)
			for _, p := range []domain.OrderParts{domain.PartLines, domain.PartHistory} {
				if parts&p != 0 {
					want++
				}
			}
			if n := statements.Load(); n != want {
				t.Errorf("parts %b: %d statements, want %d", parts, n, want)
			}
		}
	})
}

// only is o with the fields of the parts not in parts left empty, as
// domain.OrderParts defines them.
func only(o *domain.Order, parts domain.OrderParts) *domain.Order {
	c := &domain.Order{ID: o.ID, StoreID: o.StoreID, Status: o.Status, CreatedAt: o.CreatedAt}
	if parts&domain.PartDetails != 0 {
		c.LeaflyOrderID, c.FulfillmentMethod, c.SubtotalCents, c.TotalCents = o.LeaflyOrderID, o.FulfillmentMethod, o.SubtotalCents, o.TotalCents
		c.HasGovernmentID, c.CancelReason, c.UpdatedAt = o.HasGovernmentID, o.CancelReason, o.UpdatedAt
	}
	if parts&domain.PartCustomer != 0 {
		c.Customer, c.DeliveryAddress = o.Customer, o.DeliveryAddress
	}
	if parts&domain.PartPosSync != 0 {
		c.PosSync = o.PosSync
	}
	if parts&domain.PartLines != 0 {
		c.Lines = o.Lines
	}
	if parts&domain.PartHistory != 0 {
		c.StatusHistory = o.StatusHistory
	}
	return c
}
