package pos

import (
	"context"
	"fmt"
	"sync"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// The support trail: every Lightspeed call made for an order is kept.

// trail collects the calls made for one order while its work runs; they
// are written when it ends, never from inside the call (which may run in a
// transaction holding the embedded database's one connection).
type trail struct {
	orderID string
	mu      sync.Mutex
	calls   []domain.PosCall
}

type trailKey struct{}

// forOrder returns a context whose Lightspeed calls are kept in the order's
// trail, and the function that writes them; call it when the work ends.
func (p *Pipeline) forOrder(ctx context.Context, orderID string) (context.Context, func()) {
	t := &trail{orderID: orderID}
	return context.WithValue(ctx, trailKey{}, t), func() { p.writeTrail(ctx, t) }
}

func (p *Pipeline) writeTrail(ctx context.Context, t *trail) {
	t.mu.Lock()
	calls := t.calls
	t.mu.Unlock()
	if len(calls) == 0 {
		return
	}
	if err := p.db.RecordCalls(context.WithoutCancel(ctx), calls); err != nil {
		p.log.WarnContext(ctx, "record lightspeed calls", "order", t.orderID, "err", err)
	}
}

// takeTrail returns the calls kept so far in the trail of the order ctx
// works for and empties it, for a write that records them in its own
// transaction; give them back with returnTrail if that write fails.
func takeTrail(ctx context.Context) []domain.PosCall {
	t, _ := ctx.Value(trailKey{}).(*trail)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	calls := t.calls
	t.calls = nil
	return calls
}

// returnTrail puts calls taken by takeTrail back at the head of the trail.
func returnTrail(ctx context.Context, calls []domain.PosCall) {
	t, _ := ctx.Value(trailKey{}).(*trail)
	if t == nil || len(calls) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(calls, t.calls...)
}

// RecordCall notes a Lightspeed call in the trail of the order its context
// works for; calls made for no order are not kept.
func (p *Pipeline) RecordCall(ctx context.Context, c lssync.Call) {
	t, _ := ctx.Value(trailKey{}).(*trail)
	if t == nil {
		return
	}
	call := domain.PosCall{OrderID: t.orderID, StartedAt: c.Started, Method: c.Method, Path: c.Path, Status: c.Status, Duration: c.Duration}
	if c.Err != nil {
		msg := c.Err.Error()
		call.Error = &msg
	}
	t.mu.Lock()
	t.calls = append(t.calls, call)
	t.mu.Unlock()
}

// recording returns the with of a write (Writer.UpdateOrderWith) that
// records calls, the Lightspeed calls made for it, and then runs also
// unless it is nil.
func recording(calls []domain.PosCall, also func(storage.Tx) error) func(storage.Tx) error {
	return func(tx storage.Tx) error {
		if len(calls) > 0 {
			if err := tx.RecordCalls(calls); err != nil {
				return fmt.Errorf("record lightspeed calls: %w", err)
			}
		}
		if also == nil {
			return nil
		}
		return also(tx)
	}
}
