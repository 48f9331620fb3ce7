package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/domain"
)

// The resume scenario: a dashboard that was away while its store's orders
// changed subscribes to orderUpdated again with the cursor of the last
// update it received; the server replays what it missed, then goes live.

// resumeConfig is what the resume flags set.
type resumeConfig struct {
	updates int
	runs    int
}

func (c *resumeConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.updates, "resume-updates", 1000, "resume: updates missed while away, replayed on each resume")
	fs.IntVar(&c.runs, "resume-runs", 5, "resume: resumes measured, each after missing -resume-updates new updates")
}

func (c resumeConfig) check() error {
	if c.updates < 1 || c.runs < 1 {
		return fmt.Errorf("-resume-updates and -resume-runs must be at least 1")
	}
	return nil
}

// resumeGoal is how long replaying the missed updates may take.
const resumeGoal = time.Second

// resume measures replays. A subscriber of orderUpdated takes one live
// update and leaves; then, -resume-runs times, -resume-updates updates are
// made (the fan-out's mutations, back to back), the subscriber connects
// again and subscribes after the last cursor it received, and the time
// from its subscribe message to the last replayed update is measured. Each
// replay must be the missed updates, each once, in the order they were made.
func (b *bench) resume(ctx context.Context) (result, error) {
	c := b.cfg.resume
	srv, err := b.startServer(ctx)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	f, err := b.seedStore(ctx, srv, "resume")
	if err != nil {
		return result{}, err
	}
	rs := &resumer{b: b, srv: srv, f: f, url: "ws" + strings.TrimPrefix(srv.url, "http") + "/query",
		token: b.tokens.Mint(domain.RoleStoreStaff, f.StoreID), prefix: fmt.Sprintf("RESUME-%d", time.Now().UnixNano())}
	if err := rs.first(ctx); err != nil {
		return result{}, err
	}
	var w window
	var cpu cpuShare
	replayed := 0
	for run := 1; run <= c.runs; run++ {
		took, used, err := rs.resume(ctx, run, c.updates)
		if err != nil {
			if ctx.Err() != nil {
				return result{}, err
			}
			w.errors, w.firstErr = 1, fmt.Errorf("resume %d: %w", run, err)
			break
		}
		fmt.Fprintf(b.out, "  resume %d: %s replayed in %s\n", run, plural(c.updates, "update"), took.Round(100*time.Microsecond))
		w.lat = append(w.lat, took)
		cpu = cpu.plus(used)
		replayed += c.updates
	}
	return b.resumeResult(w, cpu, replayed), nil
}

// resumer is the resume scenario's subscriber: where it connects, as whom,
// and the cursor of the last update it received.
type resumer struct {
	b      *bench
	srv    *serverProcess
	f      fixture
	url    string
	token  string
	prefix string
	after  string
}

// first subscribes without a cursor, makes one update and keeps its cursor.
func (rs *resumer) first(ctx context.Context) error {
	s, err := rs.connect(ctx)
	if err != nil {
		return err
	}
	defer rs.leave(ctx, s)
	if err := s.subscribe(updatesSubscription, map[string]any{"s": rs.f.StoreID}); err != nil {
		return err
	}
	if _, err := rs.srv.waitMetric(ctx, "leafly_subscriptions", 30*time.Second, func(v float64) bool { return v == 1 }); err != nil {
		return err
	}
	if _, _, err := rs.b.publish(ctx, rs.srv, rs.f, planSteps(1, rs.prefix+"-0"), time.Now(), 0); err != nil {
		return err
	}
	got, err := s.readUpdates(1, time.Now().Add(30*time.Second))
	if err != nil {
		return fmt.Errorf("first update: %w", err)
	}
	rs.after = got[0].Cursor
	return nil
}

// resume makes n updates while away, then subscribes after the last cursor
// and times the replay; it returns how long it took and the CPU use
// meanwhile.
func (rs *resumer) resume(ctx context.Context, run, n int) (time.Duration, cpuShare, error) {
	steps := planSteps(n, fmt.Sprintf("%s-%d", rs.prefix, run))
	if _, _, err := rs.b.publish(ctx, rs.srv, rs.f, steps, time.Now(), 0); err != nil {
		return 0, cpuShare{}, err
	}
	s, err := rs.connect(ctx)
	if err != nil {
		return 0, cpuShare{}, err
	}
	defer rs.leave(ctx, s)
	before := sampleCPU(rs.srv)
	start := time.Now()
	if err := s.subscribe(updatesSubscription, map[string]any{"s": rs.f.StoreID, "after": rs.after}); err != nil {
		return 0, cpuShare{}, err
	}
	got, err := s.readUpdates(n, start.Add(60*time.Second))
	took := time.Since(start)
	cpu := sampleCPU(rs.srv).since(before)
	if err != nil {
		return 0, cpuShare{}, err
	}
	if err := checkReplay(got, steps, rs.after); err != nil {
		return 0, cpuShare{}, err
	}
	rs.after = got[len(got)-1].Cursor
	return took, cpu, nil
}

func (rs *resumer) connect(ctx context.Context) (*subscriber, error) {
	d := &websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 15 * time.Second}
	return dialConnection(ctx, d, rs.url, rs.token)
}

// leave closes the subscriber's socket and waits until the server no
// longer counts its subscription: it is away.
func (rs *resumer) leave(ctx context.Context, s *subscriber) {
	s.conn.Close()
	_, _ = rs.srv.waitMetric(ctx, "leafly_subscriptions", 30*time.Second, func(v float64) bool { return v == 0 })
}

// readUpdates reads the next n orderUpdated events, answering pings, until
// deadline.
func (s *subscriber) readUpdates(n int, deadline time.Time) ([]orderUpdate, error) {
	_ = s.conn.SetReadDeadline(deadline)
	got := make([]orderUpdate, 0, n)
	for len(got) < n {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			return got, fmt.Errorf("after %d of %d updates: %w", len(got), n, err)
		}
		var m inbound
		if err := json.Unmarshal(data, &m); err != nil {
			return got, fmt.Errorf("undecodable message %s: %w", data, err)
		}
		switch m.Type {
		case "next":
			if m.Payload.Data.OrderUpdated == nil || len(m.Payload.Errors) > 0 {
				return got, fmt.Errorf("after %d updates, unexpected %s", len(got), data)
			}
			got = append(got, *m.Payload.Data.OrderUpdated)
		case "ping":
			if err := s.conn.WriteMessage(websocket.TextMessage, pong); err != nil {
				return got, err
			}
		case "pong", "ka":
		default:
			return got, fmt.Errorf("after %d updates, unexpected %s", len(got), data)
		}
	}
	return got, nil
}

// checkReplay returns an error unless got are the updates steps made, in
// their order, each once: the order and kind of each step, cursors
// increasing from after.
func checkReplay(got []orderUpdate, steps []step, after string) error {
	last, err := domain.ParseOrderUpdateCursor(after)
	if err != nil {
		return err
	}
	for i, u := range got {
		seq, err := domain.ParseOrderUpdateCursor(u.Cursor)
		if err != nil || seq <= last {
			return fmt.Errorf("update %d: cursor %q (%v) does not follow the previous one", i, u.Cursor, err)
		}
		last = seq
		kind := "STATUS_CHANGED"
		if steps[i].status == domain.StatusPending {
			kind = "CREATED"
		}
		if u.Order.LeaflyOrderID != steps[i].leaflyID || u.Kind != kind {
			return fmt.Errorf("update %d is %s of %s, want %s of %s", i, u.Kind, u.Order.LeaflyOrderID, kind, steps[i].leaflyID)
		}
	}
	return nil
}

// resumeResult is the report's row: the replays' durations, and the CPU
// used while they ran.
func (b *bench) resumeResult(w window, cpu cpuShare, replayed int) result {
	c := b.cfg.resume
	r := newResult("resume", b.cfg.db, fmt.Sprintf("%s missed × %s", plural(c.updates, "update"), plural(c.runs, "resume")), w)
	r.Throughput = 0
	r.CPU = cpu
	expected := c.updates * c.runs
	r.detail("replayed %s/%s updates, each once, in order", count(replayed), count(expected))
	if replayed > 0 {
		r.detail("%s", cpu.perOp(replayed, "replayed update"))
	}
	r.Values = map[string]float64{"replayed": float64(replayed), "expected": float64(expected)}
	r.goal(fmt.Sprintf("%s replayed in ≤ %s", plural(c.updates, "update"), resumeGoal), r.Samples == c.runs && r.Max <= ms(resumeGoal))
	r.goal("every update once, in order", replayed == expected)
	return r
}
