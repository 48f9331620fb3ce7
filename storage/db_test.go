package storage

import (
	"context"
	"fmt"
	"testing"
)

// TestPreparedReadsKeepAtMostMaxPrepared: SQLite's reads keep a statement
// for each of the first maxPrepared queries and run the rest as text, each
// with its own result, the first time and again; a malformed query gets its
// error, prepared or run as text, and is not kept.
func TestPreparedReadsKeepAtMostMaxPrepared(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DataDir: t.TempDir()})
	p := &preparedReads{pool: db.readers}
	read := sqlReader(p)
	ctx := context.Background()
	malformed := func() {
		t.Helper()
		if _, err := p.QueryContext(ctx, "SELECT FROM nowhere"); err == nil {
			t.Error("a malformed query was answered, want its error")
		}
	}
	malformed()
	if p.stmts.Load() != nil {
		t.Fatal("the malformed query's statement was kept")
	}
	for round := range 2 {
		for i := range maxPrepared + 5 {
			var got int64
			err := read(ctx, fmt.Sprintf("SELECT ? + %d", i), []any{round}, func(rows rowScanner) error {
				if !rows.Next() {
					return fmt.Errorf("no row")
				}
				return rows.Scan(&got)
			})
			if err != nil || got != int64(round+i) {
				t.Fatalf("round %d, query %d: %d, %v; want %d", round, i, got, err, round+i)
			}
		}
	}
	if kept := len(*p.stmts.Load()); kept != maxPrepared {
		t.Errorf("%d statements kept, want %d", kept, maxPrepared)
	}
	malformed()
}

// TestSQLiteReadersMapTheFile: SQLite's reading connections read the file
// through a 256 MiB memory map; the writing connection reads it with pread.
func TestSQLiteReadersMapTheFile(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DataDir: t.TempDir()})
	ctx := context.Background()
	for name, want := range map[string]int64{"readers": 256 << 20, "writer": 0} {
		pool := db.readers
		if name == "writer" {
			pool = db.sql
		}
		var got int64
		if err := pool.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: mmap_size %d, want %d", name, got, want)
		}
	}
}
