package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leafly/lightspeed-orders/internal/wait"
)

// The listener's timings: it retries a lost connection after minBackoff,
// doubling up to maxBackoff, and gives a connection attempt or a ping
// dialTimeout.
const (
	minBackoff  = 50 * time.Millisecond
	maxBackoff  = time.Second
	dialTimeout = 5 * time.Second
)

// errRunning is returned by a second concurrent Run.
var errRunning = errors.New("events: listener is already running")

// Run listens for the events of the other replicas and delivers them to the
// hub until ctx ends, then returns nil. When the listener connection is lost
// it reconnects, retrying within about a second, and catches up on the
// events committed meanwhile. Only one Run may run at a time.
func (p *Postgres) Run(ctx context.Context) error {
	if !p.setRunning(true) {
		return errRunning
	}
	defer p.setRunning(false)
	backoff := minBackoff
	for sessions := 0; ; {
		listened, err := p.session(ctx, sessions > 0)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			sessions++
			backoff = minBackoff
		}
		p.log.Warn("events listener is not listening", "replica", p.replicaID, "err", err, "retry_in", backoff)
		if !wait.Sleep(ctx, backoff) {
			return nil
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// Ready returns a channel closed once the listener is listening and caught
// up. After the connection is lost, Ready returns a new channel, closed on
// reconnection.
func (p *Postgres) Ready() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready
}

// session connects, listens, catches up and then delivers notifications until
// the connection is lost or ctx ends. It reports whether it got to listening.
func (p *Postgres) session(ctx context.Context, reconnect bool) (bool, error) {
	conn, err := p.listen(ctx)
	if err != nil {
		return false, err
	}
	defer closeConn(conn)
	n, err := p.sync(ctx)
	if err != nil {
		return false, err
	}
	p.setReady(true)
	defer p.setReady(false)
	if reconnect {
		p.log.Info("events listener reconnected", "replica", p.replicaID, "caught_up", n)
		if p.onReconnect != nil {
			p.onReconnect()
		}
	}
	return true, p.receive(ctx, conn)
}

// listen opens the listener connection and subscribes it to the channel.
// LISTEN comes before catch-up so that nothing committed in between is missed.
func (p *Postgres) listen(ctx context.Context) (*pgx.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(dctx, p.listenConfig)
	if err != nil {
		return nil, fmt.Errorf("connect listener: %w", err)
	}
	if _, err := conn.Exec(dctx, "LISTEN "+pgx.Identifier{p.channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, fmt.Errorf("listen on %s: %w", p.channel, err)
	}
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx) // the connection is being abandoned either way
}

// sync sets the starting point on the first connection, unless Start set
// it, and catches up otherwise. It returns how many events it delivered.
func (p *Postgres) sync(ctx context.Context) (int, error) {
	p.mu.Lock()
	initialised := p.initialised
	p.mu.Unlock()
	if !initialised {
		return 0, p.Start(ctx)
	}
	return p.catchUp(ctx)
}

// Start makes the latest committed seq the highest seen: events committed
// before it are history, not news. A replica calls it before it takes
// subscriptions; the listener, which may connect later, then catches up
// on every event committed since, so a subscriber of the meantime misses
// none. Without it, the listener's first connection calls it, after LISTEN.
func (p *Postgres) Start(ctx context.Context) error {
	latest, err := p.loader.LatestSeq(ctx)
	if err != nil {
		return fmt.Errorf("read latest seq: %w", err)
	}
	p.heard.Store(latest)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.floor = latest
	p.seen.raise(latest)
	p.initialised = true
	return nil
}

// catchUp delivers the events of the log from a little below the highest seq
// the listener heard of, page by page, skipping those delivered already. Not
// the highest seq delivered: this replica's own Publish calls go on while the
// listener is away, and the events of others committed meanwhile lie below.
func (p *Postgres) catchUp(ctx context.Context) (int, error) {
	after := max(p.floor, p.heard.Load()-p.lookback)
	delivered := 0
	for {
		evs, err := p.loader.EventsAfter(ctx, after, p.pageSize)
		if err != nil {
			return delivered, fmt.Errorf("catch up after seq %d: %w", after, err)
		}
		for _, ev := range evs {
			if p.claim(ev.Seq) {
				_ = p.hub.Publish(ctx, ev) // a Hub never fails
				delivered++
			}
			after = max(after, ev.Seq)
		}
		p.hear(after)
		if len(evs) < p.pageSize {
			return delivered, nil
		}
	}
}

// receive delivers notifications until the connection fails or ctx ends.
func (p *Postgres) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := p.wait(ctx, conn)
		if err != nil {
			return err
		}
		if n == nil {
			continue
		}
		if err := p.handle(ctx, n.Payload); err != nil {
			return err
		}
	}
}

// wait returns the next notification, or nil after HealthInterval without one
// once a ping proved the connection alive: a silent connection may be dead.
func (p *Postgres) wait(ctx context.Context, conn *pgx.Conn) (*pgconn.Notification, error) {
	wctx, cancel := context.WithTimeout(ctx, p.healthInterval)
	defer cancel()
	n, err := conn.WaitForNotification(wctx)
	switch {
	case err == nil:
		return n, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case wctx.Err() == nil || conn.IsClosed():
		return nil, fmt.Errorf("wait for notification: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		return nil, fmt.Errorf("ping listener: %w", err)
	}
	return nil, nil
}

// handle delivers the event a notification announces, unless it came from
// this replica or was delivered already. A payload that is not a notice is
// logged and skipped; failing to read the event is returned, so that the
// session restarts and catch-up retries it.
func (p *Postgres) handle(ctx context.Context, payload string) error {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		p.log.Warn("events listener skipped a malformed notification", "payload", payload, "err", err)
		return nil
	}
	if err := p.load(ctx, n); err != nil {
		return err
	}
	p.hear(n.Seq)
	return nil
}

// load reads the event of n back and delivers it, when it is news to a
// subscriber of this replica.
func (p *Postgres) load(ctx context.Context, n notice) error {
	if n.Origin == p.replicaID || p.delivered(n.Seq) {
		return nil
	}
	if !p.hub.watched(n.Store) {
		p.claim(n.Seq) // nobody to tell; nor should a catch-up tell them later
		return nil
	}
	ev, err := p.loader.Event(ctx, n.Seq)
	if err != nil {
		return fmt.Errorf("load event %d: %w", n.Seq, err)
	}
	p.deliver(ctx, ev)
	return nil
}

// hear raises the highest seq heard of to seq.
func (p *Postgres) hear(seq int64) {
	p.heard.Store(max(p.heard.Load(), seq))
}

// Heard returns the highest event seq the listener heard of: an operator
// compares it with the latest seq of the log to see the listener's lag.
func (p *Postgres) Heard() int64 { return p.heard.Load() }

// Listening reports whether the listener is connected, listening and
// caught up.
func (p *Postgres) Listening() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readyClosed
}

// setRunning flips the running flag and reports whether it changed.
func (p *Postgres) setRunning(running bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running == running {
		return false
	}
	p.running = running
	return true
}

// setReady closes the ready channel, or replaces it once it was closed.
func (p *Postgres) setReady(ready bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case ready && !p.readyClosed:
		close(p.ready)
		p.readyClosed = true
	case !ready && p.readyClosed:
		p.ready = make(chan struct{})
		p.readyClosed = false
	}
}
