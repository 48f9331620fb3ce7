package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestSameShopper: a resubmission is a retry only when it names the stored
// shopper exactly, the delivery address of a DELIVERY order included.
func TestSameShopper(t *testing.T) {
	text := func(s string) *string { return &s }
	address := func() *domain.Address {
		return &domain.Address{Line1: "1 Main St", Line2: text("Apt 2"), City: "Portland", State: "OR", PostalCode: "97201", Country: "US"}
	}
	submission := func() domain.SubmitOrder {
		return domain.SubmitOrder{FulfillmentMethod: domain.FulfillmentDelivery, DeliveryAddress: address(),
			Customer: domain.Customer{FirstName: "Ada", LastName: "Lovelace", Email: text("ada@example.com"), Phone: text("+15035550100")}}
	}
	stored := &domain.Order{Customer: submission().Customer, DeliveryAddress: address()}
	cases := map[string]struct {
		change func(in *domain.SubmitOrder)
		same   bool
	}{
		"Retry":      {func(*domain.SubmitOrder) {}, true},
		"OtherEmail": {func(in *domain.SubmitOrder) { in.Customer.Email = text("eve@example.com") }, false},
		"NoPhone":    {func(in *domain.SubmitOrder) { in.Customer.Phone = nil }, false},
		"BirthDate":  {func(in *domain.SubmitOrder) { in.Customer.DateOfBirth = text("1990-12-09") }, false},
		"OtherLine2": {func(in *domain.SubmitOrder) { in.DeliveryAddress.Line2 = text("Apt 3") }, false},
		"NoLine2":    {func(in *domain.SubmitOrder) { in.DeliveryAddress.Line2 = nil }, false},
		"OtherCity":  {func(in *domain.SubmitOrder) { in.DeliveryAddress.City = "Salem" }, false},
		"NoAddress":  {func(in *domain.SubmitOrder) { in.DeliveryAddress = nil }, false},
		"NowPickup":  {func(in *domain.SubmitOrder) { in.FulfillmentMethod = domain.FulfillmentPickup }, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := submission()
			c.change(&in)
			if got := stored.SameShopper(in); got != c.same {
				t.Errorf("SameShopper = %v, want %v", got, c.same)
			}
		})
	}
	t.Run("PickupAddressIgnored", func(t *testing.T) {
		in := submission()
		in.FulfillmentMethod = domain.FulfillmentPickup
		pickup := &domain.Order{Customer: in.Customer}
		if !pickup.SameShopper(in) {
			t.Error("a PICKUP retry carrying an address NewOrder did not keep is not the same shopper, want it is")
		}
	})
}

// TestNewOrderMenuPrices: a line's unit price must be its item's synced
// menu price and a deal price may not exceed it; every wrong line is
// reported, with both prices, and the order's subtotal is the menu price ×
// quantity.
func TestNewOrderMenuPrices(t *testing.T) {
	cents := func(c int64) *int64 { return &c }
	store := domain.Store{ID: "s", PickupEnabled: true}
	menu := map[string]domain.MenuItem{
		"flower":  {ID: "flower", StoreID: "s", Name: "Blue Dream 3.5g", PosProductID: "p1", PriceCents: 3500, Active: true},
		"gummies": {ID: "gummies", StoreID: "s", Name: "Mint gummies", PosProductID: "p2", PriceCents: 1250, Active: true},
	}
	submission := func(lines ...domain.SubmitLine) domain.SubmitOrder {
		return domain.SubmitOrder{StoreID: "s", LeaflyOrderID: "L-1", FulfillmentMethod: domain.FulfillmentPickup,
			Customer: domain.Customer{FirstName: "Ada", LastName: "Lovelace"}, Lines: lines}
	}
	t.Run("OK", func(t *testing.T) {
		o, err := domain.NewOrder("o", submission(
			domain.SubmitLine{MenuItemID: "flower", Quantity: 2, UnitPriceCents: 3500, DiscountedUnitPriceCents: cents(3000)},
			domain.SubmitLine{MenuItemID: "gummies", Quantity: 1, UnitPriceCents: 1250, DiscountedUnitPriceCents: cents(1250)},
		), store, menu, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if o.SubtotalCents != 8250 || o.TotalCents != 7250 {
			t.Errorf("subtotal %d, total %d; want 8250 (menu prices) and 7250 (deal prices)", o.SubtotalCents, o.TotalCents)
		}
	})
	cases := map[string]struct {
		lines []domain.SubmitLine
		want  []domain.LineError // Message checked for a fragment only
		texts []string
	}{
		"OneCent": {
			[]domain.SubmitLine{{MenuItemID: "flower", Quantity: 1, UnitPriceCents: 1}},
			[]domain.LineError{{Index: 0, MenuItemID: "flower", Field: "unitPriceCents", SentCents: cents(1), MenuPriceCents: cents(3500)}},
			[]string{`lines[0].unitPriceCents is 1 ($0.01) but the menu price of "Blue Dream 3.5g" (menuItemId flower) is 3500 ($35.00).`,
				"menuItems priceCents"},
		},
		"DealAboveMenu": {
			[]domain.SubmitLine{{MenuItemID: "gummies", Quantity: 1, UnitPriceCents: 1250, DiscountedUnitPriceCents: cents(1300)}},
			[]domain.LineError{{Index: 0, MenuItemID: "gummies", Field: "discountedUnitPriceCents", SentCents: cents(1300), MenuPriceCents: cents(1250)}},
			[]string{"lines[0].discountedUnitPriceCents is 1300 ($13.00), above the menu price", "1250 ($12.50)"},
		},
		"EveryWrongLine": {
			[]domain.SubmitLine{
				{MenuItemID: "gummies", Quantity: 1, UnitPriceCents: 1250},
				{MenuItemID: "flower", Quantity: 1, UnitPriceCents: 100, DiscountedUnitPriceCents: cents(5000)},
				{MenuItemID: "nope", Quantity: 1, UnitPriceCents: 100},
				{MenuItemID: "gummies", Quantity: 3, UnitPriceCents: 1000},
			},
			[]domain.LineError{
				{Index: 1, MenuItemID: "flower", Field: "unitPriceCents", SentCents: cents(100), MenuPriceCents: cents(3500)},
				{Index: 1, MenuItemID: "flower", Field: "discountedUnitPriceCents", SentCents: cents(5000), MenuPriceCents: cents(3500)},
				{Index: 2, MenuItemID: "nope", Field: "menuItemId"},
				{Index: 3, MenuItemID: "gummies", Field: "unitPriceCents", SentCents: cents(1000), MenuPriceCents: cents(1250)},
			},
			[]string{"lines[1].unitPriceCents", "lines[1].discountedUnitPriceCents", `lines[2].menuItemId "nope" is not on the menu`, "lines[3].unitPriceCents is 1000"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := domain.NewOrder("o", submission(c.lines...), store, menu, time.Unix(0, 0))
			var e *domain.Error
			if !errors.As(err, &e) || e.Code != domain.CodeBadUserInput {
				t.Fatalf("error %v, want BAD_USER_INPUT", err)
			}
			for _, text := range c.texts {
				if !strings.Contains(e.Message, text) {
					t.Errorf("message %q does not say %q", e.Message, text)
				}
			}
			if len(e.Lines) != len(c.want) {
				t.Fatalf("%d wrong lines %+v, want %d", len(e.Lines), e.Lines, len(c.want))
			}
			for i, w := range c.want {
				g := e.Lines[i]
				if g.Index != w.Index || g.MenuItemID != w.MenuItemID || g.Field != w.Field ||
					fmt.Sprint(deref(g.SentCents)) != fmt.Sprint(deref(w.SentCents)) ||
					fmt.Sprint(deref(g.MenuPriceCents)) != fmt.Sprint(deref(w.MenuPriceCents)) || !strings.Contains(e.Message, g.Message) {
					t.Errorf("line error %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func deref(c *int64) any {
	if c == nil {
		return nil
	}
	return *c
}
