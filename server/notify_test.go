package main

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Notifications: one per status change for the shopper, one per new order
// for the store, through a real HTTP endpoint and a real SMTP server.

// inbox collects what the notifiers send.
type inbox struct {
	mu   sync.Mutex
	msgs []map[string]any
}

func (in *inbox) add(m map[string]any) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, m)
}

// wait returns the messages once there are n of them.
func (in *inbox) wait(t *testing.T, n int) []map[string]any {
	t.Helper()
	var out []map[string]any
	waitFor(t, "notifications", 20*time.Second, func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		out = append([]map[string]any(nil), in.msgs...)
		return len(out) >= n
	})
	return out
}

const notificationFlow = `mutation($id: ID!, $s: OrderStatus!) { setOrderStatus(id: $id, status: $s) { status } }`

// walkOrder submits an order for the fixture's store with newOrderEmails set
// and moves it CONFIRMED → READY → PICKED_UP.
func walkOrder(t *testing.T, s *testServer) {
	t.Helper()
	f := newFixture(t, s)
	s.MustDo(t, f.Manager, `mutation($s: ID!) { updateNotificationSettings(input: {storeId: $s, alertEmails: ["ops@dispensary.example"], newOrderEmails: ["orders@dispensary.example"]}) { newOrderEmails } }`,
		map[string]any{"s": f.StoreID})
	id := f.submit(t, s, "N-1")
	for _, st := range []string{"CONFIRMED", "READY", "PICKED_UP"} {
		s.MustDo(t, f.Staff, notificationFlow, map[string]any{"id": id, "s": st})
	}
}

func TestNotificationsByWebhook(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		got := &inbox{}
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			_ = json.NewDecoder(r.Body).Decode(&m)
			if r.Header.Get("X-Leafly-Signature") == "" || r.Header.Get("Idempotency-Key") != m["id"] {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			got.add(m)
		}))
		defer hook.Close()
		env := map[string]string{"NOTIFY_WEBHOOK_URL": hook.URL, "NOTIFY_WEBHOOK_SECRET": "notify-secret"}
		for k, v := range db.env {
			env[k] = v
		}
		s := startServer(t, env)
		walkOrder(t, s)
		msgs := got.wait(t, 4)
		kinds := map[string]int{}
		ids := map[any]bool{}
		for _, m := range msgs {
			kinds[str(m["kind"])]++
			ids[m["id"]] = true
		}
		if kinds["new_order"] != 1 || kinds["order_status"] != 3 || len(ids) != len(msgs) {
			t.Errorf("notifications %v (ids %d of %d), want one new_order and three order_status, each once", kinds, len(ids), len(msgs))
		}
	})
}

// smtpInbox is a real SMTP server collecting mail.
type smtpInbox struct{ inbox }

func (b *smtpInbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: b}, nil }

type smtpSession struct {
	box *smtpInbox
	to  []string
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	s.box.add(map[string]any{"to": strings.Join(s.to, ","), "subject": msg.Header.Get("Subject")})
	return nil
}
func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }

func TestNotificationsByEmail(t *testing.T) {
	t.Parallel()
	box := &smtpInbox{}
	srv := smtp.NewServer(box)
	srv.Domain, srv.ErrorLog = "localhost", log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "SMTP_URL": "smtp://" + ln.Addr().String() + "?starttls=false",
		"NOTIFY_FROM": "Leafly <orders@leafly.example>"})
	walkOrder(t, s)
	msgs := box.wait(t, 4)
	var toStore, toShopper int
	for _, m := range msgs {
		switch m["to"] {
		case "orders@dispensary.example":
			toStore++
		case "ada@example.com":
			toShopper++
		}
	}
	if toStore != 1 || toShopper != 3 {
		t.Errorf("mail %v: want one to the store and three to the shopper", msgs)
	}
}
