// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// Tests that need PostgreSQL call NewDatabase. It reads TEST_DATABASE_URL (a
// URL of a database the tests may use to create others, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). When it is unset
// the test is skipped with a message saying so, except in CI (CI is set),
// where a missing PostgreSQL fails the run.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// NewDatabase creates an empty database for tb, drops it when tb ends, and
// returns its URL.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
		}
		tb.Skip("TEST_DATABASE_URL is not set: skipping a PostgreSQL test (see README.md)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close(ctx)
	name := "t_" + randomHex(8)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() { drop(tb, base, name) })
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func drop(tb testing.TB, base, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Errorf("connect to drop %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		tb.Errorf("drop database %s: %v", name, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
