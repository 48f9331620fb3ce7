package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// pipelined begins PostgreSQL transactions as pipeTx: gorm's Transaction
// takes it as its connection pool (gorm.ConnPoolBeginner; its BeginTx
// hides sql.DB's).
type pipelined struct{ *sql.DB }

var _ gorm.ConnPoolBeginner = pipelined{}

// BeginTx begins a transaction on a connection of its own, so that its
// pending writes can go to pgx as one batch.
func (p pipelined) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	conn, err := p.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	return &pipeTx{Tx: tx, conn: conn, ctx: ctx}, nil
}

// pipeTx is a PostgreSQL transaction whose writes that nothing waits on
// (the rows a change appends, its outbox row, the webhook it keeps) are
// held until the transaction next needs an answer: they then go to the
// server together with that statement, or with the commit, in one round
// trip instead of one each. Every statement of the transaction, gorm's
// included, first sends what is pending, so each sees the writes before
// it, in order; a pending write that fails fails the transaction, which
// then neither commits nor runs anything more.
type pipeTx struct {
	*sql.Tx
	conn    *sql.Conn
	ctx     context.Context // the transaction's, for the commit's writes
	pending []pendingWrite
	err     error // the first failure of a pending write
	closed  bool  // conn is back in the pool
}

// pendingWrite is a write held by a pipeTx. done, when set, gets the rows
// it affected once it ran; an error it returns fails the transaction.
type pendingWrite struct {
	query string
	args  []any
	done  func(rows int64) error
}

var _ gorm.TxCommitter = (*pipeTx)(nil)

// later holds a write until the transaction next sends.
func (p *pipeTx) later(query string, args []any, done func(rows int64) error) {
	p.pending = append(p.pending, pendingWrite{query, args, done})
}

// send sends the pending writes and then, when set, query, in one batch;
// scan reads query's rows.
func (p *pipeTx) send(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	if p.err != nil {
		return p.err
	}
	if len(p.pending) == 0 && query == "" {
		return nil
	}
	pending := p.pending
	p.pending = nil
	err := p.conn.Raw(func(dc any) error {
		c, err := pgxOf(dc)
		if err != nil {
			return err
		}
		var b pgx.Batch
		for _, w := range pending {
			b.Queue(w.query, w.args...)
		}
		if query != "" {
			b.Queue(query, args...)
		}
		results := c.SendBatch(ctx, &b)
		if err := readBatch(results, pending, query != "", scan); err != nil {
			return errors.Join(err, results.Close())
		}
		return results.Close()
	})
	if err != nil {
		p.err = err
	}
	return err
}

// flush sends the pending writes.
func (p *pipeTx) flush(ctx context.Context) error { return p.send(ctx, "", nil, nil) }

// readBatch reads the results of the pending writes and, when hasQuery, of
// the query after them.
func readBatch(results pgx.BatchResults, pending []pendingWrite, hasQuery bool, scan func(rowScanner) error) error {
	for _, w := range pending {
		tag, err := results.Exec()
		if err != nil {
			return err
		}
		if w.done != nil {
			if err := w.done(tag.RowsAffected()); err != nil {
				return err
			}
		}
	}
	if !hasQuery {
		return nil
	}
	rows, err := results.Query()
	if err != nil {
		return err
	}
	return scanRows(rows, scan)
}

func (p *pipeTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.PrepareContext(ctx, query)
}

func (p *pipeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.ExecContext(ctx, query, args...)
}

func (p *pipeTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot return send's error (sql.Row's is unexported): a
// failed pending write leaves the transaction failed, so the row's query
// fails or the commit does, and DB.transaction's error names the write's
// failure.
func (p *pipeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	_ = p.flush(ctx)
	return p.Tx.QueryRowContext(ctx, query, args...)
}

// sqlTx returns the transaction for a caller that speaks database/sql
// (River), with nothing pending.
func (p *pipeTx) sqlTx(ctx context.Context) (*sql.Tx, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.Tx, nil
}

// Commit sends what is pending and commits; after a failed write it rolls
// back and returns the failure.
func (p *pipeTx) Commit() error {
	if err := p.flush(p.ctx); err != nil {
		return errors.Join(err, p.Rollback())
	}
	return errors.Join(p.Tx.Commit(), p.release())
}

// Rollback drops what is pending and rolls back. After the transaction
// ended (gorm rolls back after a failed commit) it does nothing.
func (p *pipeTx) Rollback() error {
	p.pending = nil
	err := p.Tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		err = nil
	}
	return errors.Join(err, p.release())
}

// release hands the connection back to the pool, once.
func (p *pipeTx) release() error {
	if p.closed {
		return nil
	}
	p.closed = true
	return p.conn.Close()
}

// later runs a write that nothing in tx waits on: in a pipeTx it is held
// (see pipeTx); otherwise (SQLite, or outside a transaction) it runs now.
// done, when set, gets the rows it affected.
func later(ctx context.Context, tx *gorm.DB, query string, args []any, done func(rows int64) error) error {
	if p, ok := tx.Statement.ConnPool.(*pipeTx); ok {
		p.later(query, args, done)
		return nil
	}
	res, err := tx.Statement.ConnPool.ExecContext(ctx, query, args...)
	if err != nil || done == nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	return done(n)
}

// queryLast runs query in tx and scans its rows; in a pipeTx it goes with
// the writes held before it, in one round trip.
func queryLast(tx *gorm.DB, query string, args []any, scan func(rowScanner) error) error {
	ctx := tx.Statement.Context
	if p, ok := tx.Statement.ConnPool.(*pipeTx); ok {
		return p.send(ctx, query, args, scan)
	}
	return sqlReader(tx.Statement.ConnPool)(ctx, query, args, scan)
}
