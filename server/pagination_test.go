package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const ordersPage = `query($s: ID!, $after: String, $f: OrderFilter) {
	orders(storeId: $s, first: 7, after: $after, filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id leaflyOrderId } } }
}`

// TestOrdersPaginationWhileOrdersArrive pages through a store's orders while
// new ones arrive: every order present at the start is seen exactly once.
func TestOrdersPaginationWhileOrdersArrive(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		want := map[string]bool{}
		for i := range 30 {
			want[f.submit(t, s, fmt.Sprintf("before-%d", i))] = true
		}
		seen := map[string]int{}
		var after any
		var wg sync.WaitGroup
		for page := 0; ; page++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.submit(t, s, fmt.Sprintf("during-%d", page))
			}()
			data := s.MustDo(t, f.Staff, ordersPage, map[string]any{"s": f.StoreID, "after": after})
			for _, e := range path(data, "orders", "edges").([]any) {
				seen[str(path(e, "node", "id"))]++
			}
			if path(data, "orders", "pageInfo", "hasNextPage") != true {
				break
			}
			after = path(data, "orders", "pageInfo", "endCursor")
		}
		wg.Wait()
		for id := range want {
			if seen[id] != 1 {
				t.Errorf("order %s seen %d times, want once", id, seen[id])
			}
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("order %s seen %d times", id, n)
			}
		}
	})
}

func TestOrdersFilters(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		canceled := f.submit(t, s, "FILTER-1")
		f.submit(t, s, "FILTER-2")
		s.MustDo(t, f.Market, `mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { status } }`, map[string]any{"id": canceled})
		delivery := f.orderInput("FILTER-3")
		delivery["fulfillmentMethod"], delivery["deliveryAddress"] = "DELIVERY", address()
		delivery["customer"] = map[string]any{"firstName": "Grace", "lastName": "Hopper", "email": "grace@navy.example"}
		s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": delivery})
		cases := map[string]struct {
			filter map[string]any
			want   int
		}{
			"Status":        {map[string]any{"status": []any{"CANCELED"}}, 1},
			"Statuses":      {map[string]any{"status": []any{"CANCELED", "PENDING"}}, 3},
			"Method":        {map[string]any{"fulfillmentMethod": "DELIVERY"}, 1},
			"PosSync":       {map[string]any{"posSyncState": []any{"NOT_APPLICABLE"}}, 3},
			"PosSyncQueued": {map[string]any{"posSyncState": []any{"QUEUED"}}, 0},
			"SearchName":    {map[string]any{"search": "hopper"}, 1},
			"SearchEmail":   {map[string]any{"search": "ADA@example"}, 2},
			"SearchLeafly":  {map[string]any{"search": "filter-2"}, 1},
			"SearchLike":    {map[string]any{"search": "%"}, 0},
			"CreatedAfter":  {map[string]any{"createdAfter": "2000-01-01T00:00:00Z"}, 3},
			"CreatedBefore": {map[string]any{"createdBefore": "2000-01-01T00:00:00Z"}, 0},
		}
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				data := s.MustDo(t, f.Staff, ordersPage, map[string]any{"s": f.StoreID, "f": c.filter})
				if got := path(data, "orders", "totalCount"); got != float64(c.want) {
					t.Errorf("totalCount = %v, want %d", got, c.want)
				}
				if got := len(path(data, "orders", "edges").([]any)); got != c.want {
					t.Errorf("%d edges, want %d", got, c.want)
				}
			})
		}
		r := s.Do(t, f.Staff, ordersPage, map[string]any{"s": f.StoreID, "after": "garbage"})
		if r.Code() != "BAD_USER_INPUT" {
			t.Errorf("bad cursor: code %q, want BAD_USER_INPUT", r.Code())
		}
	})
}

const ordersBothWays = `query($s: ID!, $f: OrderFilter, $first: Int, $after: String, $last: Int, $before: String) {
	orders(storeId: $s, filter: $f, first: $first, after: $after, last: $last, before: $before) {
		totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { id createdAt } }
	}
}`

// readPage is one page of orders as a client reads it.
type readPage struct {
	ids, cursors []string
	createdAt    []time.Time
	info         map[string]any
}

// readOrders reads one page of orders with vars and checks that its
// start and end cursors are its first and last edges'.
func readOrders(t *testing.T, s *testServer, token string, vars map[string]any) readPage {
	t.Helper()
	data := s.MustDo(t, token, ordersBothWays, vars)
	p := readPage{info: path(data, "orders", "pageInfo").(map[string]any)}
	for _, e := range path(data, "orders", "edges").([]any) {
		at, err := time.Parse(time.RFC3339Nano, str(path(e, "node", "createdAt")))
		if err != nil {
			t.Fatal(err)
		}
		p.ids, p.cursors, p.createdAt = append(p.ids, str(path(e, "node", "id"))), append(p.cursors, str(path(e, "cursor"))), append(p.createdAt, at)
	}
	var start, end any
	if n := len(p.cursors); n > 0 {
		start, end = p.cursors[0], p.cursors[n-1]
	}
	if p.info["startCursor"] != start || p.info["endCursor"] != end {
		t.Errorf("pageInfo %v: want startCursor %v and endCursor %v", p.info, start, end)
	}
	return p
}

// walkForward reads every page with first: size, from the start; each page
// but the first has a previous page.
func walkForward(t *testing.T, s *testServer, token string, vars map[string]any, size int) []readPage {
	t.Helper()
	var pages []readPage
	var after any
	for {
		p := readOrders(t, s, token, with(vars, "first", size, "after", after))
		if p.info["hasPreviousPage"] != (len(pages) > 0) {
			t.Errorf("forward page %d: hasPreviousPage %v", len(pages), p.info["hasPreviousPage"])
		}
		pages = append(pages, p)
		if p.info["hasNextPage"] != true {
			return pages
		}
		after = p.info["endCursor"]
	}
}

// walkBackward reads every page with last: size, from the end (the oldest
// orders) to the start; each page but the first read has a next page.
// The pages come back in the list's order.
func walkBackward(t *testing.T, s *testServer, token string, vars map[string]any, size int) []readPage {
	t.Helper()
	var pages []readPage
	var before any
	for {
		p := readOrders(t, s, token, with(vars, "last", size, "before", before))
		if p.info["hasNextPage"] != (len(pages) > 0) {
			t.Errorf("backward page %d: hasNextPage %v", len(pages), p.info["hasNextPage"])
		}
		pages = append([]readPage{p}, pages...)
		if p.info["hasPreviousPage"] != true {
			return pages
		}
		before = p.info["startCursor"]
	}
}

func with(vars map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range vars {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// flatten lists the ids of pages in order.
func flatten(pages []readPage) []string {
	var ids []string
	for _, p := range pages {
		ids = append(ids, p.ids...)
	}
	return ids
}

// databaseOrder lists the ids of pages sorted as the database sorts the
// orders: (created_at, id), newest first.
func databaseOrder(pages []readPage) []string {
	type key struct {
		at time.Time
		id string
	}
	var keys []key
	for _, p := range pages {
		for i := range p.ids {
			keys = append(keys, key{p.createdAt[i], p.ids[i]})
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(b.at.Compare(a.at), cmp.Compare(b.id, a.id))
	})
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	return ids
}

// TestOrdersPagingBothWays walks a store's orders forward from the start and
// backward from the end, unfiltered and filtered: both walks list every
// order once, in the database's order, with Relay's PageInfo on each page.
func TestOrdersPagingBothWays(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		for i := range 23 {
			id := f.submit(t, s, fmt.Sprintf("WALK-%d", i))
			if i%3 == 0 {
				s.MustDo(t, f.Market, `mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { status } }`, map[string]any{"id": id})
			}
		}
		for name, c := range map[string]struct {
			filter any
			want   int
		}{"All": {nil, 23}, "Canceled": {map[string]any{"status": []any{"CANCELED"}}, 8}} {
			t.Run(name, func(t *testing.T) {
				vars := map[string]any{"s": f.StoreID, "f": c.filter}
				forward, backward := walkForward(t, s, f.Staff, vars, 5), walkBackward(t, s, f.Staff, vars, 5)
				want := databaseOrder(forward)
				if len(want) != c.want {
					t.Fatalf("%d orders, want %d", len(want), c.want)
				}
				if got := flatten(forward); !slices.Equal(got, want) {
					t.Errorf("forward walk %v, want %v", got, want)
				}
				if got := flatten(backward); !slices.Equal(got, want) {
					t.Errorf("backward walk %v, want %v", got, want)
				}
				if n := len(backward[len(backward)-1].ids); n != 5 {
					t.Errorf("the last page has %d orders, want 5", n)
				}
			})
		}
		t.Run("BeforeTheFirst", func(t *testing.T) {
			first := readOrders(t, s, f.Staff, map[string]any{"s": f.StoreID, "first": 1})
			p := readOrders(t, s, f.Staff, map[string]any{"s": f.StoreID, "last": 5, "before": first.cursors[0]})
			if len(p.ids) != 0 || p.info["hasPreviousPage"] != false || p.info["hasNextPage"] != true {
				t.Errorf("before the newest order: %v %v, want no orders, a next page and no previous one", p.ids, p.info)
			}
			p = readOrders(t, s, f.Staff, map[string]any{"s": f.StoreID, "first": 5, "after": first.cursors[0]})
			if len(p.ids) != 5 || p.info["hasPreviousPage"] != true {
				t.Errorf("after the newest order: %v %v, want 5 orders and a previous page", p.ids, p.info)
			}
		})
	})
}

// TestOrdersBackwardWhileOrdersArrive pages backward from the end while new
// orders arrive: every page keyed on a cursor reads as it did before they
// came, and every order present at the start is seen exactly once.
func TestOrdersBackwardWhileOrdersArrive(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		for i := range 30 {
			f.submit(t, s, fmt.Sprintf("before-%d", i))
		}
		vars := map[string]any{"s": f.StoreID}
		still := walkBackward(t, s, f.Staff, vars, 7)
		var wg sync.WaitGroup
		var before any
		var moving [][]string
		for page := 0; ; page++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.submit(t, s, fmt.Sprintf("during-%d", page))
			}()
			p := readOrders(t, s, f.Staff, with(vars, "last", 7, "before", before))
			moving = append([][]string{p.ids}, moving...)
			if p.info["hasPreviousPage"] != true {
				break
			}
			before = p.info["startCursor"]
		}
		wg.Wait()
		// Newer orders may only add pages at the start, where the walk ends.
		for i := 1; i <= len(still)-1; i++ {
			if got, want := moving[len(moving)-i], still[len(still)-i].ids; !slices.Equal(got, want) {
				t.Errorf("page %d from the end: %v, want %v as before the new orders", i, got, want)
			}
		}
		seen := map[string]int{}
		for _, p := range moving {
			for _, id := range p {
				seen[id]++
			}
		}
		for _, id := range flatten(still) {
			if seen[id] != 1 {
				t.Errorf("order %s seen %d times, want once", id, seen[id])
			}
		}
	})
}

// TestOrdersPagingRefused: arguments Relay's cursor connections do not
// allow, or past the limits, are the caller's mistake.
func TestOrdersPagingRefused(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		f.submit(t, s, "REFUSED-1")
		for name, vars := range map[string]map[string]any{
			"FirstAndLast":  {"first": 5, "last": 5},
			"LastTooLarge":  {"last": 101},
			"LastNegative":  {"last": -1},
			"BeforeGarbage": {"last": 5, "before": "garbage"},
		} {
			t.Run(name, func(t *testing.T) {
				r := s.Do(t, f.Staff, ordersBothWays, with(vars, "s", f.StoreID))
				if r.Code() != "BAD_USER_INPUT" || r.Data != nil && path(r.Data, "orders") != nil {
					t.Errorf("code %q, data %v, errors %+v: want BAD_USER_INPUT and no page", r.Code(), r.Data, r.Errors)
				}
			})
		}
		t.Run("LastCountsLikeFirst", func(t *testing.T) {
			// Twelve pages of 100 orders with four nested objects each: the
			// complexity limit refuses it whichever way the pages go.
			page := ` orders(storeId: $s, last: 100) { edges { node { lines { name } statusHistory { status } store { name } customer { email } } } }`
			var b strings.Builder
			b.WriteString("query($s: ID!) {")
			for i := range 12 {
				b.WriteString(" a" + string(rune('a'+i)) + ":" + page)
			}
			b.WriteString("}")
			r := s.Do(t, f.Staff, b.String(), map[string]any{"s": f.StoreID})
			if r.Code() != "BAD_USER_INPUT" || !strings.Contains(strings.ToLower(r.Errors[0].Message), "complexity") {
				t.Errorf("code %q %+v, want BAD_USER_INPUT about complexity", r.Code(), r.Errors)
			}
		})
	})
}
