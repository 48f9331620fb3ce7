package domain_test

import (
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

func TestApplySale(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		from domain.Status
		sale domain.Sale
		want []domain.Status
	}{
		{"Created", "PENDING", domain.Sale{State: "pending"}, []domain.Status{"CONFIRMED"}},
		{"Packed", "CONFIRMED", domain.Sale{State: "pending", Packed: true}, []domain.Status{"READY"}},
		{"ClosedAfterReady", "READY", domain.Sale{State: "closed"}, []domain.Status{"PICKED_UP"}},
		{"ClosedSkippingReady", "CONFIRMED", domain.Sale{State: "closed"}, []domain.Status{"READY", "PICKED_UP"}},
		{"Voided", "CONFIRMED", domain.Sale{State: "voided"}, []domain.Status{"CANCELED"}},
		{"Deleted", "READY", domain.Sale{State: "pending", Deleted: true}, []domain.Status{"CANCELED"}},
		{"Repeated", "CONFIRMED", domain.Sale{State: "pending"}, nil},
		{"Backward", "READY", domain.Sale{State: "pending"}, nil},
		{"AfterTerminal", "PICKED_UP", domain.Sale{State: "voided"}, nil},
		{"Unknown", "CONFIRMED", domain.Sale{State: "parked"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := &domain.Order{Status: c.from, FulfillmentMethod: domain.FulfillmentPickup}
			changes := o.ApplySale(c.sale, at)
			var got []domain.Status
			for _, ch := range changes {
				got = append(got, ch.Status)
				if ch.Source != domain.SourcePOS {
					t.Errorf("source %s, want POS", ch.Source)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("moves %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("moves %v, want %v", got, c.want)
				}
			}
			if c.name == "Voided" && o.CancelReasonText() != nil && *o.CancelReasonText() != "Canceled by dispensary" {
				t.Errorf("cancel text %q", *o.CancelReasonText())
			}
		})
	}
}

func TestFulfillmentPacked(t *testing.T) {
	cases := []struct {
		state string
		want  bool
	}{
		{"OPEN", false},
		{"PICKED", false},
		{"PACKED", true},
		{"FULFILLED", true},
		{"packed", true},
		{"Fulfilled", true},
		{"", false},
		{"CANCELLED", false},
	}
	for _, c := range cases {
		t.Run(c.state, func(t *testing.T) {
			if got := domain.FulfillmentPacked(c.state); got != c.want {
				t.Errorf("FulfillmentPacked(%q) = %v, want %v", c.state, got, c.want)
			}
		})
	}
}
