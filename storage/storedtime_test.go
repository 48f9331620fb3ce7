package storage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// driverTime is what modernc.org/sqlite's driver makes of a time kept as
// text: storedLayouts with time.Parse, after cutting a Z suffix.
func driverTime(s string) (time.Time, bool) {
	trimmed, _ := strings.CutSuffix(s, "Z")
	for _, layout := range storedLayouts {
		if t, err := time.Parse(layout, trimmed); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// TestParseStoredTime: the times the driver writes, and the layouts it
// reads, parse to the instant the driver reads; the rest are errors.
func TestParseStoredTime(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"2026-12-05 17:04:05+00:00",
		"2026-12-05 17:04:05.1+00:00",
		"2026-12-05 17:04:05.123456+00:00",
		"2026-12-05 17:04:05.123456789+00:00",
		"2026-12-05 17:04:05.1234567891+00:00",
		"2026-12-05 17:04:05.5-07:30",
		"2024-02-29 23:59:59.999999999+14:00",
		"2026-12-05 17:04:05Z",
		"2026-12-05 17:04:05.25Z",
		"2026-12-05T17:04:05.25+02:00",
		"2026-12-05 17:04:05",
		"2026-12-05 17:04",
		"2026-12-05",
	} {
		want, ok := driverTime(s)
		got, err := parseStoredTime(s)
		if !ok || err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%q: got %v (%v), want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "garbage", "2026-02-29 12:00:00+00:00", "2026-12-05 24:00:00+00:00",
		"2026-13-05 17:04:05+00:00", "2026-12-05 17:04:05.+00:00", "2026-12-05 17:04:05+0000", "2026-12-05 17:04:05 +00:00"} {
		if got, err := parseStoredTime(s); err == nil {
			t.Errorf("%q: got %v, want an error", s, got)
		}
	}
}

// FuzzParseStoredTime: whatever the text, parseStoredTime never panics and
// agrees with the driver, which parses with time.Parse.
func FuzzParseStoredTime(f *testing.F) {
	f.Add("2026-12-05 17:04:05.123456+00:00")
	f.Add("2026-12-05 17:04:05Z")
	f.Add("2026-12-05 17:04:05.1234567891-11:59")
	f.Add("2026-12-05T17:04")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseStoredTime(s)
		want, ok := driverTime(s)
		if ok != (err == nil) || (ok && !got.Equal(want)) {
			t.Fatalf("%q: got %v (%v), the driver %v (%v)", s, got, err, want, ok)
		}
	})
}

// TestPageReadsTimesAsText: on SQLite a page's orders and their history
// come back with the times they were stored with, read as text.
func TestPageReadsTimesAsText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpen(t, Config{DataDir: t.TempDir()})
	store, items := seedStore(t, db)
	at := time.Date(2026, 12, 5, 17, 4, 5, 123456000, time.UTC)
	o := newOrder(t, store, items, "LT-TIMES", at)
	o.StatusHistory[0].OccurredAt = at.Add(time.Second)
	o.UpdatedAt = at.Add(2 * time.Second)
	if err := db.ImportOrders(ctx, []*domain.Order{o}); err != nil {
		t.Fatal(err)
	}
	p, err := db.Orders(ctx, store.ID, domain.OrderFilter{}, domain.Page{First: 10}, domain.AllOrderParts)
	if err != nil || len(p.Orders) != 1 {
		t.Fatalf("page: %+v, %v", p, err)
	}
	got := p.Orders[0]
	if !got.CreatedAt.Equal(o.CreatedAt) || !got.UpdatedAt.Equal(o.UpdatedAt) || len(got.StatusHistory) != 1 ||
		!got.StatusHistory[0].OccurredAt.Equal(o.StatusHistory[0].OccurredAt) {
		t.Errorf("times read back: created %v, updated %v, history %+v; want %v, %v, %v",
			got.CreatedAt, got.UpdatedAt, got.StatusHistory, o.CreatedAt, o.UpdatedAt, o.StatusHistory[0].OccurredAt)
	}
}
