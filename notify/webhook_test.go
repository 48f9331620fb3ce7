package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/notify"
)

const webhookSecret = "whsec_test"

// endpoint is Leafly's notification endpoint as the tests fake it: it
// answers with status and keeps the last request.
type endpoint struct {
	*httptest.Server
	status int

	mu     sync.Mutex
	header http.Header
	body   []byte
}

func MustStartEndpoint(tb testing.TB, status int) *endpoint {
	tb.Helper()
	e := &endpoint{status: status}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.header, e.body = r.Header.Clone(), body
		e.mu.Unlock()
		if r.Method != http.MethodPost {
			http.Error(w, "want POST", http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(e.status)
		fmt.Fprintf(w, `{"status":%d}`, e.status)
	}))
	tb.Cleanup(e.Close)
	return e
}

func (e *endpoint) last() (http.Header, []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.header, e.body
}

func MustNewWebhook(tb testing.TB, url string) *notify.Webhook {
	tb.Helper()
	w, err := notify.NewWebhook(notify.WebhookConfig{URL: url, Secret: webhookSecret})
	if err != nil {
		tb.Fatalf("NewWebhook: %v", err)
	}
	return w
}

// verify checks a signature the way Webhook's doc comment tells receivers
// to: HMAC-SHA256 over "<t>.<body>", and t within five minutes of now.
func verify(header string, body []byte, secret string, now time.Time) error {
	var ts, v1 string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", ts, err)
	}
	if d := now.Sub(time.Unix(t, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %d is %v away from now", t, d)
	}
	got, err := hex.DecodeString(v1)
	if err != nil {
		return fmt.Errorf("v1 %q: %w", v1, err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("signature mismatch")
	}
	return nil
}

func TestWebhook(t *testing.T) {
	m := notify.Message{
		ID: "outbox-42", Kind: notify.KindOrderStatus, To: []string{"shopper@example.com"},
		Subject: "Your Leafly order from Café Verde is complete", Text: "Thank you.\n",
		Data: map[string]any{"order_id": "o-1", "status": "PICKED_UP"},
	}
	t.Run("OK", func(t *testing.T) {
		e := MustStartEndpoint(t, http.StatusAccepted)
		if err := MustNewWebhook(t, e.URL).Notify(context.Background(), m); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		h, body := e.last()
		if err := verify(h.Get("X-Leafly-Signature"), body, webhookSecret, time.Now()); err != nil {
			t.Errorf("signature %q: %v", h.Get("X-Leafly-Signature"), err)
		}
		if err := verify(h.Get("X-Leafly-Signature"), body, "another secret", time.Now()); err == nil {
			t.Error("signature verifies with the wrong secret")
		}
		if got := h.Get("Idempotency-Key"); got != m.ID {
			t.Errorf("Idempotency-Key: got %q, want %q", got, m.ID)
		}
		if got := h.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type: got %q, want application/json", got)
		}
		var got struct {
			ID, Kind, Subject, Text string
			To                      []string
			Data                    map[string]any
			SentAt                  time.Time `json:"sent_at"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		if got.ID != m.ID || got.Kind != m.Kind || got.Subject != m.Subject || got.Text != m.Text ||
			len(got.To) != 1 || got.To[0] != m.To[0] || got.Data["order_id"] != "o-1" || time.Since(got.SentAt) > time.Minute {
			t.Errorf("body: got %s, want the message's fields", body)
		}
	})
	t.Run("NoRecipients", func(t *testing.T) {
		e := MustStartEndpoint(t, http.StatusOK)
		bare := notify.Message{ID: "outbox-43", Kind: notify.KindOrderStatus}
		if err := MustNewWebhook(t, e.URL).Notify(context.Background(), bare); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		_, body := e.last()
		if !strings.Contains(string(body), `"to":[]`) || !strings.Contains(string(body), `"data":{}`) {
			t.Errorf("body: got %s, want \"to\":[] and \"data\":{}", body)
		}
	})
	tests := []struct {
		status   int
		rejected bool
	}{
		{http.StatusOK, false},
		{http.StatusNoContent, false},
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusNotFound, true},
		{http.StatusUnprocessableEntity, true},
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusServiceUnavailable, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("Status%d", tt.status), func(t *testing.T) {
			e := MustStartEndpoint(t, tt.status)
			err := MustNewWebhook(t, e.URL).Notify(context.Background(), m)
			switch {
			case tt.status < 300 && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.status >= 300 && err == nil:
				t.Fatal("got nil error")
			case errors.Is(err, notify.ErrRejected) != tt.rejected:
				t.Fatalf("got %v: errors.Is(err, ErrRejected) = %v, want %v", err, !tt.rejected, tt.rejected)
			}
		})
	}
	t.Run("ErrTransport", func(t *testing.T) {
		e := MustStartEndpoint(t, http.StatusOK)
		e.Close()
		err := MustNewWebhook(t, e.URL).Notify(context.Background(), m)
		if err == nil || errors.Is(err, notify.ErrRejected) {
			t.Fatalf("got %v, want a retryable error", err)
		}
	})
}

func TestNewWebhook(t *testing.T) {
	tests := []struct {
		name string
		cfg  notify.WebhookConfig
		want string
	}{
		{"ErrNoURL", notify.WebhookConfig{Secret: "s"}, "URL is empty"},
		{"ErrRelativeURL", notify.WebhookConfig{URL: "/notify", Secret: "s"}, "absolute"},
		{"ErrScheme", notify.WebhookConfig{URL: "ftp://leafly.example/notify", Secret: "s"}, "http"},
		{"ErrNoSecret", notify.WebhookConfig{URL: "https://leafly.example/notify"}, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notify.NewWebhook(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
