package jobs

import (
	"context"
	"database/sql"
	"fmt"
)

// Count is how many jobs of one kind are in one state.
type Count struct {
	Kind  string
	State string
	Jobs  int64
}

// Stats is what River's job table holds, read in one pass.
type Stats struct {
	// Counts are the jobs by kind and state (River's states: available,
	// scheduled, running, retryable, completed, cancelled, discarded,
	// pending); states without jobs are left out.
	Counts []Count
	// OldestAvailableSeconds is how long the oldest job due to run, and
	// not running, has waited since it was due: an available job, or a
	// scheduled or retryable one whose time has come (River's leader makes
	// those available). 0 when none waits.
	OldestAvailableSeconds float64
}

// ReadStats counts the jobs of the queue's table by kind and state, and
// measures the wait of the oldest job due. It reads the whole table
// once, so callers at scrape time should cache the result.
func ReadStats(ctx context.Context, db *sql.DB, postgres bool) (Stats, error) {
	rows, err := db.QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return Stats{}, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	var s Stats
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Kind, &c.State, &c.Jobs); err != nil {
			return Stats{}, fmt.Errorf("count jobs: %w", err)
		}
		s.Counts = append(s.Counts, c)
	}
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("count jobs: %w", err)
	}
	oldest := `SELECT coalesce(extract(epoch FROM now() - min(scheduled_at)), 0) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= now()`
	if !postgres {
		oldest = `SELECT coalesce((julianday('now') - julianday(min(scheduled_at))) * 86400, 0) FROM river_job
			WHERE state IN ('available', 'scheduled', 'retryable') AND julianday(scheduled_at) <= julianday('now')`
	}
	if err := db.QueryRowContext(ctx, oldest).Scan(&s.OldestAvailableSeconds); err != nil {
		return Stats{}, fmt.Errorf("oldest available job: %w", err)
	}
	s.OldestAvailableSeconds = max(s.OldestAvailableSeconds, 0)
	return s, nil
}
