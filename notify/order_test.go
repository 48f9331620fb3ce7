package notify_test

import (
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/notify"
)

var testStore = domain.Store{
	ID: "store-1", Name: "Green Leaf Dispensary", TimeZone: "America/Los_Angeles",
	Notifications: domain.NotificationSettings{
		AlertEmails:    []string{"manager@greenleaf.example"},
		NewOrderEmails: []string{"staff@greenleaf.example", "floor@greenleaf.example"},
	},
}

func testOrder(method domain.FulfillmentMethod, status domain.Status) domain.Order {
	o := domain.Order{
		ID: "o-1", StoreID: "store-1", LeaflyOrderID: "LF-1001", Status: status, FulfillmentMethod: method,
		Customer: domain.Customer{FirstName: "Ada", LastName: "Lovelace", Email: new("ada@example.com")},
		Lines: []domain.OrderLine{
			{MenuItemID: "m-1", Name: "Blue Dream 3.5g", Quantity: 2, UnitPriceCents: 3500},
			{MenuItemID: "m-2", Name: "Mango Gummies", Quantity: 1, UnitPriceCents: 2000, DiscountedUnitPriceCents: new(int64(1800)), DealTitle: new("10% off edibles")},
		},
		SubtotalCents: 9000, TotalCents: 8800,
	}
	if method == domain.FulfillmentDelivery {
		o.DeliveryAddress = &domain.Address{Line1: "1 Main St", City: "Oakland", State: "CA", PostalCode: "94607", Country: "US"}
	}
	return o
}

func TestOrderStatusMessage(t *testing.T) {
	tests := []struct {
		method domain.FulfillmentMethod
		status domain.Status
		want   string // in the subject and the text
	}{
		{domain.FulfillmentPickup, domain.StatusPending, "received"},
		{domain.FulfillmentPickup, domain.StatusConfirmed, "Green Leaf Dispensary confirmed your order"},
		{domain.FulfillmentPickup, domain.StatusReady, "ready for pickup"},
		{domain.FulfillmentDelivery, domain.StatusReady, "being prepared for delivery"},
		{domain.FulfillmentDelivery, domain.StatusOutForDelivery, "out for delivery"},
		{domain.FulfillmentDelivery, domain.StatusArrivedAtCustomer, "arrived"},
		{domain.FulfillmentPickup, domain.StatusPickedUp, "complete"},
		{domain.FulfillmentDelivery, domain.StatusPickedUp, "complete"},
		{domain.FulfillmentPickup, domain.StatusCanceled, "canceled"},
		{domain.FulfillmentPickup, domain.StatusExpired, "expired"},
	}
	for _, tt := range tests {
		t.Run(string(tt.method)+"/"+string(tt.status), func(t *testing.T) {
			o := testOrder(tt.method, tt.status)
			m := notify.OrderStatusMessage(testStore, o, new(domain.StatusPending), "outbox-1")
			checkShopperMessage(t, m)
			if !strings.Contains(m.Subject+"\n"+m.Text, tt.want) {
				t.Errorf("got subject %q text %q, want %q in them", m.Subject, m.Text, tt.want)
			}
			if !strings.HasPrefix(m.Subject, "Your Leafly order from Green Leaf Dispensary ") {
				t.Errorf("subject: got %q, want it to start with the store", m.Subject)
			}
			if m.Data["status"] != string(tt.status) || m.Data["previous_status"] != "PENDING" || m.Data["order_id"] != "o-1" ||
				m.Data["leafly_order_id"] != "LF-1001" || m.Data["store_id"] != "store-1" {
				t.Errorf("data: got %v, want the order's ids and statuses", m.Data)
			}
		})
	}
}

func TestOrderStatusMessageCanceled(t *testing.T) {
	for _, reason := range []domain.CancelReason{domain.CancelCustomer, domain.CancelDispensary, domain.CancelPOS, domain.CancelNotPickedUp} {
		t.Run(string(reason), func(t *testing.T) {
			o := testOrder(domain.FulfillmentPickup, domain.StatusCanceled)
			o.CancelReason = new(reason)
			m := notify.OrderStatusMessage(testStore, o, nil, "outbox-1")
			checkShopperMessage(t, m)
			if !strings.Contains(m.Text, reason.Text()) {
				t.Errorf("text: got %q, want the reason %q", m.Text, reason.Text())
			}
			if m.Data["cancel_reason_text"] != reason.Text() {
				t.Errorf("data cancel_reason_text: got %v, want %q", m.Data["cancel_reason_text"], reason.Text())
			}
			if _, ok := m.Data["previous_status"]; ok {
				t.Errorf("data: got previous_status %v, want none when unknown", m.Data["previous_status"])
			}
		})
	}
}

func TestOrderStatusMessageNoEmail(t *testing.T) {
	o := testOrder(domain.FulfillmentPickup, domain.StatusReady)
	o.Customer.Email = nil
	if m := notify.OrderStatusMessage(testStore, o, nil, "outbox-1"); len(m.To) != 0 {
		t.Errorf("To: got %q, want none for a shopper without email", m.To)
	}
}

// checkShopperMessage checks what every shopper message shares.
func checkShopperMessage(t *testing.T, m notify.Message) {
	t.Helper()
	if m.ID != "outbox-1" || m.Kind != notify.KindOrderStatus {
		t.Errorf("got ID %q kind %q, want outbox-1 %s", m.ID, m.Kind, notify.KindOrderStatus)
	}
	if len(m.To) != 1 || m.To[0] != "ada@example.com" {
		t.Errorf("To: got %q, want [ada@example.com]", m.To)
	}
	if !strings.Contains(m.Text, "LF-1001") || !strings.Contains(m.Text, "Green Leaf Dispensary") {
		t.Errorf("text: got %q, want the order number and the store", m.Text)
	}
	checkNoTiming(t, m)
}

// checkNoTiming fails a message that promises timing: Lightspeed's states
// cannot back it.
func checkNoTiming(t *testing.T, m notify.Message) {
	t.Helper()
	for _, word := range []string{"minute", "hour", " soon"} {
		if strings.Contains(strings.ToLower(m.Subject+" "+m.Text), word) {
			t.Errorf("got subject %q text %q, which promises timing (%q)", m.Subject, m.Text, word)
		}
	}
}

func TestNewOrderMessage(t *testing.T) {
	t.Run("Pickup", func(t *testing.T) {
		m := notify.NewOrderMessage(testStore, testOrder(domain.FulfillmentPickup, domain.StatusPending), "outbox-2")
		if m.ID != "outbox-2" || m.Kind != notify.KindNewOrder {
			t.Errorf("got ID %q kind %q, want outbox-2 %s", m.ID, m.Kind, notify.KindNewOrder)
		}
		if strings.Join(m.To, ",") != "staff@greenleaf.example,floor@greenleaf.example" {
			t.Errorf("To: got %q, want the store's new-order emails", m.To)
		}
		for _, want := range []string{"LF-1001", "Pickup", "Ada Lovelace", "2 x Blue Dream 3.5g", "$70.00", "1 x Mango Gummies", "$18.00", "10% off edibles", "Total: $88.00"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text: got %q, want %q in it", m.Text, want)
			}
		}
		if !strings.Contains(m.Subject, "LF-1001") || !strings.Contains(m.Subject, "pickup") {
			t.Errorf("subject: got %q, want the order number and pickup", m.Subject)
		}
		if m.Data["total_cents"] != int64(8800) || m.Data["order_id"] != "o-1" {
			t.Errorf("data: got %v, want total_cents 8800 and order_id o-1", m.Data)
		}
		checkNoTiming(t, m)
	})
	t.Run("Delivery", func(t *testing.T) {
		m := notify.NewOrderMessage(testStore, testOrder(domain.FulfillmentDelivery, domain.StatusPending), "outbox-2")
		for _, want := range []string{"Delivery", "1 Main St, Oakland, CA 94607"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text: got %q, want %q in it", m.Text, want)
			}
		}
	})
	t.Run("LargeTotal", func(t *testing.T) {
		o := testOrder(domain.FulfillmentPickup, domain.StatusPending)
		o.SubtotalCents, o.TotalCents = 123456, 123456
		if m := notify.NewOrderMessage(testStore, o, "outbox-2"); !strings.Contains(m.Text, "Total: $1,234.56") {
			t.Errorf("text: got %q, want Total: $1,234.56", m.Text)
		}
	})
}
