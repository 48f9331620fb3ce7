package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// database is where the run's servers keep their data: a PostgreSQL database
// created for the run, or the embedded SQLite file in dataDir.
type database struct {
	admin   string // the URL the database was created through
	name    string // of the created PostgreSQL database
	url     string // the server's DATABASE_URL; empty for SQLite
	dataDir string
	version string
}

func newDatabase(ctx context.Context, cfg config, dataDir string) (*database, error) {
	d := &database{dataDir: dataDir, version: "embedded SQLite (modernc.org/sqlite via libtnb/sqlite)"}
	if cfg.db == "sqlite" {
		return d, os.MkdirAll(dataDir, 0o700)
	}
	d.admin = cfg.databaseURL
	d.name = fmt.Sprintf("loadtest_%s_%04x", time.Now().UTC().Format("20060102_150405"), rand.Uint32()&0xffff)
	conn, err := connect(ctx, d.admin)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&d.version); err != nil {
		return nil, fmt.Errorf("read the PostgreSQL version: %w", err)
	}
	d.version = "PostgreSQL " + d.version
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{d.name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", d.name, err)
	}
	u, _ := url.Parse(d.admin) // connect parsed it already
	u.Path = "/" + d.name
	d.url = u.String()
	return d, os.MkdirAll(dataDir, 0o700)
}

func connect(ctx context.Context, admin string) (*pgx.Conn, error) {
	if _, err := url.Parse(admin); err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connect to -database-url: %w", err)
	}
	return conn, nil
}

// drop drops the run's PostgreSQL database unless keep.
func (d *database) drop(keep bool) error {
	if d.name == "" || keep {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := connect(ctx, d.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.name, err)
	}
	return nil
}

func (d *database) String() string {
	if d.name != "" {
		return "database " + d.name
	}
	return "SQLite in " + d.dataDir
}
