package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/domain"
)

// The connect-cycles scenario: subscribers that come and go must leave
// nothing behind on the server. Cycles run in rounds of -cycle-workers
// concurrent connections: each connects, sends connection_init, waits for
// connection_ack and subscribes to the store's orderStatusChanged; once the
// server's leafly_subscriptions gauge counts the whole round (polled every
// 2ms), every connection disconnects, and the next round starts once the
// gauge is back to 0. graphql-transport-ws does not acknowledge a
// subscribe, and a client that leaves before its subscription is set up
// tests another path (the resolver's cancellation), so the gauge is what
// shows each subscription was established (-cycle-early tests that other
// path: each connection leaves as soon as the server answers a ping sent
// after the subscribe). Even cycles end with a close frame (and wait for
// the server's answer), odd ones by dropping the socket without one, as a
// client that goes away does.

// cyclesConfig is what the connect-cycles flags set.
type cyclesConfig struct {
	cycles  int
	workers int
	early   bool
}

func (c *cyclesConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.cycles, "cycles", 10_000, "connect-cycles: connect, subscribe, disconnect cycles to run")
	fs.IntVar(&c.workers, "cycle-workers", 4, "connect-cycles: concurrent connections per round of cycles")
	fs.BoolVar(&c.early, "cycle-early", false, "connect-cycles: disconnect as soon as the server answers a ping sent after the subscribe,"+
		" before the subscription is set up (its resolver is cancelled)")
}

func (c cyclesConfig) check() error {
	if c.cycles < 1 || c.workers < 1 {
		return fmt.Errorf("-cycles and -cycle-workers must be at least 1")
	}
	return nil
}

// cycleRun is what the rounds measured.
type cycleRun struct {
	established latencies // per cycle: dial to the gauge counting its round
	rounds      latencies // per round: dial to the gauge back to 0
	cycles      int
	graceful    int
	abrupt      int
	errors      int
	firstErr    error
	elapsed     time.Duration
	warnings    int64 // the server logged
}

func (r *cycleRun) fail(err error) {
	r.errors++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// cyclePoll is how often a round polls the server's gauges.
const cyclePoll = 2 * time.Millisecond

// connectCycles runs -cycles cycles in rounds of -cycle-workers and checks
// that the server's goroutines return to where they started.
func (b *bench) connectCycles(ctx context.Context) (result, error) {
	srv, f, before, err := b.baseline(ctx, "connect-cycles")
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	c := b.cfg.cycles
	stopPerf, err := b.perf(srv, "connect-cycles")
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(b.out, "  running %s in rounds of %d connections\n", plural(c.cycles, "cycle"), c.workers)
	cpu0, warnings := sampleCPU(srv), srv.warnings.Load()
	run := b.runCycles(ctx, srv, f)
	cpu := sampleCPU(srv).since(cpu0)
	if err := stopPerf(); err != nil {
		return result{}, err
	}
	fmt.Fprintf(b.out, "  %s in %s (%.0f/s), %d failed\n", plural(run.cycles, "cycle"), run.elapsed.Round(10*time.Millisecond),
		float64(run.cycles)/run.elapsed.Seconds(), run.errors)
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}
	start := time.Now()
	_, _ = srv.waitMetric(ctx, "leafly_websocket_connections", 30*time.Second, func(v float64) bool { return v == 0 })
	after, drained, err := b.drain(ctx, srv, before, start)
	if err != nil {
		return result{}, err
	}
	run.warnings = srv.warnings.Load() - warnings
	return b.cyclesResult(run, cpu, before, after, drained), nil
}

// runCycles runs the rounds. A round whose subscriptions the server does
// not count within 10s, or that it does not drop within 10s of the
// disconnects, stops the run: the next round could not be told apart.
func (b *bench) runCycles(ctx context.Context, srv *serverProcess, f fixture) cycleRun {
	c := b.cfg.cycles
	d := &websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 15 * time.Second,
		ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{}}
	url := "ws" + strings.TrimPrefix(srv.url, "http") + "/query"
	tokens := make([]string, c.workers) // a subject per worker, under the cap on websockets per subject
	for j := range tokens {
		tokens[j] = b.tokens.As(fmt.Sprintf("cycler-%d", j)).Mint(domain.RoleStoreStaff, f.StoreID)
	}
	var run cycleRun
	start := time.Now()
	lastReport := start
	for next := 0; next < c.cycles && ctx.Err() == nil; {
		k := min(c.workers, c.cycles-next)
		t := time.Now()
		conns := make([]*subscriber, k)
		errs := make([]error, k)
		var wg sync.WaitGroup
		for j := range conns {
			wg.Go(func() { conns[j], errs[j] = dialSubscriber(ctx, d, url, tokens[j], f.StoreID, statusSubscription) })
		}
		wg.Wait()
		live := 0
		for j, err := range errs {
			if err != nil {
				run.fail(fmt.Errorf("cycle %d: %w", next+j, err))
				continue
			}
			live++
		}
		var err error
		if c.early {
			for j, s := range conns {
				if s != nil {
					wg.Go(func() { errs[j] = pingPong(s) })
				}
			}
			wg.Wait()
		} else {
			err = awaitGauges(ctx, srv, 10*time.Second, func(subs, _ float64) bool { return int(subs) == live })
		}
		established := time.Since(t)
		if err != nil {
			run.fail(fmt.Errorf("cycles %d to %d: %d subscribed, %w", next, next+k-1, live, err))
		}
		for j, s := range conns {
			if s == nil {
				continue
			}
			graceful := (next+j)%2 == 0
			wg.Go(func() {
				if err := hangUp(s, graceful); err != nil {
					errs[j] = fmt.Errorf("cycle %d: %w", next+j, err)
				}
			})
			if graceful {
				run.graceful++
			} else {
				run.abrupt++
			}
		}
		wg.Wait()
		for j, s := range conns {
			if s != nil && errs[j] != nil {
				run.fail(errs[j])
			} else if s != nil && err == nil {
				run.established = append(run.established, established)
			}
		}
		drop := awaitGauges(ctx, srv, 10*time.Second, func(subs, _ float64) bool { return subs == 0 })
		run.rounds = append(run.rounds, time.Since(t))
		run.cycles += k
		next += k
		if err != nil || drop != nil {
			if drop != nil {
				run.fail(fmt.Errorf("after cycles %d to %d: %w", next-k, next-1, drop))
			}
			fmt.Fprintf(b.out, "  stopping after %s: %v\n", plural(run.cycles, "cycle"), firstError(err, drop))
			break
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(b.out, "  %s after %s\n", plural(run.cycles, "cycle"), time.Since(start).Round(time.Second))
		}
	}
	run.elapsed = time.Since(start)
	return run
}

// awaitGauges polls the server's leafly_subscriptions and
// leafly_websocket_connections every cyclePoll until cond holds.
func awaitGauges(ctx context.Context, srv *serverProcess, timeout time.Duration, cond func(subs, sockets float64) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		m, err := srv.metrics(ctx)
		if err == nil && cond(m["leafly_subscriptions"], m["leafly_websocket_connections"]) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server counts %.0f subscriptions and %.0f websockets after %s (last error %v)",
				m["leafly_subscriptions"], m["leafly_websocket_connections"], timeout, err)
		}
		time.Sleep(cyclePoll)
	}
}

// pingPong sends a ping and waits for the pong: the server reads a
// connection's messages in order, so it has taken the subscribe sent before.
func pingPong(s *subscriber) error {
	if err := s.conn.WriteJSON(wsMessage{Type: "ping"}); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m wsMessage
		if err := s.conn.ReadJSON(&m); err != nil {
			return fmt.Errorf("wait for pong: %w", err)
		}
		switch m.Type {
		case "pong":
			return nil
		case "ping":
			if err := s.conn.WriteMessage(websocket.TextMessage, pong); err != nil {
				return fmt.Errorf("pong: %w", err)
			}
		default:
			return fmt.Errorf("got %s %s, want pong", m.Type, m.Payload)
		}
	}
}

// hangUp ends a cycle's connection: with a close frame, waiting for the
// server's answer, or by dropping the socket.
func hangUp(s *subscriber, graceful bool) error {
	defer s.conn.Close()
	if !graceful {
		return nil
	}
	frame := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done")
	if err := s.conn.WriteControl(websocket.CloseMessage, frame, time.Now().Add(time.Second)); err != nil {
		return fmt.Errorf("close frame: %w", err)
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := s.conn.ReadMessage()
		if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("wait for the server's close frame: %w", err)
		}
		var m wsMessage
		if json.Unmarshal(data, &m) == nil && m.Type == "ping" {
			continue
		}
		return fmt.Errorf("unexpected message before the close frame: %s", data)
	}
}

func (b *bench) cyclesResult(run cycleRun, cpu cpuShare, before, after footprint, drained time.Duration) result {
	c := b.cfg.cycles
	load := fmt.Sprintf("%s, rounds of %d", plural(c.cycles, "connect-subscribe-disconnect cycle"), c.workers)
	until := "the server counting the round's subscriptions"
	if c.early {
		load += ", disconnecting at the pong (early)"
		until = "the pong to a ping sent after the subscribe"
	}
	r := newResult("connect-cycles", b.cfg.db, load, window{lat: run.established, errors: run.errors, firstErr: run.firstErr})
	r.Throughput = float64(run.cycles) / run.elapsed.Seconds()
	r.CPU = cpu
	if run.cycles > 0 && cpu.Seconds > 0 {
		r.detail("%s", cpu.perOp(run.cycles, "cycle"))
	}
	rs := run.rounds.summary()
	r.detail("%.1f cycles/s; p50/p99/max run from the dial to %s; a whole round "+
		"(dial to the server counting 0 subscriptions again) p50 %.2f ms, p99 %.2f ms", r.Throughput, until, ms(rs.P50), ms(rs.P99))
	r.detail("%d ended with a close frame, %d by dropping the socket; the server logged %d warnings and errors", run.graceful, run.abrupt, run.warnings)
	r.detail("goroutines %s before → %s %s after the last cycle; websockets %.0f, subscriptions %.0f", count(int(before.goroutines)),
		count(int(after.goroutines)), drained.Round(10*time.Millisecond), after.sockets, after.subscriptions)
	r.detail("VmRSS %s KiB before → %s KiB after", count(int(before.rssKiB)), count(int(after.rssKiB)))
	r.Values = map[string]float64{"cycles": float64(run.cycles), "cyclesPerSecond": r.Throughput,
		"roundP50Ms": ms(rs.P50), "roundP99Ms": ms(rs.P99),
		"goroutinesBefore": before.goroutines, "goroutinesAfter": after.goroutines,
		"rssBeforeKiB": float64(before.rssKiB), "rssAfterKiB": float64(after.rssKiB),
		"websocketsAfter": after.sockets, "subscriptionsAfter": after.subscriptions, "serverWarnings": float64(run.warnings)}
	r.goal(fmt.Sprintf("goroutines back to baseline after %s cycles", count(c.cycles)),
		run.cycles == c.cycles && after.goroutines <= before.goroutines+goroutineSlack && after.sockets == 0 && after.subscriptions == 0)
	return r
}
