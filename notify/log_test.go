package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/leafly/lightspeed-orders/notify"
)

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	l := notify.NewLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	m := notify.Message{ID: "outbox-1", Kind: notify.KindNewOrder, Subject: "New order", Data: map[string]any{"order_id": "o-1"}}
	if err := l.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	var rec struct {
		Level, Msg, ID, Kind, Subject string
		Data                          map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	if rec.Level != "INFO" || rec.ID != m.ID || rec.Kind != m.Kind || rec.Subject != m.Subject || rec.Data["order_id"] != "o-1" {
		t.Errorf("log line: got %s, want INFO with the message's id, kind, subject and data", buf.String())
	}
}
