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
