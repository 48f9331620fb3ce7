package storage

import (
	"context"
	"testing"
	"time"
)

// TestSaveWebhookKeepsOneCopy keeps a body once per store: a copy is not
// written and its job not enqueued.
func TestSaveWebhookKeepsOneCopy(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, _ := seedStore(t, db)
		enqueued := 0
		enqueue := func(Tx) error { enqueued++; return nil }
		for i, want := range []bool{true, false, false} {
			kept, err := db.SaveWebhook(ctx, store.ID, nil, "payload=same", enqueue)
			if err != nil || kept != want {
				t.Fatalf("save %d: kept %v, %v; want %v", i+1, kept, err, want)
			}
		}
		if kept, err := db.SaveWebhook(ctx, store.ID, nil, "payload=other", enqueue); err != nil || !kept {
			t.Fatalf("save of another body: kept %v, %v; want true", kept, err)
		}
		if enqueued != 2 {
			t.Errorf("%d jobs enqueued for two bodies, want 2", enqueued)
		}
	})
}

// TestPruneWebhooks deletes the webhooks received before the cutoff only.
func TestPruneWebhooks(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, _ := seedStore(t, db)
		for _, body := range []string{"payload=old", "payload=new"} {
			if _, err := db.SaveWebhook(ctx, store.ID, nil, body, nil); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().UTC().Add(-4 * 24 * time.Hour)
		if err := db.gorm.Model(&webhookRow{}).Where("body = ?", "payload=old").Update("received_at", old).Error; err != nil {
			t.Fatal(err)
		}
		n, err := db.PruneWebhooks(ctx, time.Now().UTC().Add(-72*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("PruneWebhooks deleted %d, %v; want 1", n, err)
		}
		var left []string
		db.gorm.Model(&webhookRow{}).Pluck("body", &left)
		if len(left) != 1 || left[0] != "payload=new" {
			t.Errorf("left %v, want the new webhook only", left)
		}
	})
}
