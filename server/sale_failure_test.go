package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/sandbox"
)

// Orders reaching Lightspeed exactly once through lost answers, rate
// limits, crashes and several replicas.

// fault injects a fault into the demo retailer of a sandbox.
func (sb lsSandbox) fault(f map[string]any) {
	sb.t.Helper()
	f["domain_prefix"] = sandbox.DemoPrefix
	sb.must(http.MethodPost, "/control/faults", "", f)
}

func TestLostSaleAnswerMakesNoSecondSale(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		sb.fault(map[string]any{"after": true, "status": 504, "path": "/sales", "method": "POST", "count": 1})
		id := st.shopperOrder(t, "LOST-1", "lost@example.com", anyItems(menu, 1), nil)
		o := st.waitPos(t, id, "SENT")
		if n := len(sb.sales("LOST-1")); n != 1 {
			t.Errorf("%d sales after a lost answer, want 1", n)
		}
		if a := path(o, "posSync", "attempts"); a.(float64) < 2 {
			t.Errorf("attempts %v, want the retry that found the sale", a)
		}
	})
}

// TestOnlyAFailedSendTakesAJob: an order is sent right after its commit
// with no job in the queue; one whose attempt then fails is handed to the
// queue, whose one job retries it: one sale, two attempts, and no order
// left naming a sender.
func TestOnlyAFailedSendTakesAJob(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		sqlDB := s.Storage(t).SQL()
		sends := `SELECT count(*) FROM river_job WHERE kind = 'send_order'`
		st.waitPos(t, st.shopperOrder(t, "NOW-1", "now@example.com", anyItems(menu, 1), nil), "SENT")
		if n := countRows(t, sqlDB, sends); n != 0 {
			t.Errorf("%d send jobs for an order sent at once, want none", n)
		}
		sb.fault(map[string]any{"status": 503, "path": "/sales", "method": "POST", "count": 1})
		o := st.waitPos(t, st.shopperOrder(t, "NOW-2", "now@example.com", anyItems(menu, 1), nil), "SENT")
		if n := len(sb.sales("NOW-2")); n != 1 {
			t.Errorf("%d sales after a failed first attempt, want 1", n)
		}
		if a := path(o, "posSync", "attempts"); a != float64(2) {
			t.Errorf("attempts %v, want 2: the first right after commit, the second the job's", a)
		}
		// River records a job's completion in batches, after the work.
		waitFor(t, "the retry's job to complete", 10*time.Second, func() bool {
			return countRows(t, sqlDB, sends+` AND state = 'completed'`) == 1
		})
		if n := countRows(t, sqlDB, sends); n != 1 {
			t.Errorf("%d send jobs, want the one retry", n)
		}
		if n := countRows(t, sqlDB, `SELECT count(*) FROM orders WHERE pos_sender IS NOT NULL`); n != 0 {
			t.Errorf("%d orders still name a sender, want none", n)
		}
	})
}

func TestRateLimitedMidwayLosesNothing(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		sb.fault(map[string]any{"status": 429, "count": 2, "path": "/sales", "method": "POST", "retry_after_ms": 1500})
		var ids []string
		for i := range 3 {
			ids = append(ids, st.shopperOrder(t, fmt.Sprintf("RL-%d", i), "rl@example.com", anyItems(menu, 1), nil))
		}
		for i, id := range ids {
			st.waitPos(t, id, "SENT")
			if n := len(sb.sales(fmt.Sprintf("RL-%d", i))); n != 1 {
				t.Errorf("RL-%d: %d sales, want 1", i, n)
			}
		}
	})
}

// sandboxHost makes a PostgreSQL database for server processes and starts
// the server whose sandbox they talk to, which outlives them.
func sandboxHost(t *testing.T) (databaseURL string, host *testServer, sb lsSandbox) {
	t.Helper()
	databaseURL = pgtest.NewDatabase(t)
	host = startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	return databaseURL, host, sandboxOf(t, host)
}

// lightspeedProcess starts a server process on a PostgreSQL database that
// talks to the sandbox of host, so the process can die while the sandbox
// lives on.
func lightspeedProcess(t *testing.T, host *testServer, databaseURL string) *testServer {
	t.Helper()
	return sandboxedProcess(t, host, map[string]string{"DATABASE_URL": databaseURL, "DATA_DIR": t.TempDir(), "SANDBOX": "true", "JOB_TIMEOUT": "2s"})
}

// sandboxedProcess starts a server process with env that talks to the
// sandbox of host.
func sandboxedProcess(t *testing.T, host *testServer, env map[string]string) *testServer {
	t.Helper()
	all := map[string]string{"MENU_SYNC_INTERVAL": "1h", "ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(testEncryptionKey),
		"LIGHTSPEED_API_URL":     host.URL + sandboxPath + "/{domain_prefix}",
		"LIGHTSPEED_CONNECT_URL": host.URL + sandboxPath + "/connect",
	}
	for k, v := range env {
		all[k] = v
	}
	return startProcess(t, all)
}

// TestCrashAfterSaleAccepted kills the process after Lightspeed made the sale
// but before the database recorded it: after a restart there is still
// exactly one sale, and the order is SENT.
func TestCrashAfterSaleAccepted(t *testing.T) {
	t.Parallel()
	url, host, sb := sandboxHost(t)
	p := lightspeedProcess(t, host, url)
	st, menu := enabledStore(t, p)
	sb.fault(map[string]any{"after": true, "timeout": true, "path": "/sales", "method": "POST", "count": 1})
	id := st.shopperOrder(t, "CRASH-1", "crash@example.com", anyItems(menu, 1), nil)
	waitFor(t, "Lightspeed to make the sale", 20*time.Second, func() bool { return len(sb.sales("CRASH-1")) == 1 })
	p.Crash(t)

	restarted := lightspeedProcess(t, host, url)
	st.s = restarted
	// The restarted process hands the dead one's send to the queue (pos's
	// ReclaimSends, run by jobs.Liveness).
	st.waitPosWithin(t, id, "SENT", 30*time.Second)
	if n := len(sb.sales("CRASH-1")); n != 1 {
		t.Errorf("%d sales after the crash and restart, want 1", n)
	}
}

// restartable starts server processes on one database of db's, one after
// another, each as the same replica would restart: Lightspeed's sandbox is
// a host server's of its own, so it outlives them. Calls to Lightspeed
// time out after lightspeedTimeout.
type restartable struct {
	host *testServer
	sb   lsSandbox
	env  map[string]string
}

func newRestartable(t *testing.T, db database, lightspeedTimeout string) restartable {
	t.Helper()
	host := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	env := map[string]string{"LIGHTSPEED_TIMEOUT": lightspeedTimeout}
	for k, v := range db.env {
		env[k] = v
	}
	return restartable{host: host, sb: sandboxOf(t, host), env: env}
}

// start starts the next process.
func (r restartable) start(t *testing.T) *testServer {
	t.Helper()
	return sandboxedProcess(t, r.host, r.env)
}

// TestCrashMidSendResumesSoon kills the process while four sales are being
// made (two hang before Lightspeed makes the sale, two after it made it)
// and restarts it: every interrupted order is SENT within 30 s of the
// process answering again, one sale each. The sends were made right after
// each order's commit, with no job: the restarted process hands them to
// the queue once the dead one has missed its beats (pos's ReclaimSends),
// well before a live sender's orders count as dropped (2 minutes).
func TestCrashMidSendResumesSoon(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		r := newRestartable(t, db, "2m")
		sb, p := r.sb, r.start(t)
		st, menu := enabledStore(t, p)
		for _, after := range []bool{false, true} {
			sb.fault(map[string]any{"after": after, "timeout": true, "path": "/sales", "method": "POST", "count": 2})
		}
		var ids []string
		for i := range 4 {
			ids = append(ids, st.shopperOrder(t, fmt.Sprintf("MIDSEND-%d", i), "midsend@example.com", anyItems(menu, 1), nil))
		}
		ordersDB := p.Storage(t).SQL()
		waitFor(t, "four sale creations hanging", 60*time.Second, func() bool {
			var running int
			if err := ordersDB.QueryRow(`SELECT count(*) FROM orders WHERE pos_sender IS NOT NULL AND pos_attempts = 1`).Scan(&running); err != nil {
				t.Fatal(err)
			}
			faults, _ := sb.must(http.MethodGet, "/control/faults", "", nil)["data"].([]any)
			return running == 4 && len(faults) == 0
		})
		p.Crash(t)

		st.s = r.start(t)
		back := time.Now()
		for _, id := range ids {
			st.waitPosWithin(t, id, "SENT", 30*time.Second-time.Since(back))
		}
		t.Logf("every interrupted order SENT %s after the process answered again", time.Since(back).Round(100*time.Millisecond))
		for i := range ids {
			if n := len(sb.sales(fmt.Sprintf("MIDSEND-%d", i))); n != 1 {
				t.Errorf("MIDSEND-%d: %d sales after the crash and restart, want 1", i, n)
			}
		}
	})
}

// TestStopFinishesSendUnderWay stops the process (SIGTERM) while it sends
// an order right after its commit and Lightspeed hangs: the stop waits for
// the attempt, which fails and hands the send to the job queue before the
// process exits, and the next process sends it from there: one sale.
func TestStopFinishesSendUnderWay(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		r := newRestartable(t, db, "2s")
		sb, p := r.sb, r.start(t)
		st, menu := enabledStore(t, p)
		sb.fault(map[string]any{"timeout": true, "path": "/sales", "method": "POST", "count": 1})
		id := st.shopperOrder(t, "STOP-1", "stop@example.com", anyItems(menu, 1), nil)
		ordersDB := p.Storage(t).SQL()
		waitFor(t, "the sale's creation hanging", 30*time.Second, func() bool {
			faults, _ := sb.must(http.MethodGet, "/control/faults", "", nil)["data"].([]any)
			return len(faults) == 0
		})
		p.Stop(t)
		if n := countRows(t, ordersDB, `SELECT count(*) FROM orders WHERE pos_sender IS NOT NULL`); n != 0 {
			t.Errorf("%d orders still name the stopped process as their sender, want the send handed to the queue", n)
		}
		if n := countRows(t, ordersDB, `SELECT count(*) FROM river_job WHERE kind = 'send_order'`); n != 1 {
			t.Errorf("%d send jobs after the stop, want 1", n)
		}
		st.s = r.start(t)
		st.waitPos(t, id, "SENT")
		if n := len(sb.sales("STOP-1")); n != 1 {
			t.Errorf("%d sales after the stop and restart, want 1", n)
		}
	})
}

// TestTwoProcessesDrainOneQueue sends orders through two server processes
// sharing one database: each order becomes exactly one sale.
func TestTwoProcessesDrainOneQueue(t *testing.T) {
	t.Parallel()
	url, host, sb := sandboxHost(t)
	a := lightspeedProcess(t, host, url)
	b := lightspeedProcess(t, host, url)
	st, menu := enabledStore(t, a)
	var ids []string
	for i := range 20 {
		on := st
		if i%2 == 1 {
			on.s = b
		}
		ids = append(ids, on.shopperOrder(t, fmt.Sprintf("TWO-%d", i), fmt.Sprintf("two-%d@example.com", i%3), anyItems(menu, 1), nil))
	}
	for i, id := range ids {
		st.waitPos(t, id, "SENT")
		if n := len(sb.sales(fmt.Sprintf("TWO-%d", i))); n != 1 {
			t.Errorf("TWO-%d: %d sales, want 1", i, n)
		}
	}
	// Each process sent the orders it took right after their commit.
	var jobs int
	if err := a.Storage(t).SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'send_order'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 0 {
		t.Errorf("%d send jobs, want none: every order was sent right after its commit", jobs)
	}
}

// TestStaffChangeBeforeSaleRecorded: Lightspeed makes the sale but the
// answer is lost, and staff pack (or void) the sale before the service's retry finds
// it. The webhook and the sales feed meet an order not yet in the POS; the
// retry that records the sale must apply what the sale says by then, or the
// change is lost for good (later reads see no newer version).
func TestStaffChangeBeforeSaleRecorded(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, map[string]string{"LIGHTSPEED_TIMEOUT": "2s", "LIGHTSPEED_RECONCILE_INTERVAL": "1s"})
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		sb.fault(map[string]any{"after": true, "timeout": true, "path": "/sales", "method": "POST", "count": 2})
		for _, c := range []struct{ id, action, want string }{
			{"EARLY-PACK", "pack", "READY"},
			{"EARLY-VOID", "void", "CANCELED"},
		} {
			id := st.shopperOrder(t, c.id, "early@example.com", anyItems(menu, 1), nil)
			waitFor(t, "Lightspeed to make the sale", 10*time.Second, func() bool { return len(sb.sales(c.id)) == 1 })
			sb.staff(str(sb.sales(c.id)[0]["id"]), c.action)
			st.waitPosWithin(t, id, "SENT", 30*time.Second)
			st.waitStatus(t, id, c.want)
		}
	})
}
