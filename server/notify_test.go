package main

import (
	"context"
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

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/storage"
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
		// Sent right after commit, each in one attempt, by no job.
		sqlDB := s.Storage(t).SQL()
		waitFor(t, "four notifications recorded as sent", 10*time.Second, func() bool {
			return countRows(t, sqlDB, `SELECT count(*) FROM notifications WHERE sent_at IS NOT NULL AND attempts = 1 AND queued_at IS NULL`) == 4
		})
		if n := countRows(t, sqlDB, `SELECT count(*) FROM river_job WHERE kind = 'send_notification'`); n != 0 {
			t.Errorf("%d send_notification jobs, want none: a notification whose first attempt succeeds takes no job", n)
		}
	})
}

// hookEnv starts a notification webhook receiver answering with reply and
// returns the server settings that send to it.
func hookEnv(t *testing.T, db database, reply func(m map[string]any) int) map[string]string {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		w.WriteHeader(reply(m))
	}))
	t.Cleanup(hook.Close)
	env := map[string]string{"NOTIFY_WEBHOOK_URL": hook.URL, "NOTIFY_WEBHOOK_SECRET": "notify-secret"}
	for k, v := range db.env {
		env[k] = v
	}
	return env
}

// TestNotificationRetriedByTheQueue: a notification whose attempt after
// commit fails is handed to the job queue, which sends it a second later;
// one the receiver rejects is recorded and not retried.
func TestNotificationRetriedByTheQueue(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		got := &inbox{}
		var mu sync.Mutex
		seen := map[string]bool{}
		s := startServer(t, hookEnv(t, db, func(m map[string]any) int {
			if m["kind"] == "new_order" {
				return http.StatusUnprocessableEntity
			}
			mu.Lock()
			defer mu.Unlock()
			if id := str(m["id"]); !seen[id] {
				seen[id] = true
				return http.StatusServiceUnavailable
			}
			got.add(m)
			return http.StatusOK
		}))
		walkOrder(t, s)
		if msgs := got.wait(t, 3); len(msgs) != 3 {
			t.Errorf("%d shopper notifications delivered, want 3", len(msgs))
		}
		sqlDB := s.Storage(t).SQL()
		waitFor(t, "three notifications sent on their second attempt", 10*time.Second, func() bool {
			return countRows(t, sqlDB, `SELECT count(*) FROM notifications
				WHERE kind = 'order_status' AND sent_at IS NOT NULL AND attempts = 2 AND queued_at IS NOT NULL AND last_error LIKE '%503%'`) == 3
		})
		if n := countRows(t, sqlDB, `SELECT count(*) FROM notifications
			WHERE kind = 'new_order' AND sent_at IS NULL AND attempts = 1 AND queued_at IS NULL AND last_error LIKE '%422%'`); n != 1 {
			t.Errorf("%d rejected new_order notifications recorded as attempted once and not queued, want 1", n)
		}
		if n := countRows(t, sqlDB, `SELECT count(*) FROM river_job WHERE kind = 'send_notification'`); n != 3 {
			t.Errorf("%d send_notification jobs, want 3: one per failed attempt, none for the rejection", n)
		}
	})
}

// TestNotificationNeverAttemptedIsSwept: a change that committed without
// its process sending its notification (the process stopped in between) is
// sent by the sweep once orphanedAfter old; one already attempted, queued,
// sent or still young is left alone.
func TestNotificationNeverAttemptedIsSwept(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		got := &inbox{}
		env := hookEnv(t, db, func(m map[string]any) int {
			got.add(m)
			return http.StatusOK
		})
		s := startServer(t, env)
		f := newFixture(t, s)
		id := f.submit(t, s, "N-1")
		got.wait(t, 1)
		s.Stop(t)

		// What a process stopped between commit and send leaves: the
		// change's notifications written, none attempted.
		st := s.Storage(t)
		now := time.Now().UTC()
		old := now.Add(-time.Minute)
		failed, prev := "status 422", domain.Status("PENDING")
		row := func(status domain.Status, at time.Time) domain.Notification {
			return domain.Notification{ID: "order_status:" + id + ":" + string(status), Kind: domain.NotifyOrderStatus, StoreID: f.StoreID,
				OrderID: &id, Status: &status, PreviousStatus: &prev, CreatedAt: at}
		}
		orphan, young, rejected, queued, sent := row("CONFIRMED", old), row("READY", now), row("PICKED_UP", old), row("CANCELED", old), row("EXPIRED", old)
		rejected.Attempts, rejected.LastError = 1, &failed
		queued.QueuedAt, sent.SentAt, sent.Attempts = &old, &old, 1
		_, _, err := st.UpdateOrder(context.Background(), id, func(*domain.Order) error { return nil }, func(tx storage.Tx, _ []domain.Event) error {
			for _, n := range []domain.Notification{orphan, young, rejected, queued, sent} {
				if err := tx.AddNotification(n, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		startServer(t, env)
		msgs := got.wait(t, 2)
		if msgs[1]["id"] != orphan.ID {
			t.Errorf("sent %v after the restart, want %s", msgs[1]["id"], orphan.ID)
		}
		sqlDB := st.SQL()
		waitFor(t, "the orphan recorded as sent", 10*time.Second, func() bool {
			return countRows(t, sqlDB, `SELECT count(*) FROM notifications WHERE id = '`+orphan.ID+`' AND sent_at IS NOT NULL AND queued_at IS NOT NULL`) == 1
		})
		if n := countRows(t, sqlDB, `SELECT count(*) FROM river_job WHERE kind = 'send_notification'`); n != 1 {
			t.Errorf("%d send_notification jobs, want 1 (the orphan's)", n)
		}
		if n := countRows(t, sqlDB, `SELECT count(*) FROM notifications WHERE queued_at IS NOT NULL`); n != 2 {
			t.Errorf("%d notifications queued, want 2 (the orphan and the one queued before)", n)
		}
		if msgs := got.wait(t, 2); len(msgs) != 2 {
			t.Errorf("%d notifications delivered, want 2: %v", len(msgs), msgs)
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
