package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookConfig configures a Webhook notifier.
type WebhookConfig struct {
	// URL is Leafly's notification endpoint (NOTIFY_WEBHOOK_URL).
	URL string
	// Secret keys the request signature (NOTIFY_WEBHOOK_SECRET).
	Secret string
	// HTTPClient sends the requests; nil means a client with a 10s timeout.
	HTTPClient *http.Client
}

// Webhook is the Notifier that POSTs each message as JSON to Leafly's
// notification endpoint, which passes it on (email, push) by kind.
//
// The body is {"id", "kind", "to", "subject", "text", "data", "sent_at"},
// with "to" an array (empty for a shopper without an email address), "data"
// an object and "sent_at" an RFC 3339 time. The headers are:
//
//	Content-Type: application/json
//	Idempotency-Key: <id>
//	X-Leafly-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// To verify a request, a receiver computes HMAC-SHA256 keyed with the shared
// secret over the ASCII decimal t, a period and the raw request body
// ("<t>.<body>"), hex-encodes it and compares it with v1 in constant time. It
// then refuses a t too far from its own clock (five minutes, say), so a
// captured request cannot be replayed later, and drops a repeated
// Idempotency-Key, which stays the same across retries of one message.
//
// A 2xx answer means sent. Any other 4xx but 408 and 429 wraps ErrRejected;
// 408, 429, 5xx and transport errors are retryable.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
}

var _ Notifier = (*Webhook)(nil)

// NewWebhook validates cfg and returns a Webhook notifier.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	switch {
	case cfg.URL == "":
		return nil, errors.New("notify: webhook URL is empty")
	case err != nil:
		return nil, fmt.Errorf("notify: webhook URL: %w", err)
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		return nil, fmt.Errorf("notify: webhook URL %q: want an absolute http or https URL", cfg.URL)
	case cfg.Secret == "":
		return nil, errors.New("notify: webhook secret is empty: receivers could not verify the requests")
	}
	w := &Webhook{url: cfg.URL, secret: []byte(cfg.Secret), client: cfg.HTTPClient}
	if w.client == nil {
		w.client = &http.Client{Timeout: 10 * time.Second}
	}
	return w, nil
}

// webhookBody is the JSON the endpoint receives.
type webhookBody struct {
	ID      string         `json:"id"`
	Kind    string         `json:"kind"`
	To      []string       `json:"to"`
	Subject string         `json:"subject"`
	Text    string         `json:"text"`
	Data    map[string]any `json:"data"`
	SentAt  time.Time      `json:"sent_at"`
}

// Notify posts m, signed, to the endpoint.
func (w *Webhook) Notify(ctx context.Context, m Message) error {
	now := time.Now()
	body, err := json.Marshal(webhookBody{
		ID: m.ID, Kind: m.Kind, To: orEmpty(m.To), Subject: m.Subject, Text: m.Text,
		Data: orEmptyMap(m.Data), SentAt: now.UTC().Truncate(time.Second),
	})
	if err != nil {
		return fmt.Errorf("webhook %s %s: encode: %v: %w", m.Kind, m.ID, err, ErrRejected)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s %s: %w", m.Kind, m.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leafly-lightspeed-orders")
	req.Header.Set("Idempotency-Key", m.ID)
	req.Header.Set("X-Leafly-Signature", w.sign(now, body))
	if err := w.do(req); err != nil {
		return fmt.Errorf("webhook %s %s: %w", m.Kind, m.ID, err)
	}
	return nil
}

// sign returns the X-Leafly-Signature value for body sent at t.
func (w *Webhook) sign(t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, w.secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// do sends req and classifies the answer.
func (w *Webhook) do(req *http.Request) error {
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 500, code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return fmt.Errorf("status %d: %q", code, snippet)
	default:
		return fmt.Errorf("status %d: %q: %w", code, snippet, ErrRejected)
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
