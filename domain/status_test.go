package domain_test

import (
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

var all = []domain.Status{
	domain.StatusPending, domain.StatusConfirmed, domain.StatusReady, domain.StatusOutForDelivery,
	domain.StatusArrivedAtCustomer, domain.StatusPickedUp, domain.StatusCanceled, domain.StatusExpired,
}

func TestCanMove(t *testing.T) {
	P, D := domain.FulfillmentPickup, domain.FulfillmentDelivery
	cases := []struct {
		method   domain.FulfillmentMethod
		from, to domain.Status
		want     bool
	}{
		{P, "PENDING", "CONFIRMED", true},
		{P, "PENDING", "READY", true},
		{P, "PENDING", "PICKED_UP", true},
		{P, "CONFIRMED", "READY", true},
		{P, "READY", "PICKED_UP", true},
		{D, "READY", "OUT_FOR_DELIVERY", true},
		{D, "OUT_FOR_DELIVERY", "ARRIVED_AT_CUSTOMER", true},
		{D, "ARRIVED_AT_CUSTOMER", "PICKED_UP", true},
		{D, "PENDING", "ARRIVED_AT_CUSTOMER", true},
		{P, "READY", "OUT_FOR_DELIVERY", false},
		{P, "PENDING", "ARRIVED_AT_CUSTOMER", false},
		{P, "CONFIRMED", "CONFIRMED", false},
		{P, "READY", "CONFIRMED", false},
		{D, "ARRIVED_AT_CUSTOMER", "OUT_FOR_DELIVERY", false},
		{P, "PICKED_UP", "CANCELED", false},
		{P, "CANCELED", "PENDING", false},
		{P, "EXPIRED", "CANCELED", false},
		{P, "PENDING", "CANCELED", true},
		{D, "OUT_FOR_DELIVERY", "CANCELED", true},
		{P, "READY", "EXPIRED", true},
		{P, "PENDING", "PENDING", false},
		{P, "PENDING", "SHIPPED", false},
		{P, "UNKNOWN", "READY", false},
	}
	for _, c := range cases {
		if got := domain.CanMove(c.method, c.from, c.to); got != c.want {
			t.Errorf("CanMove(%s, %s → %s) = %v, want %v", c.method, c.from, c.to, got, c.want)
		}
	}
}

func TestNoStatusRepeatsOrReverses(t *testing.T) {
	for _, m := range []domain.FulfillmentMethod{domain.FulfillmentPickup, domain.FulfillmentDelivery} {
		for i, from := range all {
			for j, to := range all {
				if domain.CanMove(m, from, to) && (from.Terminal() || (j <= i && !to.Terminal())) {
					t.Errorf("%s: %s → %s allowed", m, from, to)
				}
			}
		}
	}
}

func TestMoveRecordsHistory(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	o := &domain.Order{Status: domain.StatusPending, FulfillmentMethod: domain.FulfillmentPickup}
	if _, err := o.Move(domain.StatusReady, domain.SourceDashboard, at); err != nil {
		t.Fatalf("Move: %v", err)
	}
	_, err := o.Move(domain.StatusConfirmed, domain.SourcePOS, at)
	if got := domain.ErrorCode(err); got != domain.CodeConflict {
		t.Fatalf("backward move: code %q, want CONFLICT", got)
	}
	if _, err := o.Cancel(domain.CancelDispensary, domain.SourcePOS, at); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	want := []domain.StatusChange{{domain.StatusReady, domain.SourceDashboard, at}, {domain.StatusCanceled, domain.SourcePOS, at}}
	if len(o.StatusHistory) != len(want) {
		t.Fatalf("history %v, want %v", o.StatusHistory, want)
	}
	for i := range want {
		if o.StatusHistory[i] != want[i] {
			t.Errorf("history[%d] = %v, want %v", i, o.StatusHistory[i], want[i])
		}
	}
	if got := *o.CancelReasonText(); got != "Canceled by dispensary" {
		t.Errorf("cancel text %q, want %q", got, "Canceled by dispensary")
	}
}
