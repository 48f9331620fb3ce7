package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// River rescues a job only once it has run longer than
// RescueStuckJobsAfter, so the work of a process that crashed would wait
// minutes. Liveness tells live processes from dead ones instead: each beats
// its row in job_clients, and a running job whose last attempt belongs to a
// process that stopped beating is handed back to the queue. Running a job
// again while its first run is still going must be harmless, as with River's
// rescuer: the send of an order looks its sale up before making it.
const (
	// BeatInterval is how often a process beats, and looks for the jobs of
	// dead ones.
	BeatInterval = 2 * time.Second
	// ClientTTL is how long a process may miss its beats before its running
	// jobs are run again elsewhere.
	ClientTTL = 10 * time.Second
	// clientRetention is how long the row of a dead process is kept.
	clientRetention = 24 * time.Hour
)

// Liveness keeps this process's queue client marked alive and hands the
// running jobs of dead clients back to the queue.
type Liveness struct {
	db       *sql.DB
	postgres bool
	clientID string
	log      *slog.Logger
	// healthySince is when the beats last started succeeding. Only a
	// process that has beaten for ClientTTL in a row judges others: after a
	// database outage every process missed its beats, and none is dead.
	healthySince time.Time
	// also reclaims the work of dead processes kept outside the queue.
	also []Reclaimer
}

// Reclaimer hands back work a process kept outside the job queue, naming
// itself in the database by its client id, when that process has not
// beaten for ttl.
type Reclaimer func(ctx context.Context, ttl time.Duration) error

// NewLiveness returns the liveness of the queue client clientID (Queue.ID);
// Reclaim runs each of also after handing back the dead clients' jobs.
func NewLiveness(db *sql.DB, postgres bool, clientID string, log *slog.Logger, also ...Reclaimer) *Liveness {
	if log == nil {
		log = slog.Default()
	}
	return &Liveness{db: db, postgres: postgres, clientID: clientID, log: log, also: also}
}

// Beat records that this process is alive. The first beat must come before
// the queue starts, so no job is attempted by a client without a row.
func (l *Liveness) Beat(ctx context.Context) error {
	q := `INSERT INTO job_clients (id, seen_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()`
	if !l.postgres {
		q = `INSERT INTO job_clients (id, seen_at) VALUES ($1, unixepoch('subsec')) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`
	}
	if _, err := l.db.ExecContext(ctx, q, l.clientID); err != nil {
		l.healthySince = time.Time{}
		return fmt.Errorf("job client heartbeat: %w", err)
	}
	if l.healthySince.IsZero() {
		l.healthySince = time.Now()
	}
	return nil
}

// Run beats every BeatInterval until ctx ends and, once this process has
// beaten for ClientTTL in a row, reclaims the running jobs of dead clients.
func (l *Liveness) Run(ctx context.Context) {
	t := time.NewTicker(BeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.Beat(ctx); err != nil {
			if ctx.Err() == nil {
				l.log.Warn("job client heartbeat failed", "err", err)
			}
			continue
		}
		if time.Since(l.healthySince) < ClientTTL {
			continue
		}
		if err := l.Reclaim(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("reclaim the jobs of dead processes", "err", err)
		}
	}
}

// Reclaim makes the running jobs of clients unseen for ClientTTL available
// again (discarded when they have no attempt left, as River's rescuer
// does), runs the Reclaimers, then forgets clients long dead.
func (l *Liveness) Reclaim(ctx context.Context) error {
	rows, err := l.db.QueryContext(ctx, l.reclaimSQL(), ClientTTL.Seconds(), l.clientID)
	if err != nil {
		return fmt.Errorf("reclaim jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, state, client string
		if err := rows.Scan(&id, &kind, &state, &client); err != nil {
			return fmt.Errorf("reclaim jobs: %w", err)
		}
		l.log.Info("job of a dead process reclaimed", "job", id, "kind", kind, "state", state, "dead_client", client)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reclaim jobs: %w", err)
	}
	for _, f := range l.also {
		if err := f(ctx, ClientTTL); err != nil {
			return err
		}
	}
	forget := `DELETE FROM job_clients WHERE seen_at < now() - make_interval(secs => $1)`
	if !l.postgres {
		forget = `DELETE FROM job_clients WHERE seen_at < unixepoch('subsec') - $1`
	}
	if _, err := l.db.ExecContext(ctx, forget, clientRetention.Seconds()); err != nil {
		return fmt.Errorf("forget dead job clients: %w", err)
	}
	return nil
}

// reclaimSQL is the update that hands the jobs back, with $1 the TTL in
// seconds and $2 this client (never judged: it knows it is alive). A job's
// attempted_by lists the clients of its attempts, the last one current.
// A client without a row (a process older than job_clients) is left to
// River's rescuer.
func (l *Liveness) reclaimSQL() string {
	if l.postgres {
		return `UPDATE river_job SET
    state = CASE WHEN attempt >= max_attempts THEN 'discarded'::river_job_state ELSE 'available'::river_job_state END,
    finalized_at = CASE WHEN attempt >= max_attempts THEN now() END
WHERE state = 'running' AND attempted_by[cardinality(attempted_by)] IN (
    SELECT id FROM job_clients WHERE seen_at < now() - make_interval(secs => $1) AND id <> $2)
RETURNING id, kind, state::text, attempted_by[cardinality(attempted_by)]`
	}
	return `UPDATE river_job SET
    state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END,
    finalized_at = CASE WHEN attempt >= max_attempts THEN datetime('now', 'subsec') END
WHERE state = 'running' AND json_extract(attempted_by, '$[#-1]') IN (
    SELECT id FROM job_clients WHERE seen_at < unixepoch('subsec') - $1 AND id <> $2)
RETURNING id, kind, state, json_extract(attempted_by, '$[#-1]')`
}

// newClientID names this process's queue client uniquely (River's default
// is only the host and the start time): host, process id and a random
// suffix, within River's 100 characters.
func newClientID() string {
	host, _ := os.Hostname()
	if len(host) > 60 {
		host = host[:60]
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s_%d_%s", host, os.Getpid(), hex.EncodeToString(b))
}
