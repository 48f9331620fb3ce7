package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// benchOrderQuery and benchPageQuery are what cmd/loadtest's order-by-id and
// orders-page ask for.
const (
	benchOrderQuery = `query($id: ID!) { order(id: $id) { id status totalCents lines { name quantity } } }`
	benchPageQuery  = `query($s: ID!, $after: String) { orders(storeId: $s, first: 50, after: $after) {
	totalCount
	edges { cursor node { id status lines { name quantity unitPriceCents } statusHistory { status } } }
	pageInfo { endCursor hasNextPage } } }`
)

// BenchmarkReads reads an order by id and the first page of 50 orders
// through the whole server, started in this process, on SQLite and, with
// TEST_DATABASE_URL, on PostgreSQL. The allocations per read (-benchmem)
// include the client's, and unlike the time they do not move with the
// machine's load: they are the figure to compare between two versions.
func BenchmarkReads(b *testing.B) {
	dbs := []database{{"sqlite", map[string]string{"DATA_DIR": b.TempDir()}}}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		dbs = append(dbs, database{"postgres", map[string]string{"DATA_DIR": b.TempDir(), "DATABASE_URL": pgtest.NewDatabase(b), "SANDBOX": "true"}})
	}
	for _, db := range dbs {
		s := startServer(b, db.env)
		f := newFixture(b, s)
		var ids []string
		for i := range 60 {
			ids = append(ids, f.submit(b, s, fmt.Sprintf("bench-%d", i)))
		}
		b.Run(db.name+"/order", func(b *testing.B) {
			benchQuery(b, s, f.Staff, benchOrderQuery, map[string]any{"id": ids[0]}, `"order":{"id":`)
		})
		b.Run(db.name+"/page", func(b *testing.B) {
			benchQuery(b, s, f.Staff, benchPageQuery, map[string]any{"s": f.StoreID}, `"hasNextPage":true`)
		})
	}
}

// benchQuery posts query with vars b.N times; each reply must contain want.
func benchQuery(b *testing.B, s *testServer, token, query string, vars map[string]any, want string) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		b.Fatal(err)
	}
	var reply bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		reply.Reset()
		_, err = io.Copy(&reply, resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Contains(reply.Bytes(), []byte(want)) {
			b.Fatalf("reply %s, %v; want %s", reply.Bytes(), err, want)
		}
	}
}
