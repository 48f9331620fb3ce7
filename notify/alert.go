package notify

import (
	"slices"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// AlertMessage builds the message telling the store's managers that alert a
// was raised or, when resolved is true, that it is over. It is addressed to
// the store's alert emails; times are written in the store's time zone.
func AlertMessage(store domain.Store, a domain.Alert, resolved bool, id string) Message {
	loc := storeLocation(store)
	m := Message{
		ID: id, Kind: KindAlertRaised, To: slices.Clone(store.Notifications.AlertEmails),
		Subject: oneLine("Lightspeed integration alert for " + store.Name + ": " + summary(a.Message)),
		Data:    alertData(store, a),
	}
	details := "\n\nStore: " + store.Name + "\nAlert: " + alertLabel(a.Kind) +
		"\nRaised at: " + when(a.RaisedAt, loc) + "\n"
	if !resolved {
		m.Text = a.Message + details + "\nWe will email you again when this alert is resolved.\n"
		return m
	}
	m.Kind = KindAlertResolved
	m.Subject = "Resolved: " + m.Subject
	resolvedAt := ""
	if a.ResolvedAt != nil {
		resolvedAt = " at " + when(*a.ResolvedAt, loc)
	}
	m.Text = "This alert for " + store.Name + " was resolved" + resolvedAt + ":\n\n" + a.Message + details
	return m
}

func alertData(store domain.Store, a domain.Alert) map[string]any {
	d := map[string]any{
		"alert_id":      a.ID,
		"alert_kind":    string(a.Kind),
		"alert_message": a.Message,
		"store_id":      store.ID,
		"store_name":    store.Name,
		"raised_at":     a.RaisedAt.UTC().Format(time.RFC3339),
	}
	if a.ResolvedAt != nil {
		d["resolved_at"] = a.ResolvedAt.UTC().Format(time.RFC3339)
	}
	return d
}

var alertLabels = map[domain.AlertKind]string{
	domain.AlertPartnerOutage:      "Lightspeed is not answering",
	domain.AlertCredentialsInvalid: "Lightspeed refused the store's credentials",
	domain.AlertOrderNotSent:       "An order did not reach Lightspeed",
}

func alertLabel(k domain.AlertKind) string {
	if l, ok := alertLabels[k]; ok {
		return l
	}
	return string(k)
}

// summary is the first line of s, cut to fit a subject.
func summary(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 120 {
		return strings.TrimSpace(string(r[:119])) + "…"
	}
	return s
}

// storeLocation is the store's time zone, UTC when unknown.
func storeLocation(store domain.Store) *time.Location {
	if loc, err := time.LoadLocation(store.TimeZone); err == nil && store.TimeZone != "" {
		return loc
	}
	return time.UTC
}

func when(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Jan 2, 2006 3:04 PM MST")
}
