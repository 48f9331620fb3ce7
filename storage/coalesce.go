package storage

import (
	"context"
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// orderReads runs ReadOrder on PostgreSQL so that, under load, the reads
// that arrive while one is under way share a statement, as a database's
// group commit shares a flush. While few reads are under way (up to
// aloneReads), each goes at once in a statement of its own, as it would
// without orderReads: sharing would save them little and make them wait.
// Beyond that, a read that finds no shared statement under way starts one;
// otherwise it waits, and when the statement under way finishes, the reads
// then waiting (up to maxCoalesced, each order once) are read in one
// statement. Nothing waits on a timer, and under load each round trip
// carries many orders: the statement's write, the reply's read and
// PostgreSQL's work per statement are shared among them. Letting two or
// more shared statements go at once cost more CPU per read in every run
// (BENCHMARKS.md, the twentieth run).
//
// Each read gets an order of its own: a second read of an order already in
// a statement waits for the next. What the caller may see of the order is
// the caller's to check, as before.
type orderReads struct {
	db *DB
	// alone is how many reads at once each take a statement of their own.
	alone int

	mu      sync.Mutex
	reading int          // reads under way, in any statement or waiting
	busy    bool         // a shared statement is under way
	waiting []*orderRead // reads for the next statement
}

// aloneReads is how many reads at once each take a statement of their own
// (orderReads.alone).
const aloneReads = 4

// maxCoalesced bounds the reads one statement takes; the rest wait for the
// next.
const maxCoalesced = 256

// orderReadTimeout bounds each statement of orderReads: as they go one at a
// time, one that hung would hold up every read after it.
const orderReadTimeout = 10 * time.Second

// orderRead is a read waiting in orderReads, and then its result.
type orderRead struct {
	ctx     context.Context
	id      string
	history bool
	order   *domain.Order
	err     error
	done    chan struct{} // closed once order and err are set
}

// read returns the order id with its lines, and its status history when
// history is true; nil when there is no such order.
func (c *orderReads) read(ctx context.Context, id string, history bool) (*domain.Order, error) {
	c.mu.Lock()
	c.reading++
	defer c.leave()
	if c.reading <= c.alone {
		c.mu.Unlock()
		return c.db.readOne(ctx, id, history)
	}
	if !c.busy {
		c.busy = true
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(ctx, orderReadTimeout)
		o, err := c.db.readOne(ctx, id, history)
		cancel()
		if batch := c.take(); batch != nil {
			go c.serve(batch)
		}
		return o, err
	}
	r := &orderRead{ctx: ctx, id: id, history: history, done: make(chan struct{})}
	c.waiting = append(c.waiting, r)
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.order, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// leave counts a read that has returned.
func (c *orderReads) leave() {
	c.mu.Lock()
	c.reading--
	c.mu.Unlock()
}

// take hands the waiting reads to the statement that has just finished, or
// marks none under way when none wait.
func (c *orderReads) take() []*orderRead {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiting) == 0 {
		c.busy = false
		return nil
	}
	taken := make(map[string]bool, min(len(c.waiting), maxCoalesced))
	var batch, rest []*orderRead
	for _, r := range c.waiting {
		if len(batch) < maxCoalesced && !taken[r.id] {
			taken[r.id] = true
			batch = append(batch, r)
		} else {
			rest = append(rest, r)
		}
	}
	c.waiting = rest
	return batch
}

// serve reads batch, then every batch that waits meanwhile, until none does.
func (c *orderReads) serve(batch []*orderRead) {
	for ; batch != nil; batch = c.take() {
		c.readAll(batch)
	}
}

// readAll reads the orders of batch, each a different one, in one statement
// (two when some want their history), for the reads whose callers still
// wait.
func (c *orderReads) readAll(batch []*orderRead) {
	live := batch[:0:0]
	for _, r := range batch {
		if r.ctx.Err() == nil {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(live[0].ctx), orderReadTimeout)
	defer cancel()
	if len(live) == 1 {
		r := live[0]
		r.order, r.err = c.db.readOne(ctx, r.id, r.history)
		close(r.done)
		return
	}
	ids := make([]string, len(live))
	for i, r := range live {
		ids[i] = r.id
	}
	orders, err := c.db.readOrders(ctx, ids)
	var history []*domain.Order
	for _, r := range live {
		if o := orders[r.id]; o != nil && r.history {
			history = append(history, o)
		}
	}
	if err == nil && len(history) > 0 {
		err = c.db.loadHistory(ctx, c.db.reads, history)
	}
	for _, r := range live {
		if r.err = err; err == nil {
			r.order = orders[r.id]
		}
		close(r.done)
	}
}
