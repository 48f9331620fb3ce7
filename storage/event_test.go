package storage

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestOrderUpdatesCommitInNumberOrder: while writers change one store's
// orders at once, every read of the store's logged updates sees them
// numbered 1, 2, 3… with no hole, in log order. A hole would be an update
// committed before one with a lower number: a replay after a cursor read
// then would skip the late one for good.
func TestOrderUpdatesCommitInNumberOrder(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		const writers, changes = 6, 15
		stop := make(chan struct{})
		checked := make(chan int)
		go func() {
			reads := 0
			defer func() { checked <- reads }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				checkNumbered(t, db, store.ID)
				reads++
			}
		}()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				writeChanges(t, db, store, items, fmt.Sprintf("W%d", w), changes)
			}()
		}
		wg.Wait()
		close(stop)
		reads := <-checked
		n := checkNumbered(t, db, store.ID)
		if want := writers * (1 + changes); n != want {
			t.Errorf("%d updates logged, want %d", n, want)
		}
		at, err := db.LatestOrderUpdate(ctx, store.ID)
		if err != nil || at.StoreSeq != int64(n) {
			t.Errorf("LatestOrderUpdate = %+v, %v; want store seq %d", at, err, n)
		}
		t.Logf("%d reads of the log during %d concurrent writes", reads, n)
	})
}

// writeChanges creates an order and changes its posSync warning n times,
// each change one logged update.
func writeChanges(t *testing.T, db *DB, store *domain.Store, items map[string]domain.MenuItem, id string, n int) {
	o, _, _, err := db.CreateOrder(context.Background(), newOrder(t, store, items, id, time.Now().UTC()), nil)
	if err != nil {
		t.Errorf("create %s: %v", id, err)
		return
	}
	for i := range n {
		_, _, err := db.UpdateOrder(context.Background(), o.ID, func(o *domain.Order) error {
			w := fmt.Sprintf("warning %d", i)
			o.PosSync.Warning = &w
			return nil
		}, nil)
		if err != nil {
			t.Errorf("update %s: %v", id, err)
			return
		}
	}
}

// checkNumbered reads the store's logged updates in one statement, fails
// unless they are numbered 1..n in log order, and returns n.
func checkNumbered(t *testing.T, db *DB, storeID string) int {
	var nums []int64
	err := db.gorm.Raw("SELECT store_seq FROM events WHERE store_id = ? AND order_id IS NOT NULL ORDER BY seq", storeID).
		Scan(&nums).Error
	if err != nil {
		t.Errorf("read the log: %v", err)
	}
	for i, n := range nums {
		if n != int64(i+1) {
			t.Errorf("update %d of the log is numbered %d: %v", i+1, n, nums)
			return len(nums)
		}
	}
	return len(nums)
}

// TestOrderUpdateMark: where a replay after a cursor starts, and when the
// first update after it occurred.
func TestOrderUpdateMark(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		m, ok, err := db.OrderUpdateMark(ctx, store.ID, 0)
		if err != nil || !ok || m != (OrderUpdateMark{}) {
			t.Errorf("a store without updates: mark %+v, %v, %v; want the zero mark", m, ok, err)
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		_, _, first, err := db.CreateOrder(ctx, newOrder(t, store, items, "M-1", at), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, second, err := db.CreateOrder(ctx, newOrder(t, store, items, "M-2", at.Add(time.Second)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if m, ok, err := db.OrderUpdateMark(ctx, store.ID, 0); err != nil || !ok || !m.Next.Equal(at) {
			t.Errorf("mark before the first update: %+v, %v, %v; want next %v", m, ok, err, at)
		}
		want := OrderUpdateMark{At: UpdatePosition{Seq: first[0].Seq, StoreSeq: 1}, Next: at.Add(time.Second)}
		if m, ok, err := db.OrderUpdateMark(ctx, store.ID, first[0].Seq); err != nil || !ok || m.At != want.At || !m.Next.Equal(want.Next) {
			t.Errorf("mark of the first update: %+v, %v, %v; want %+v", m, ok, err, want)
		}
		if m, ok, err := db.OrderUpdateMark(ctx, store.ID, second[0].Seq); err != nil || !ok || !m.Next.IsZero() || m.At.StoreSeq != 2 {
			t.Errorf("mark of the latest update: %+v, %v, %v; want store seq 2 and no next", m, ok, err)
		}
		if _, ok, err := db.OrderUpdateMark(ctx, "another-store", first[0].Seq); err != nil || ok {
			t.Errorf("another store's update: %v, %v; want not found", ok, err)
		}
		if at, err := db.LatestOrderUpdate(ctx, store.ID); err != nil || at != (UpdatePosition{Seq: second[0].Seq, StoreSeq: 2}) {
			t.Errorf("LatestOrderUpdate = %+v, %v", at, err)
		}
	})
}

// TestPruneEvents: pruning keeps every update a resume that would be
// accepted replays, and the cursor it starts from, in a store with recent
// updates, in a quiet store (its latest update, whatever its age), and
// where an old update was logged after a recent one; it deletes the rest
// of what is older than the cutoff, order updates and alerts alike.
func TestPruneEvents(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		cutoff := now.Add(-25 * time.Hour)
		day := 24 * time.Hour
		// Each store's updates, logged in this order, by how old they are.
		ages := map[string][]time.Duration{
			"busy":     {3 * day, 2 * day, time.Hour, 0},
			"quiet":    {3 * day, 2 * day},
			"reversed": {3 * day, time.Hour, 2 * day},
			"fresh":    {time.Hour},
		}
		// The seqs each store keeps: what a resume accepted after cutoff can read.
		keep := map[string][]int{"busy": {1, 2, 3}, "quiet": {1}, "reversed": {0, 1, 2}, "fresh": {0}}
		seqs, stores := map[string][]int64{}, map[string]string{}
		for name, list := range ages {
			t.Run(name, func(t *testing.T) {
				s, items := seedStore(t, db)
				for i, age := range list {
					_, _, evs, err := db.CreateOrder(ctx, newOrder(t, s, items, fmt.Sprintf("P-%s-%d", name, i), now.Add(-age)), nil)
					if err != nil {
						t.Fatal(err)
					}
					seqs[name] = append(seqs[name], evs[0].Seq)
				}
				old := &domain.Alert{ID: "alert-" + name, StoreID: s.ID, Kind: domain.AlertPartnerOutage, Message: "m", RaisedAt: now.Add(-2 * day)}
				if _, err := db.RaiseAlert(ctx, old, nil, nil); err != nil {
					t.Fatal(err)
				}
				stores[name] = s.ID
			})
		}
		n, err := db.PruneEvents(ctx, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for name, want := range keep {
			if want[0] > 0 { // the update before the first kept is deleted: its cursor is refused, as it would be anyway
				if _, ok, err := db.OrderUpdateMark(ctx, stores[name], seqs[name][want[0]-1]); err != nil || ok {
					t.Errorf("%s: the mark of a pruned update: %v, %v; want not found", name, ok, err)
				}
			}
			evs, err := db.OrderUpdatesAfter(ctx, stores[name], 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, ev := range evs {
				got = append(got, ev.Seq)
			}
			var wantSeqs []int64
			for _, i := range want {
				wantSeqs = append(wantSeqs, seqs[name][i])
			}
			if fmt.Sprint(got) != fmt.Sprint(wantSeqs) {
				t.Errorf("%s: updates left %v, want %v (of %v)", name, got, wantSeqs, seqs[name])
			}
			kept += len(want)
		}
		if want := int64(4 + 2 + 3 + 1 - kept + 4); n != want {
			t.Errorf("pruned %d events, want %d (the old order updates and the 4 old alerts)", n, want)
		}
		if again, err := db.PruneEvents(ctx, cutoff); err != nil || again != 0 {
			t.Errorf("a second prune deleted %d, %v; want 0", again, err)
		}
	})
}
