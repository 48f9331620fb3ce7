package domain_test

import (
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// FuzzApplySale maps arbitrary sale states onto orders in any status: it
// never panics, never moves an order backward or out of a terminal status,
// and only ever records changes from the POS.
func FuzzApplySale(f *testing.F) {
	f.Add("pending", false, false, "PENDING", "PICKUP")
	f.Add("pending", false, true, "CONFIRMED", "DELIVERY")
	f.Add("closed", false, false, "CONFIRMED", "PICKUP")
	f.Add("voided", false, false, "READY", "PICKUP")
	f.Add("parked", true, false, "PICKED_UP", "DELIVERY")
	f.Add("", false, false, "", "")
	f.Fuzz(func(t *testing.T, state string, deleted, packed bool, from, method string) {
		o := &domain.Order{Status: domain.Status(from), FulfillmentMethod: domain.FulfillmentMethod(method)}
		before := o.Status
		changes := o.ApplySale(domain.Sale{State: state, Deleted: deleted, Packed: packed}, time.Unix(0, 0))
		if len(changes) > 0 && (before.Terminal() || !before.Valid()) {
			t.Fatalf("moved a %q order: %v", before, changes)
		}
		prev := before
		for _, c := range changes {
			if c.Source != domain.SourcePOS || !domain.CanMove(o.FulfillmentMethod, prev, c.Status) {
				t.Fatalf("change %v after %s", c, prev)
			}
			prev = c.Status
		}
	})
}

// FuzzSubmitOrder validates arbitrary submissions: never a panic, and an
// accepted order always has lines, positive quantities, the menu price and
// totals that are not negative, the total no more than the subtotal.
func FuzzSubmitOrder(f *testing.F) {
	f.Add("L-1", "PICKUP", "Ada", "Lovelace", "ada@example.com", "1990-01-02", "item-1", 2, int64(1000), int64(800), true)
	f.Add("", "DELIVERY", "", "", "bad", "31-12-1990", "", 0, int64(-1), int64(5), false)
	f.Add("L-2", "PICKUP", "A", "B", "", "", "item-1", -3, int64(0), int64(-1), false)
	store := domain.Store{ID: "s", PickupEnabled: true, DeliveryEnabled: true}
	menu := map[string]domain.MenuItem{"item-1": {ID: "item-1", StoreID: "s", Name: "Item", PosProductID: "p", PriceCents: 1000, Active: true}}
	f.Fuzz(func(t *testing.T, leaflyID, method, first, last, email, dob, item string, qty int, price, discounted int64, withDiscount bool) {
		in := domain.SubmitOrder{StoreID: "s", LeaflyOrderID: leaflyID, FulfillmentMethod: domain.FulfillmentMethod(method),
			Customer: domain.Customer{FirstName: first, LastName: last, Email: &email, DateOfBirth: &dob},
			Lines:    []domain.SubmitLine{{MenuItemID: item, Quantity: qty, UnitPriceCents: price}}}
		if withDiscount {
			in.Lines[0].DiscountedUnitPriceCents = &discounted
		}
		o, err := domain.NewOrder("o", in, store, menu, time.Unix(0, 0))
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeBadUserInput {
				t.Fatalf("refused with %v, want BAD_USER_INPUT", err)
			}
			return
		}
		if len(o.Lines) == 0 || o.Lines[0].Quantity <= 0 || o.Lines[0].UnitPriceCents != 1000 ||
			o.SubtotalCents != 1000*int64(o.Lines[0].Quantity) || o.TotalCents < 0 || o.TotalCents > o.SubtotalCents {
			t.Fatalf("accepted %+v", o)
		}
	})
}
