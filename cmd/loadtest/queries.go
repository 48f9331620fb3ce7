package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

const orderQuery = `query($id: ID!) { order(id: $id) { id status totalCents lines { name quantity } } }`

// orderByID measures reading single orders by id.
func (b *bench) orderByID(ctx context.Context) (result, error) {
	srv, err := b.startServer(ctx)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	f, err := b.seedStore(ctx, srv, "order-by-id")
	if err != nil {
		return result{}, err
	}
	ids, err := b.seedOrders(ctx, f, b.cfg.orders)
	if err != nil {
		return result{}, err
	}
	h, err := newRawHTTP(srv.url+"/query", b.tokens.Mint(domain.RoleStoreStaff, f.StoreID), b.cfg.clients, 30*time.Second)
	if err != nil {
		return result{}, err
	}
	defer h.close()
	bodies, wants := make([][]byte, len(ids)), make([][]byte, len(ids))
	for i, id := range ids {
		if bodies[i], err = json.Marshal(map[string]any{"query": orderQuery, "variables": map[string]any{"id": id}}); err != nil {
			return result{}, err
		}
		wants[i] = []byte(`{"data":{"order":{"id":` + strconv.Quote(id) + `,`)
	}
	w, err := b.drive(ctx, srv, "order-by-id", "order", b.cfg.clients, func(ctx context.Context, rnd *rand.Rand) error {
		i := rnd.IntN(len(ids))
		return h.post(ctx, func(reply []byte) error {
			if !bytes.HasPrefix(reply, wants[i]) {
				return fmt.Errorf("order %s: got %s", ids[i], truncate(reply, 200))
			}
			return nil
		}, bodies[i])
	})
	if err == nil {
		err = h.failure()
	}
	if err != nil {
		return result{}, err
	}
	r := newResult("order-by-id", b.cfg.db, fmt.Sprintf("%d clients, %s orders, %s", b.cfg.clients, count(b.cfg.orders), b.cfg.duration), w)
	if b.cfg.db == "postgres" {
		r.goal("≥ 8,000 req/s", r.Throughput >= 8000)
		r.goal("p99 ≤ 20 ms", r.P99 <= 20)
	}
	return r, nil
}

const (
	ordersPageQuery = `query($s: ID!, $after: String) { orders(storeId: $s, first: 50, after: $after) {
	totalCount
	edges { cursor node { id status lines { name quantity unitPriceCents } statusHistory { status } } }
	pageInfo { endCursor hasNextPage } } }`
	cursorsQuery = `query($s: ID!, $after: String) { orders(storeId: $s, first: 100, after: $after) {
	edges { cursor } pageInfo { endCursor hasNextPage } } }`
)

// firstPageShare is the share of orders-page requests for the first page.
const firstPageShare = 0.1

// ordersPage measures paging a large store's orders.
func (b *bench) ordersPage(ctx context.Context) (result, error) {
	srv, err := b.startServer(ctx)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	f, err := b.seedStore(ctx, srv, "orders-page")
	if err != nil {
		return result{}, err
	}
	if _, err := b.seedOrders(ctx, f, b.cfg.pageOrders); err != nil {
		return result{}, err
	}
	gql := srv.client(b.tokens.Mint(domain.RoleStoreStaff, f.StoreID), 0)
	cursors, walk, err := b.collectCursors(ctx, gql, f.StoreID)
	if err != nil {
		return result{}, err
	}
	// The body is these two halves around the after variable, a cursor
	// (base64url, so JSON as it is, quoted once here) or null; the reply
	// must name 50 edges.
	quoted := make([][]byte, len(cursors))
	for i, c := range cursors {
		quoted[i] = []byte(`"` + c + `"`)
	}
	head, err := json.Marshal(map[string]any{"query": ordersPageQuery, "variables": map[string]any{"s": f.StoreID, "after": nil}})
	if err != nil {
		return result{}, err
	}
	head, tail, _ := bytes.Cut(head, []byte("null"))
	h, err := newRawHTTP(gql.URL, gql.Token, b.cfg.pageClients, 30*time.Second)
	if err != nil {
		return result{}, err
	}
	defer h.close()
	null := []byte("null")
	w, err := b.drive(ctx, srv, "orders-page", "orders", b.cfg.pageClients, func(ctx context.Context, rnd *rand.Rand) error {
		after := null
		if rnd.Float64() >= firstPageShare {
			after = quoted[rnd.IntN(len(quoted))]
		}
		return h.post(ctx, func(reply []byte) error {
			if n := bytes.Count(reply, []byte(`"cursor":`)); n != 50 {
				return fmt.Errorf("page after %s: %d orders, want 50: %s", after, n, truncate(reply, 200))
			}
			return nil
		}, head, after, tail)
	})
	if err == nil {
		err = h.failure()
	}
	if err != nil {
		return result{}, err
	}
	load := fmt.Sprintf("%d clients, %s orders, first: 50 at random depths, %s", b.cfg.pageClients, count(b.cfg.pageOrders), b.cfg.duration)
	r := newResult("orders-page", b.cfg.db, load, w)
	r.detail("walking all %s orders 100 at a time, one client: %d pages in %s, %.1f ms a page",
		count(len(cursors)+50), walk.pages, walk.took.Round(100*time.Millisecond), ms(walk.took)/float64(walk.pages))
	r.goal("p99 ≤ 50 ms", r.P99 <= 50)
	return r, nil
}

// walk is how long reading a whole order list took.
type walk struct {
	pages int
	took  time.Duration
}

// collectCursors walks the store's whole order list once, 100 at a time,
// and returns the cursor of every order but the last 50, so that a page
// after any of them is full.
func (b *bench) collectCursors(ctx context.Context, gql drive.GraphQL, storeID string) ([]string, walk, error) {
	start := time.Now()
	var w walk
	var cursors []string
	var after any
	for {
		var data struct {
			Orders struct {
				Edges    []struct{ Cursor string }
				PageInfo struct {
					EndCursor   string
					HasNextPage bool
				}
			}
		}
		if err := gql.Do(ctx, cursorsQuery, map[string]any{"s": storeID, "after": after}, &data); err != nil {
			return nil, w, fmt.Errorf("walk the orders: %w", err)
		}
		w.pages++
		for _, e := range data.Orders.Edges {
			cursors = append(cursors, e.Cursor)
		}
		if !data.Orders.PageInfo.HasNextPage {
			break
		}
		after = data.Orders.PageInfo.EndCursor
	}
	w.took = time.Since(start)
	fmt.Fprintf(b.out, "  walked %d orders 100 at a time in %s\n", len(cursors), w.took.Round(100*time.Millisecond))
	if len(cursors) <= 50 {
		return nil, w, fmt.Errorf("the store has %d orders: too few to page at random depths", len(cursors))
	}
	return cursors[:len(cursors)-50], w, nil
}

// truncate returns the first n bytes of b, as a string.
func truncate(b []byte, n int) string {
	return string(b[:min(n, len(b))])
}
