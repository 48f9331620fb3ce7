package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestOrdersPagesBothWaysWithTies walks orders forward and backward where
// several share a creation time: the id breaks the tie the same way in both
// directions, so each walk lists every order once in (created_at, id) order.
func TestOrdersPagesBothWaysWithTies(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		store, items := seedStore(t, db)
		start := time.Now().UTC().Truncate(time.Microsecond)
		var want []*domain.Order
		for i := range 14 {
			o := newOrder(t, store, items, fmt.Sprintf("T%02d", i), start.Add(time.Duration(i/3)*time.Millisecond))
			if _, _, _, err := db.CreateOrder(context.Background(), o, nil); err != nil {
				t.Fatal(err)
			}
			want = append(want, o)
		}
		slices.SortFunc(want, func(a, b *domain.Order) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
		})
		forward, backward := walkStorage(t, db, store.ID, false), walkStorage(t, db, store.ID, true)
		for i, o := range want {
			if forward[i] != o.ID || backward[i] != o.ID {
				t.Fatalf("at %d: forward %v, backward %v, want %s", i, forward, backward, o.ID)
			}
		}
	})
}

// walkStorage lists the store's orders through pages of 4, forward from the
// start or backward from the end.
func walkStorage(t *testing.T, db *DB, storeID string, backward bool) []string {
	t.Helper()
	var ids []string
	var cursor string
	size := 4
	for range 100 {
		page := domain.Page{First: size, After: cursor}
		if backward {
			page = domain.Page{Last: &size, Before: cursor}
		}
		p, err := db.Orders(context.Background(), storeID, domain.OrderFilter{}, page, domain.AllOrderParts)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range p.Orders {
			got = append(got, o.ID)
		}
		if !backward {
			ids = append(ids, got...)
			if !p.HasNext {
				return ids
			}
			cursor = p.Cursors[len(p.Cursors)-1]
			continue
		}
		ids = append(got, ids...)
		if !p.HasPrevious {
			return ids
		}
		cursor = p.Cursors[0]
	}
	t.Fatal("the walk does not end")
	return nil
}

// TestOrdersBackwardPageUsesTheIndex reads the plan of a backward page with
// a cursor: the page and the row beyond its cursor are each a search of the
// (store_id, created_at, id) index, as a forward page is; no scan of orders.
// Only the at most size+2 rows read are sorted, into the list's order.
func TestOrdersBackwardPageUsesTheIndex(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		store, items := seedStore(t, db)
		start := time.Now().UTC().Truncate(time.Microsecond)
		for i := range 40 {
			if _, _, _, err := db.CreateOrder(context.Background(), newOrder(t, store, items, fmt.Sprintf("P-%d", i), start.Add(time.Duration(i)*time.Millisecond)), nil); err != nil {
				t.Fatal(err)
			}
		}
		all, err := db.Orders(context.Background(), store.ID, domain.OrderFilter{}, domain.Page{First: 40}, domain.AllOrderParts)
		if err != nil {
			t.Fatal(err)
		}
		statement := captureStatement(t, db, "UNION ALL")
		last := 5
		if _, err := db.Orders(context.Background(), store.ID, domain.OrderFilter{}, domain.Page{Last: &last, Before: all.Cursors[20]}, domain.AllOrderParts); err != nil {
			t.Fatal(err)
		}
		plan := explain(t, db, statement.sql, statement.vars)
		if n := strings.Count(plan, "orders_store_created"); n != 2 || strings.Contains(plan, "SCAN orders") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("the index is used %d times, want 2 and no scan of orders:\n%s", n, plan)
		}
	})
}

type captured struct {
	sql  string
	vars []any
}

// captureStatement keeps the SQL and arguments of the next statement db
// reads by hand that contains marker.
func captureStatement(t *testing.T, db *DB, marker string) *captured {
	t.Helper()
	c := &captured{}
	reads := db.reads
	db.reads = func(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
		if strings.Contains(query, marker) && c.sql == "" {
			*c = captured{query, args}
		}
		return reads(ctx, query, args, scan)
	}
	return c
}

// explain returns the query plan of sql, one line per step. PostgreSQL is
// told to avoid scans, as it would on a table of realistic size.
func explain(t *testing.T, db *DB, sql string, vars []any) string {
	t.Helper()
	var lines []string
	err := db.gorm.Transaction(func(tx *gorm.DB) error {
		prefix := "EXPLAIN QUERY PLAN "
		if db.postgres {
			prefix = "EXPLAIN "
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
		}
		rows, err := tx.Statement.ConnPool.QueryContext(context.Background(), prefix+sql, vars...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestOrdersOfAnUnknownStore proves the page's count tells an unknown
// store, filtered or not: the order list reads no store beforehand.
func TestOrdersOfAnUnknownStore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		search := "ada"
		for name, f := range map[string]domain.OrderFilter{"unfiltered": {}, "filtered": {Search: &search}} {
			_, err := db.Orders(context.Background(), "no-such-store", f, domain.Page{First: 10}, domain.AllOrderParts)
			if domain.ErrorCode(err) != domain.CodeNotFound || err.Error() != domain.ErrStoreNotFound("no-such-store").Error() {
				t.Errorf("%s: %v, want %v", name, err, domain.ErrStoreNotFound("no-such-store"))
			}
		}
	})
}
