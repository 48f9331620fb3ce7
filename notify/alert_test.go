package notify_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the store time zones, whatever the machine has

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/notify"
)

func TestAlertMessage(t *testing.T) {
	raised := time.Date(2025, 3, 1, 18, 30, 0, 0, time.UTC)
	a := domain.Alert{
		ID: "alert-1", StoreID: "store-1", Kind: domain.AlertPartnerOutage, RaisedAt: raised,
		Message: "Lightspeed is not answering: orders will be sent when it is back.",
	}
	t.Run("Raised", func(t *testing.T) {
		m := notify.AlertMessage(testStore, a, false, "outbox-3")
		if m.Kind != notify.KindAlertRaised || strings.Join(m.To, ",") != "manager@greenleaf.example" {
			t.Errorf("got kind %q to %q, want %s to the store's alert emails", m.Kind, m.To, notify.KindAlertRaised)
		}
		if !strings.Contains(m.Subject, a.Message) || !strings.Contains(m.Subject, testStore.Name) || !strings.Contains(m.Text, a.Message) {
			t.Errorf("got subject %q text %q, want the alert's message and the store", m.Subject, m.Text)
		}
		if !strings.Contains(m.Text, "Mar 1, 2025 10:30 AM PST") {
			t.Errorf("text: got %q, want the raise time in the store's time zone", m.Text)
		}
		if m.Data["alert_kind"] != "PARTNER_OUTAGE" || m.Data["alert_id"] != "alert-1" || m.Data["store_id"] != "store-1" {
			t.Errorf("data: got %v, want the alert's kind and ids", m.Data)
		}
	})
	t.Run("Resolved", func(t *testing.T) {
		a := a
		a.ResolvedAt = new(raised.Add(90 * time.Minute))
		m := notify.AlertMessage(testStore, a, true, "outbox-4")
		if m.Kind != notify.KindAlertResolved || !strings.HasPrefix(m.Subject, "Resolved") {
			t.Errorf("got kind %q subject %q, want %s and a Resolved subject", m.Kind, m.Subject, notify.KindAlertResolved)
		}
		if !strings.Contains(m.Text, "resolved at Mar 1, 2025 12:00 PM PST") || !strings.Contains(m.Text, a.Message) {
			t.Errorf("text: got %q, want the resolution time and the alert's message", m.Text)
		}
		if m.Data["resolved_at"] != "2025-03-01T20:00:00Z" {
			t.Errorf("data resolved_at: got %v, want 2025-03-01T20:00:00Z", m.Data["resolved_at"])
		}
	})
	t.Run("LongMessage", func(t *testing.T) {
		a := a
		a.Message = strings.Repeat("Lightspeed refused the sale. ", 20) + "\nSecond line."
		m := notify.AlertMessage(testStore, a, false, "outbox-5")
		if strings.ContainsAny(m.Subject, "\r\n") || len([]rune(m.Subject)) > 200 {
			t.Errorf("subject: got %q, want one line of at most 200 characters", m.Subject)
		}
	})
}
