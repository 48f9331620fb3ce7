// Command chaos is the scripted chaos run of the order service (issue 7,
// part 3): orders flow into Lightspeed while the service is killed, its
// database restarts and staff work the sales in Lightspeed, and at the end
// nothing may be lost or doubled.
//
// Usage, from the module root (PostgreSQL reachable through -database-url;
// -pg-restart needs pg_ctlcluster and a local cluster, as root or its owner):
//
//	go run ./cmd/chaos                                   # 1000 orders, 3 kills, 1 PostgreSQL restart, 2 lost answers
//	go run ./cmd/chaos -orders 100 -kills 1 -pg-restart=false
//	go run ./cmd/chaos -seed 42 -logs /tmp/chaos-logs    # replay a schedule, keep the server logs
//
// What it does:
//
//  1. Builds the server (go build) and starts two processes of it. The HOST
//     runs on its embedded SQLite; only its sandbox is used, playing
//     Lightspeed (rate limit raised out of the way). The VICTIM runs on a
//     PostgreSQL database the program creates (chaos_<time>, dropped at the
//     end) on a fixed port, with PUBLIC_URL on that port so the sandbox's
//     webhooks reach every incarnation, SANDBOX=true (the sandbox's OAuth
//     app), LIGHTSPEED_API_URL and LIGHTSPEED_CONNECT_URL on the host's
//     sandbox, and NOTIFY_WEBHOOK_URL
//     on a receiver inside this program that records every notification.
//  2. Connects one store to the sandbox through OAuth, syncs its menu, sets
//     it up and enables its order integration, as a manager would.
//  3. Submits -orders orders at -rate per second from -clients MARKETPLACE
//     clients over GraphQL. A submission that fails (the victim is down,
//     the database restarting) is retried with the same Leafly order id
//     until it is accepted: submitOrder is idempotent on it.
//  4. Meanwhile kills the victim with SIGKILL -kills times and restarts it
//     on the same port 0.5 to 3 s later, restarts PostgreSQL once
//     (-pg-restart: pg_ctlcluster --skip-systemctl-redirect <version> main
//     restart, the version as .ci/run finds it), and -lost-answers times
//     makes Lightspeed lose its answer to a sale creation (a sandbox fault:
//     the sale is made, the service's call hangs until it times out), each
//     at a random moment of the submitting (-seed makes the schedule and
//     every other choice repeatable).
//  5. Plays the store's staff in the sandbox: soon after each order is
//     accepted, its sale (once it exists) is packed, closed, voided, packed
//     then closed, packed then voided, or left alone (about a third), and
//     the last change made is remembered: READY, PICKED_UP or CANCELED.
//  6. Waits, within -timeout, until everything settles: every order in the
//     POS with its expected status, every expected notification received
//     and no delivery job left in the victim's queue.
//
// Then it checks, and prints as a table, that every planned disruption
// happened; that every order was accepted and is exactly one order of the
// service (the one submitOrder answered, also when an accepted order is
// submitted again); that every order is exactly one sale in the sandbox
// (sales counted by source id, deleted ones too), the one its
// posSync.saleId names, and that no other sale exists; that every staff
// change reached its order and every other order is CONFIRMED; that each
// notification the orders' histories call for (new_order to the store,
// order_status per change to the shopper) is exactly one notification,
// counted by kind, order and status, and that no other was sent; and that
// no delivery job is left. It exits with status 1 if a check failed.
//
// A notification delivered again with the same id and Idempotency-Key (a
// process killed after the receiver's 2xx and before the outbox row was
// marked sent) is counted on a line of its own, failing only with
// -strict-notify: the webhook is at least once by contract
// (notify/webhook.go), and receivers drop a repeated Idempotency-Key.
//
// Per kill, it also reports the orders whose send was under way when the
// process died and the time from the restarted process answering again to
// the last of them SENT, and checks that it is within 30 s.
//
// The victim runs with JOB_TIMEOUT=1m (the default: River's rescuer would
// run a killed process's jobs again only after 2 minutes; the restarted
// process reclaims them, and the sends the dead one was making right
// after commit, about 10 s after its start), LIGHTSPEED_TIMEOUT=3s and LIGHTSPEED_RECONCILE_INTERVAL=15s. Waiting for
// the run to settle stops early when nothing has changed for two minutes
// and no delivery job is left. The servers' logs go to -logs (a
// temporary directory by default, kept when a check fails).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leafly/lightspeed-orders/internal/drive"
)

func main() { drive.Main("chaos", run) }

// errFailed is what run returns when the run went through and a check
// failed.
var errFailed = errors.New("a check failed (see the table above)")

// config is what the flags set.
type config struct {
	orders      int
	kills       int
	pgRestart   bool
	lostAnswers int
	seed        int64
	databaseURL string
	timeout     time.Duration
	clients     int
	rate        float64
	serverBin   string
	logs        string
	verbose     bool
	strict      bool
}

// run parses args, runs the chaos and prints its report.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseFlags(args, getenv, stdout)
	if err != nil {
		return err
	}
	rep, err := chaosRun(ctx, cfg, drive.LockedWriter(stdout))
	if err != nil {
		return err
	}
	if !rep.ok() {
		return errFailed
	}
	return nil
}

func parseFlags(args []string, getenv func(string) string, stdout io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.IntVar(&c.orders, "orders", 1000, "orders to submit")
	fs.IntVar(&c.kills, "kills", 3, "times to kill the service with SIGKILL (and restart it)")
	fs.BoolVar(&c.pgRestart, "pg-restart", true, "restart PostgreSQL once during the run (pg_ctlcluster, local cluster only)")
	fs.IntVar(&c.lostAnswers, "lost-answers", 2, "times Lightspeed makes a sale but its answer is lost (the service's call times out)")
	fs.Int64Var(&c.seed, "seed", 0, "seed of every random choice; 0 picks one from the clock (the report prints it)")
	fs.StringVar(&c.databaseURL, "database-url", cmp.Or(getenv("CHAOS_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		"PostgreSQL database through which to create (and drop) the run's database (default $CHAOS_DATABASE_URL if set)")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Minute, "the whole run's limit; what has not settled by then fails")
	fs.IntVar(&c.clients, "clients", 4, "concurrent MARKETPLACE clients submitting orders")
	fs.Float64Var(&c.rate, "rate", 10, "orders submitted per second (the clients' steady pace)")
	fs.StringVar(&c.serverBin, "server-bin", "", "server binary to run (default: go build ./server)")
	fs.StringVar(&c.logs, "logs", "", "directory for the servers' logs (default: a temporary one, removed unless a check fails)")
	fs.BoolVar(&c.verbose, "v", false, "print the servers' warnings and errors as they come")
	fs.BoolVar(&c.strict, "strict-notify", false, "fail on a notification delivered again with the same Idempotency-Key (by default reported only: the webhook contract is at least once)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.orders < 1 || c.clients < 1:
		return c, fmt.Errorf("-orders and -clients must be at least 1")
	case c.kills < 0 || c.lostAnswers < 0:
		return c, fmt.Errorf("-kills and -lost-answers must not be negative")
	case c.rate <= 0:
		return c, fmt.Errorf("-rate must be positive")
	case c.timeout <= 0:
		return c, fmt.Errorf("-timeout must be positive")
	}
	if c.seed == 0 {
		c.seed = time.Now().UnixNano()
	}
	return c, nil
}
