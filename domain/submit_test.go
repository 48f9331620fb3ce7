package domain_test

import (
	"testing"

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
