package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/leafly/lightspeed-orders/internal/drive"
	"github.com/leafly/lightspeed-orders/storage"
)

// authSecret signs the tokens of the servers this program starts.
const authSecret = "loadtest-secret-loadtest-secret-loadtest!"

// passThrough are the variables handed on to the server when set.
var passThrough = []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG", "DB_MAX_CONNS", "DEBUG_ADDR"}

// bench is one run of the program: the database and data directory every
// scenario's server uses, the server binary, and a direct handle on storage
// for seeding in bulk.
type bench struct {
	cfg     config
	out     io.Writer
	machine machine
	db      *database
	tmp     string
	bin     string
	env     []string
	tokens  drive.Tokens
	store   *storage.DB
}

// newBench creates the run's database, builds the server and raises the
// open-file limit.
func newBench(ctx context.Context, cfg config, getenv func(string) string, out io.Writer) (*bench, error) {
	tmp, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, out: out, tmp: tmp, tokens: drive.NewTokens(authSecret, "loadtest")}
	if b.db, err = newDatabase(ctx, cfg, filepath.Join(tmp, "data")); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	b.machine = describeMachine(b.db)
	fmt.Fprintf(out, "machine: %s\n", b.machine)
	if b.bin = cfg.serverBin; b.bin == "" {
		if b.bin, err = drive.BuildServer(ctx, tmp, out); err != nil {
			b.close()
			return nil, err
		}
	}
	b.env = b.serverEnv(getenv)
	if limit, err := raiseFileLimit(uint64(b.maxSubscribers()*2 + 4096)); err != nil {
		fmt.Fprintf(out, "warning: open-file limit stays at %d: %v\n", limit, err)
	}
	return b, nil
}

// close drops what newBench created, unless -keep.
func (b *bench) close() {
	if b.store != nil {
		b.store.Close()
	}
	if err := b.db.drop(b.cfg.keep); err != nil {
		fmt.Fprintf(b.out, "warning: %v\n", err)
	}
	if b.cfg.keep {
		fmt.Fprintf(b.out, "kept %s and %s\n", b.db, b.tmp)
		return
	}
	os.RemoveAll(b.tmp)
}

func (b *bench) serverEnv(getenv func(string) string) []string {
	env := []string{"HTTP_ADDR=127.0.0.1:0", "AUTH_SECRET=" + authSecret, "LOG_LEVEL=info",
		"DATA_DIR=" + b.db.dataDir, "SHUTDOWN_TIMEOUT=20s"}
	if b.db.url != "" {
		env = append(env, "DATABASE_URL="+b.db.url, "SANDBOX=true")
	}
	for _, name := range passThrough {
		if v := getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	return env
}

func (b *bench) maxSubscribers() int {
	n := 0
	if slices.Contains(b.cfg.scenarios, "idle-subscribers") {
		n = b.cfg.idle
	}
	if slices.Contains(b.cfg.scenarios, "fanout") || slices.Contains(b.cfg.scenarios, "fanout-updates") {
		for _, s := range b.cfg.subscribers {
			n = max(n, s)
		}
	}
	if slices.Contains(b.cfg.scenarios, "stores") {
		n = max(n, b.cfg.stores.stores*b.cfg.stores.subscribers)
	}
	if slices.Contains(b.cfg.scenarios, "rolling-restart") {
		n = max(n, b.cfg.restart.clients)
	}
	if slices.Contains(b.cfg.scenarios, "cross-replica") {
		for _, s := range b.cfg.cross.subscribers {
			n = max(n, s)
		}
	}
	return n
}

// scenario runs one scenario (the fan-outs once per subscriber count).
func (b *bench) scenario(ctx context.Context, name string) ([]result, error) {
	fmt.Fprintf(b.out, "\n== %s (%s)\n", name, b.cfg.db)
	var r result
	var err error
	switch name {
	case "order-by-id":
		r, err = b.orderByID(ctx)
	case "orders-page":
		r, err = b.ordersPage(ctx)
	case "fanout", "fanout-updates":
		var rs []result
		for _, n := range b.cfg.subscribers {
			if r, err = b.fanout(ctx, name, n); err != nil {
				return rs, err
			}
			rs = append(rs, r)
		}
		return rs, nil
	case "idle-subscribers":
		r, err = b.idleSubscribers(ctx)
	case "orders-burst":
		return b.ordersBurst(ctx)
	case "outage":
		r, err = b.outage(ctx)
	case "cross-replica":
		return b.crossReplica(ctx)
	case "webhook":
		r, err = b.webhookLatency(ctx)
	case "resume":
		r, err = b.resume(ctx)
	case "connect-cycles":
		r, err = b.connectCycles(ctx)
	case "rolling-restart":
		return b.rollingRestart(ctx)
	case "stores":
		return b.stores(ctx)
	}
	return []result{r}, err
}

// startServer starts a server on the run's database and, the first time,
// opens the storage handle (the server has migrated the database by then).
func (b *bench) startServer(ctx context.Context) (*serverProcess, error) {
	return b.startServerEnv(ctx, b.env)
}

// startServerEnv is startServer with the environment env.
func (b *bench) startServerEnv(ctx context.Context, env []string) (*serverProcess, error) {
	srv, err := startServer(ctx, b.bin, env, b.out)
	if err != nil {
		return nil, err
	}
	if b.store == nil {
		b.store, err = storage.Open(ctx, storage.Config{DatabaseURL: b.db.url, DataDir: b.db.dataDir, MaxOpenConns: 4})
		if err != nil {
			srv.stop()
			return nil, err
		}
	}
	return srv, nil
}
