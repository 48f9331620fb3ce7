package main

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

// The store set-up the scenarios on the sandbox use: a store connected as a
// manager connects one (drive.ConnectStore), on a server of its own, to
// Lightspeed: another server process whose sandbox stands in for it, so
// that the sandbox's work (answering the server's calls, its staff's
// actions, the webhooks it signs and sends) is not counted as the server's
// CPU but as Lightspeed's (cpuShare.Lightspeed).

// demoStore is the store a server started without SANDBOX_DEMO=false sets
// up on its sandbox (server/lightspeed.go).
const demoStore = "demo-store"

// retireDemo retires the demo store an earlier scenario's server set up, if
// any: its sandbox is gone, so the menu syncs the next server would run for
// it fail and stay in the job queue, which awaitStartupJobs waits to empty.
func (b *bench) retireDemo(ctx context.Context) error {
	if b.store == nil {
		return nil
	}
	var n int
	if err := b.store.SQL().QueryRowContext(ctx, "SELECT count(*) FROM stores WHERE id = '"+demoStore+"'").Scan(&n); err != nil {
		return fmt.Errorf("look for the demo store: %w", err)
	}
	if n == 0 {
		return nil
	}
	return b.retire(ctx, drive.Store{ID: demoStore})
}

// sandboxStore starts Lightspeed and a server using it, without the demo
// store (which would share the demo retailer's budget), sets the sandbox's
// limit to limit requests per limitWindow unless 0, connects a store to it
// with drive.ConnectStore and waits for the server's start-up jobs. The
// caller stops the server, which stops its Lightspeed.
func (b *bench) sandboxStore(ctx context.Context, name string, limit int) (*serverProcess, drive.Store, error) {
	if err := b.retireDemo(ctx); err != nil {
		return nil, drive.Store{}, err
	}
	lastJob, err := b.lastJob(ctx)
	if err != nil {
		return nil, drive.Store{}, err
	}
	lightspeed, err := b.startLightspeed(ctx, name)
	if err != nil {
		return nil, drive.Store{}, err
	}
	srv, err := b.startServerEnv(ctx, append(slices.Concat(b.env, lightspeedEnv(lightspeed)), "SANDBOX_DEMO=false"))
	if err != nil {
		lightspeed.stop()
		return nil, drive.Store{}, err
	}
	srv.lightspeed = lightspeed
	st, err := b.setUpStore(ctx, srv, name, limit, lastJob)
	if err != nil {
		srv.stop()
		return nil, drive.Store{}, err
	}
	return srv, st, nil
}

func (b *bench) setUpStore(ctx context.Context, srv *serverProcess, name string, limit int, lastJob int64) (drive.Store, error) {
	// Set before the set-up so that the server learns the limit from the
	// sandbox's X-RateLimit-Limit headers as it would from Lightspeed's.
	if limit > 0 {
		if err := srv.sandbox().SetRateLimit(ctx, limit, limitWindow); err != nil {
			return drive.Store{}, err
		}
	}
	st, err := drive.ConnectStore(ctx, srv.client(b.tokens.Mint(domain.RoleAdmin), 0), b.tokens, "Load test "+name)
	if err != nil {
		return st, err
	}
	return st, b.awaitStartupJobs(ctx, lastJob)
}

// startLightspeed starts Lightspeed: a server on an embedded database of
// its own in the run's directory dir, whose sandbox stands in for
// Lightspeed. It serves no profile: DEBUG_ADDR is the server's.
func (b *bench) startLightspeed(ctx context.Context, dir string) (*serverProcess, error) {
	env := slices.DeleteFunc(slices.Clone(b.env), func(v string) bool { return strings.HasPrefix(v, "DEBUG_ADDR=") })
	srv, err := startServer(ctx, cmp.Or(b.cfg.lightspeedBin, b.bin), append(env, "DATA_DIR="+filepath.Join(b.tmp, dir), "DATABASE_URL=", "SANDBOX_DEMO=false"), b.out)
	if err != nil {
		return nil, fmt.Errorf("start Lightspeed: %w", err)
	}
	return srv, nil
}

// lightspeedEnv points a server's Lightspeed app at lightspeed's sandbox.
func lightspeedEnv(lightspeed *serverProcess) []string {
	return []string{"LIGHTSPEED_API_URL=" + lightspeed.url + "/sandbox/{domain_prefix}",
		"LIGHTSPEED_CONNECT_URL=" + lightspeed.url + "/sandbox/connect"}
}

// sandbox is the control side of the server's Lightspeed: the sandbox of
// its Lightspeed process if it has one, else its built-in one.
func (s *serverProcess) sandbox() drive.Sandbox {
	if s.lightspeed != nil {
		return s.lightspeed.sandbox()
	}
	return drive.Sandbox{URL: s.url + "/sandbox", HTTP: s.http}
}

// callsSince returns the sandbox's counters added from earlier to now.
func callsSince(now, earlier drive.Stats) drive.Stats {
	d := drive.Stats{Requests: map[string]int{}, Total: now.Total - earlier.Total, RateLimited: now.RateLimited - earlier.RateLimited}
	for route, n := range now.Requests {
		if n -= earlier.Requests[route]; n != 0 {
			d.Requests[route] = n
		}
	}
	return d
}
