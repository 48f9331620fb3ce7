package storage

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestStartSend: an attempt fixes the sale id once and counts itself; an
// order no longer queued for the POS starts no attempt.
func TestStartSend(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		o := createQueued(t, db, store, items, "S-1", time.Now().UTC())
		a, ok, err := db.StartSend(ctx, o.ID, "sale-1")
		if err != nil || !ok || a != (SendAttempt{SaleID: "sale-1", Attempts: 1}) {
			t.Fatalf("first attempt: %+v, %v, %v; want sale-1, attempt 1", a, ok, err)
		}
		a, ok, err = db.StartSend(ctx, o.ID, "sale-2")
		if err != nil || !ok || a != (SendAttempt{SaleID: "sale-1", Attempts: 2}) {
			t.Fatalf("second attempt: %+v, %v, %v; want sale-1 kept, attempt 2", a, ok, err)
		}
		stored, err := db.Order(ctx, o.ID)
		if err != nil || stored.PosSync.SaleID == nil || *stored.PosSync.SaleID != "sale-1" || stored.PosSync.Attempts != 2 {
			t.Fatalf("stored posSync %+v, %v; want sale-1 after 2 attempts", stored.PosSync, err)
		}
		if _, _, err := db.UpdateOrder(ctx, o.ID, func(o *domain.Order) error {
			o.PosSync.State = domain.PosSent
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if a, ok, err := db.StartSend(ctx, o.ID, "sale-3"); err != nil || ok {
			t.Errorf("attempt on a sent order: %+v, %v, %v; want none", a, ok, err)
		}
		if _, ok, err := db.StartSend(ctx, "no-such-order", "sale-4"); err != nil || ok {
			t.Errorf("attempt on a missing order: %v, %v; want none", ok, err)
		}
	})
}

// TestUpdateLogsSeveralEvents: an update that changes the posSync and moves
// the status twice logs three events at once, numbered in order, each as
// the log reads it back.
func TestUpdateLogsSeveralEvents(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		at := time.Now().UTC().Truncate(time.Microsecond)
		o := createQueued(t, db, store, items, "E-1", at)
		_, evs, err := db.UpdateOrder(ctx, o.ID, func(o *domain.Order) error {
			o.PosSync.State = domain.PosSent
			for _, s := range []domain.Status{domain.StatusConfirmed, domain.StatusReady} {
				if _, err := o.Move(s, domain.SourcePOS, at); err != nil {
					return err
				}
			}
			return nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		kinds := []domain.OrderUpdateKind{domain.OrderPosSyncChanged, domain.OrderStatusChanged, domain.OrderStatusChanged}
		if len(evs) != len(kinds) {
			t.Fatalf("%d events, want %d", len(evs), len(kinds))
		}
		logged, err := db.EventsAfter(ctx, evs[0].Seq-1, 10)
		if err != nil || len(logged) != len(evs) {
			t.Fatalf("log after the create: %d events, %v; want %d", len(logged), err, len(evs))
		}
		for i, ev := range evs {
			got, want := ev.Update, logged[i].Update
			if ev.Seq != logged[i].Seq || got.StoreSeq != int64(i+2) || got.StoreSeq != want.StoreSeq || got.Kind != kinds[i] || got.Kind != want.Kind {
				t.Errorf("event %d: seq %d, store seq %d, %s; the log has seq %d, store seq %d, %s; want store seq %d, %s",
					i, ev.Seq, got.StoreSeq, got.Kind, logged[i].Seq, want.StoreSeq, want.Kind, i+2, kinds[i])
			}
		}
		if prev := evs[2].OrderStatus.PreviousStatus; prev == nil || *prev != domain.StatusConfirmed {
			t.Errorf("second move's previous status %v, want CONFIRMED", prev)
		}
		checkNumbered(t, db, store.ID)
	})
}

// TestStaleQueuedOrders lists the queued orders that arrived before the
// cutoff and failed an attempt or have not changed since: an old order put
// back on the POS path just now (no error) is left to its send.
func TestStaleQueuedOrders(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		now := time.Now().UTC().Truncate(time.Microsecond)
		old := createQueued(t, db, store, items, "S-OLD", now.Add(-time.Hour))
		failing := createQueued(t, db, store, items, "S-FAILING", now.Add(-time.Hour))
		requeued := createQueued(t, db, store, items, "S-REQUEUED", now.Add(-time.Hour))
		createQueued(t, db, store, items, "S-NEW", now)
		failed := "Lightspeed is having problems"
		for id, change := range map[string]func(o *domain.Order){
			failing.ID:  func(o *domain.Order) { o.PosSync.LastError = &failed },
			requeued.ID: func(o *domain.Order) { o.PosSync.LastError = nil },
		} {
			if _, _, err := db.UpdateOrder(ctx, id, func(o *domain.Order) error { change(o); return nil }, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.StaleQueuedOrders(ctx, now.Add(-10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want := []string{old.ID, failing.ID}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("stale orders %v, want %v (not the one requeued just now, nor the new one)", got, want)
		}
	})
}

// TestOrphanedSends hands to the queue the queued orders whose sender
// stopped beating, never beat, or left the order unchanged since the
// cutoff, clearing their sender in the queue's transaction; an order of a
// live sender, one the queue already holds and one already sent are left
// alone, and a second look finds nothing.
func TestOrphanedSends(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		now := time.Now().UTC().Truncate(time.Microsecond)
		beat := "INSERT INTO job_clients (id, seen_at) VALUES (?, unixepoch('subsec') - ?)"
		if db.postgres {
			beat = "INSERT INTO job_clients (id, seen_at) VALUES (?, now() - make_interval(secs => ?))"
		}
		for client, ago := range map[string]float64{"live": 0, "dead": 3600} {
			if err := db.gorm.Exec(beat, client, ago).Error; err != nil {
				t.Fatal(err)
			}
		}
		order := func(leaflyID, sender string, at time.Time, state domain.PosSyncState) string {
			o := newOrder(t, store, items, leaflyID, at)
			o.PosSync.State, o.PosSync.Sender = state, sender
			created, _, _, err := db.CreateOrder(ctx, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			return created.ID
		}
		live := order("O-LIVE", "live", now, domain.PosQueued)
		dead := order("O-DEAD", "dead", now, domain.PosQueued)
		gone := order("O-GONE", "gone", now, domain.PosQueued)
		dropped := order("O-DROPPED", "live", now.Add(-time.Hour), domain.PosQueued)
		queued := order("O-QUEUED", "", now.Add(-time.Hour), domain.PosQueued)
		sent := order("O-SENT", "dead", now, domain.PosSent)

		var handed []string
		got, err := db.OrphanedSends(ctx, 10*time.Second, now.Add(-10*time.Minute), 100, func(_ Tx, ids []string) error {
			handed = ids
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{dead, gone, dropped}
		slices.Sort(got)
		slices.Sort(handed)
		slices.Sort(want)
		if !slices.Equal(got, want) || !slices.Equal(handed, want) {
			t.Errorf("handed %v (the queue got %v), want %v", got, handed, want)
		}
		for id, sender := range map[string]string{live: "live", dead: "", gone: "", dropped: "", queued: "", sent: "dead"} {
			o, err := db.Order(ctx, id)
			if err != nil || o.PosSync.Sender != sender {
				t.Errorf("order %s: sender %q, %v; want %q", o.LeaflyOrderID, o.PosSync.Sender, err, sender)
			}
		}
		if again, err := db.OrphanedSends(ctx, 10*time.Second, now.Add(-10*time.Minute), 100, func(Tx, []string) error { return nil }); err != nil || len(again) != 0 {
			t.Errorf("second look handed %v, %v; want none", again, err)
		}
	})
}
