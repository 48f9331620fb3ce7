package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// notifySecret is the victim's NOTIFY_WEBHOOK_SECRET.
const notifySecret = "chaos-notify-secret"

// notification is one delivery the receiver accepted.
type notification struct {
	ID             string // the body's id
	IdempotencyKey string
	Kind           string
	OrderID        string
	LeaflyID       string
	Status         string
	At             time.Time
}

// receiver is Leafly's notification endpoint: it checks each request's
// signature and Idempotency-Key (the body's id) and records every delivery,
// repeats included (the checks tell them apart).
type receiver struct {
	srv *http.Server
	url string

	mu         sync.Mutex
	deliveries []notification
	refused    int // bad signature or body
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/notifications"}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close() }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var m struct {
		ID   string         `json:"id"`
		Kind string         `json:"kind"`
		Data map[string]any `json:"data"`
	}
	if err != nil || !signed(req.Header.Get("X-Leafly-Signature"), body) || json.Unmarshal(body, &m) != nil || m.ID == "" ||
		req.Header.Get("Idempotency-Key") != m.ID {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s := func(k string) string { v, _ := m.Data[k].(string); return v }
	n := notification{ID: m.ID, IdempotencyKey: req.Header.Get("Idempotency-Key"), Kind: m.Kind,
		OrderID: s("order_id"), LeaflyID: s("leafly_order_id"), Status: s("status"), At: time.Now()}
	r.mu.Lock()
	r.deliveries = append(r.deliveries, n)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// signed checks X-Leafly-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>, as notify/webhook.go documents it for receivers.
func signed(header string, body []byte) bool {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil || v1 == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(notifySecret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hmac.Equal([]byte(v1), []byte(hex.EncodeToString(mac.Sum(nil))))
}

// snapshot returns the deliveries so far and the count of refused requests.
func (r *receiver) snapshot() ([]notification, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notification(nil), r.deliveries...), r.refused
}
