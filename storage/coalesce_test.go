package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// planText is the plan an EXPLAIN's rows hold, a line per row: the last
// column of each (PostgreSQL's one, SQLite's detail). It closes rows.
func planText(t *testing.T, rows *sql.Rows) string {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		dest := make([]any, len(cols))
		for i := range dest {
			dest[i] = new(any)
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(*dest[len(dest)-1].(*any)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// seedReadOrders creates n orders of 0, 1, 2, … lines, each moved to
// CONFIRMED, and returns their ids.
func seedReadOrders(t *testing.T, db *DB, n int) []string {
	t.Helper()
	lines := make([]int, n)
	for i := range lines {
		lines[i] = i
	}
	var ids []string
	for _, o := range seedConfirmedOrders(t, db, time.Now().UTC().Truncate(time.Microsecond), lines...) {
		ids = append(ids, o.ID)
	}
	return ids
}

// alone reads id in statements of its own: what a coalesced read must equal.
func alone(t *testing.T, db *DB, id string, history bool) *domain.Order {
	t.Helper()
	o, err := db.readOne(context.Background(), id, history)
	if err != nil || o == nil {
		t.Fatalf("read %s alone: %v, %v", id, o, err)
	}
	return o
}

type readResult struct {
	order *domain.Order
	err   error
}

// TestReadsWaitingShareAStatement holds the shared statement under way on
// PostgreSQL while reads arrive: those reads then take one statement (and
// one for the history some ask for), a second read of the same order waits
// for the next, a read whose caller gives up returns at once and is not
// read, and each read gets what a read of its own would have.
func TestReadsWaitingShareAStatement(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DatabaseURL: pgtest.NewDatabase(t)})
	ids := seedReadOrders(t, db, 5)
	db.orderReads.alone = 0
	type ask struct {
		id      string
		history bool
	}
	asks := []ask{{ids[0], true}, {ids[1], false}, {ids[2], false}, {ids[0], false}, {"no-such-order", false}}
	want := make([]*domain.Order, len(asks))
	for i, a := range asks[:4] {
		want[i] = alone(t, db, a.id, a.history)
	}

	var statements atomic.Int64
	release := make(chan struct{})
	reads := db.reads
	db.reads = func(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
		if statements.Add(1) == 1 {
			<-release
		}
		return reads(ctx, query, args, scan)
	}
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		_, err := db.ReadOrder(ctx, ids[3], false)
		first <- err
	}()
	waitWaiting(t, db, 0)
	results := make([]chan readResult, len(asks))
	for i, a := range asks {
		results[i] = make(chan readResult, 1)
		go func() {
			o, err := db.ReadOrder(ctx, a.id, a.history)
			results[i] <- readResult{o, err}
		}()
	}
	gone, giveUp := context.WithCancel(ctx)
	goneResult := make(chan error, 1)
	go func() {
		_, err := db.ReadOrder(gone, ids[4], false)
		goneResult <- err
	}()
	waitWaiting(t, db, len(asks)+1)
	giveUp()
	if err := <-goneResult; !errors.Is(err, context.Canceled) {
		t.Errorf("a read whose caller gave up: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the read under way: %v", err)
	}
	got := make([]readResult, len(asks))
	for i := range asks {
		got[i] = <-results[i]
	}
	for i, a := range asks[:4] {
		if got[i].err != nil || !reflect.DeepEqual(got[i].order, want[i]) {
			t.Errorf("read %d (%s, history %v): %+v, %v; want %+v", i, a.id, a.history, got[i].order, got[i].err, want[i])
		}
	}
	if got[0].order == got[3].order {
		t.Error("two reads of one order got the same *Order")
	}
	wantNotFound(t, "a waiting read of no order", got[4].err)
	// The read under way; the distinct orders, and the history of one; the
	// second read of the first order. The read given up is not read.
	if n := statements.Load(); n != 4 {
		t.Errorf("%d statements, want 4", n)
	}
}

// waitWaiting waits until n reads wait for the statement under way.
func waitWaiting(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.orderReads.mu.Lock()
		busy, waiting := db.orderReads.busy, len(db.orderReads.waiting)
		db.orderReads.mu.Unlock()
		if busy && waiting == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reads waiting (a statement under way: %v), want %d", waiting, busy, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestConcurrentOrderReads reads orders, and orders that do not exist, from
// many goroutines at once: every read gets what a read of its own would
// have, whichever reads it shared a statement with.
func TestConcurrentOrderReads(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DatabaseURL: pgtest.NewDatabase(t)})
	ids := seedReadOrders(t, db, 12)
	want := map[bool]map[string]*domain.Order{false: {}, true: {}}
	for _, id := range ids {
		for _, history := range []bool{false, true} {
			want[history][id] = alone(t, db, id, history)
		}
	}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 1))
			for range 40 {
				history := rnd.IntN(2) == 0
				if rnd.IntN(8) == 0 {
					_, err := db.ReadOrder(context.Background(), fmt.Sprintf("missing-%d", rnd.IntN(3)), history)
					wantNotFound(t, "a read of no order", err)
					continue
				}
				id := ids[rnd.IntN(len(ids))]
				o, err := db.ReadOrder(context.Background(), id, history)
				if err != nil || !reflect.DeepEqual(o, want[history][id]) {
					t.Errorf("read %s (history %v): %+v, %v; want %+v", id, history, o, err, want[history][id])
					return
				}
				o.Lines = append(o.Lines, domain.OrderLine{})
			}
		})
	}
	wg.Wait()
}

// TestReadOrdersPlanReadsLinesByOrder: the plan PostgreSQL makes of
// readOrdersPostgres for any number of ids (the generic plan, which a
// prepared statement comes to use) reads each order's lines for that order,
// in a nested loop, rather than joining every line of every order.
func TestReadOrdersPlanReadsLinesByOrder(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DatabaseURL: pgtest.NewDatabase(t)})
	ids := seedReadOrders(t, db, 40)
	ctx := context.Background()
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range []string{"ANALYZE", "SET plan_cache_mode = force_generic_plan", "PREPARE read_orders AS " + readOrdersPostgres} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE read_orders('{"+strings.Join(ids[:3], ",")+"}')")
	if err != nil {
		t.Fatal(err)
	}
	text := planText(t, rows)
	if !strings.Contains(text, "Nested Loop") || strings.Contains(text, "Hash") || strings.Contains(text, "Merge") {
		t.Errorf("generic plan:\n%s\nwant each order's lines read in a nested loop", text)
	}
}
