package main

import (
	"fmt"
	"sync"
	"testing"
)

const ordersPage = `query($s: ID!, $after: String, $f: OrderFilter) {
	orders(storeId: $s, first: 7, after: $after, filter: $f) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id leaflyOrderId } } }
}`

// TestOrdersPaginationWhileOrdersArrive pages through a store's orders while
// new ones arrive: every order present at the start is seen exactly once.
func TestOrdersPaginationWhileOrdersArrive(t *testing.T) {
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
