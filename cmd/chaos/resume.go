package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leafly/lightspeed-orders/internal/wait"
)

// How soon the work a killed victim was doing gets done (issue 12, part 3):
// per kill, the orders whose send was under way when the process died, and
// the time from the victim answering again to the last of them SENT.

// resumeGoal is the longest the interrupted orders of a kill may take to be
// SENT once the victim answers again.
const resumeGoal = 30 * time.Second

// errCutShort says the next kill came before every interrupted order was
// SENT: the orders still being sent are that kill's to measure. (A
// PostgreSQL restart meanwhile is part of the time measured.)
var errCutShort = errors.New("cut short by the next kill")

// resumes watches, per kill, the interrupted orders until they are SENT.
type resumes struct {
	db     *database
	wg     sync.WaitGroup
	mu     sync.Mutex
	cancel context.CancelFunc // of the watch under way
}

// interrupted lists the orders not yet SENT whose send was under way when
// the victim died (the only process sending orders): an attempt right
// after the order's commit (the order names its sender), or a running job
// (River records a job's completion in batches, after the work: a running
// job's order may be SENT already).
func (d *database) interrupted(ctx context.Context) ([]string, error) {
	conn, err := connect(ctx, d.url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT id FROM orders WHERE pos_sync_state = 'QUEUED' AND pos_sender IS NOT NULL
		UNION SELECT o.id FROM river_job j JOIN orders o ON o.id = j.args->>'order_id'
		WHERE j.kind = 'send_order' AND j.state = 'running' AND o.pos_sync_state <> 'SENT'`)
	if err != nil {
		return nil, fmt.Errorf("interrupted orders: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// next ends the watch under way (another kill begins).
func (r *resumes) next() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// watch records on e the time from back until every order of ids is SENT,
// polling the database every 200 ms.
func (r *resumes) watch(ctx context.Context, e *event, ids []string, back time.Time) {
	ctx, cancel := context.WithCancel(ctx)
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		e.resumed, e.resumeErr = r.db.waitSent(ctx, ids, back)
	}()
}

// wait ends the last watch once ctx ends and waits for every watch.
func (r *resumes) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.next()
		<-done
	}
}

// waitSent waits until every order of ids is SENT and returns the time
// since back, or errCutShort when ctx ends first (the next kill, or the end
// of the run).
func (d *database) waitSent(ctx context.Context, ids []string, back time.Time) (time.Duration, error) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		var left int
		var err error
		if conn == nil {
			conn, err = connect(context.WithoutCancel(ctx), d.url)
		}
		if err == nil {
			err = conn.QueryRow(context.WithoutCancel(ctx), `SELECT count(*) FROM orders WHERE id = ANY($1) AND pos_sync_state <> 'SENT'`, ids).Scan(&left)
		}
		if err == nil && left == 0 {
			return time.Since(back), nil
		}
		if err != nil && conn != nil {
			conn.Close(context.Background())
			conn = nil
		}
		if !wait.Sleep(ctx, 200*time.Millisecond) {
			return time.Since(back), fmt.Errorf("%w: %d of %d orders not SENT", errCutShort, left, len(ids))
		}
	}
}

// resumed is the check that every kill's interrupted orders were SENT
// within resumeGoal of the victim answering again. A watch cut short by
// the next kill before the goal passed counts as met: that kill's watch
// takes its orders over.
func resumed(events []event) check {
	c := check{name: fmt.Sprintf("kills whose interrupted orders were all SENT within %s of the victim answering again", resumeGoal)}
	for _, e := range events {
		if e.kind != "kill" || e.err != nil {
			continue
		}
		c.want++
		switch {
		case e.resumeErr == nil && e.resumed <= resumeGoal,
			errors.Is(e.resumeErr, errCutShort) && e.resumed <= resumeGoal:
			c.got++
		case e.resumeErr != nil:
			c.example("kill at %s: %v after %s", e.did.Round(100*time.Millisecond), e.resumeErr, e.resumed.Round(100*time.Millisecond))
		default:
			c.example("kill at %s: %d orders SENT %s after the victim answered again", e.did.Round(100*time.Millisecond),
				e.interrupted, e.resumed.Round(100*time.Millisecond))
		}
	}
	return c
}

// resumedCell is the kill's line in the disruptions table.
func (e event) resumedCell() string {
	switch {
	case e.kind != "kill" || e.err != nil:
		return "-"
	case e.resumeErr != nil:
		return fmt.Sprintf("%d orders: %v", e.interrupted, e.resumeErr)
	case e.interrupted == 0:
		return "none was being sent"
	default:
		return fmt.Sprintf("%d orders, all SENT %s after", e.interrupted, e.resumed.Round(100*time.Millisecond))
	}
}
