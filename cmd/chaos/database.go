package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// database is the victim's PostgreSQL database, created for the run
// through an admin URL and dropped at its end.
type database struct {
	admin string
	name  string
	url   string
}

func newDatabase(ctx context.Context, admin string) (*database, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-database-url %q: not a postgres:// URL", admin)
	}
	d := &database{admin: admin, name: fmt.Sprintf("chaos_%s_%04x", time.Now().UTC().Format("20060102_150405"), rand.Uint32()&0xffff)}
	conn, err := connect(ctx, admin)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{d.name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", d.name, err)
	}
	u.Path = "/" + d.name
	d.url = u.String()
	return d, nil
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return conn, nil
}

// drop drops the run's database. PostgreSQL may be restarting: it tries
// for a while.
func (d *database) drop() error {
	var err error
	for range 15 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var conn *pgx.Conn
		if conn, err = connect(ctx, d.admin); err == nil {
			_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)")
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(2 * time.Second)
	}
	return fmt.Errorf("drop database %s: %w", d.name, err)
}

// pendingDeliveries counts what the victim still has to deliver: jobs that
// send orders, apply or void sales or send notifications, orders being sent
// right after their commit (a kill hands them to the queue once the victim
// has missed its beats), and notifications no process attempted yet (a
// kill between a change's commit and its send leaves them for the victim's
// sweep).
func (d *database) pendingDeliveries(ctx context.Context) (int, error) {
	conn, err := connect(ctx, d.url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job
		WHERE kind IN ('send_order', 'apply_sale', 'void_sale', 'send_notification')
		AND state NOT IN ('completed', 'cancelled', 'discarded'))
		+ (SELECT count(*) FROM orders WHERE pos_sync_state = 'QUEUED' AND pos_sender IS NOT NULL)
		+ (SELECT count(*) FROM notifications WHERE sent_at IS NULL AND attempts = 0 AND queued_at IS NULL)`).Scan(&n)
	return n, err
}

// pgCluster is the local PostgreSQL cluster -pg-restart restarts.
type pgCluster struct {
	version string
	admin   string
}

// localCluster finds the cluster the way .ci/run does (the first version
// under /etc/postgresql, cluster main) and checks that -database-url points
// at this machine and that pg_ctlcluster can see the cluster.
func localCluster(ctx context.Context, admin string) (*pgCluster, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-pg-restart: -database-url names host %q; only a local cluster can be restarted (or -pg-restart=false)", host)
	}
	if _, err := exec.LookPath("pg_ctlcluster"); err != nil {
		return nil, fmt.Errorf("-pg-restart: %w (or -pg-restart=false)", err)
	}
	entries, err := os.ReadDir("/etc/postgresql")
	if err != nil {
		return nil, fmt.Errorf("-pg-restart: %w (or -pg-restart=false)", err)
	}
	var versions []string
	for _, e := range entries {
		if e.IsDir() {
			versions = append(versions, e.Name())
		}
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("-pg-restart: no cluster under /etc/postgresql")
	}
	sort.Strings(versions)
	c := &pgCluster{version: versions[0], admin: admin}
	out, err := exec.CommandContext(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", c.version, "main", "status").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("-pg-restart: pg_ctlcluster %s main status: %v: %s", c.version, err, strings.TrimSpace(string(out)))
	}
	return c, nil
}

func (c *pgCluster) String() string { return "PostgreSQL " + c.version + "/main" }

// restart restarts the cluster (fast shutdown: sessions are cut) and waits
// until it accepts connections again. It returns how long PostgreSQL
// refused connections, as seen from here.
func (c *pgCluster) restart(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	out, err := exec.CommandContext(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", c.version, "main", "restart").CombinedOutput()
	if err != nil {
		return time.Since(start), fmt.Errorf("pg_ctlcluster %s main restart: %v: %s", c.version, err, strings.TrimSpace(string(out)))
	}
	for {
		conn, err := connect(ctx, c.admin)
		if err == nil {
			conn.Close(context.Background())
			return time.Since(start), nil
		}
		if time.Since(start) > time.Minute || ctx.Err() != nil {
			return time.Since(start), fmt.Errorf("PostgreSQL did not come back within a minute: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
