package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/auth"
)

// MultiplexOptions configure a Multiplexer.
type MultiplexOptions struct {
	// Buffer is how many undelivered responses a subscriber may hold
	// before it is dropped for being slow, as the event hub drops its own.
	Buffer int
	// OnDrop, when set, is called once for every subscriber dropped for
	// being slow. It must not block.
	OnDrop func()
}

// Multiplexer is a gqlgen extension that executes each distinct live
// subscription once, however many subscribe to it, and hands every
// subscriber the same response (Hasura's multiplexed subscriptions): the
// selection set is resolved and marshalled once per event rather than once
// per subscriber.
//
// Subscriptions are alike when they have the same document, operation
// name and variables, and their callers the same role and the same stores:
// all that the schema's resolvers and field access (FieldAccess, which has
// run by then) read of a caller. The first of them starts one execution,
// on a context of its own that keeps the first caller's values but not its
// cancellation; each response goes to every subscriber's buffer, and each
// subscriber's transport reads its own. A subscriber joining later gets
// the responses from then on, one leaving stops nothing else, and the
// execution ends when the last one leaves. A subscriber whose buffer is
// full is dropped (its subscription completes), so that no slow reader
// holds the others back.
//
// These run as before, on their own: a subscription with an `after`
// argument (its replay is its own), one whose context has a deadline (a
// server-sent event stream, which ends with its token), and queries and
// mutations. Use it after the extensions that check each operation (token
// expiry, caps), so that they still see every subscriber.
type Multiplexer struct {
	buffer int
	onDrop func()
	// shared counts the subscribers beyond the first of each execution.
	shared atomic.Int64

	mu     sync.Mutex
	groups map[shareKey]*group // the executions a subscriber may join
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = (*Multiplexer)(nil)

// Multiplex returns a Multiplexer configured by opts.
func Multiplex(opts MultiplexOptions) *Multiplexer {
	return &Multiplexer{buffer: max(opts.Buffer, 1), onDrop: opts.OnDrop, groups: make(map[shareKey]*group)}
}

// Shared returns how many live subscribers share an execution with an
// earlier one: the subscriptions there are, beyond the executions that
// subscribe to events.
func (m *Multiplexer) Shared() int { return int(m.shared.Load()) }

func (*Multiplexer) ExtensionName() string                   { return "Multiplexer" }
func (*Multiplexer) Validate(graphql.ExecutableSchema) error { return nil }

// shareKey is what makes two subscriptions alike.
type shareKey struct {
	query, operation, variables string
	role, stores                string
}

// group is one execution and its subscribers.
type group struct {
	key    shareKey
	cancel context.CancelFunc

	mu      sync.Mutex
	members map[*member]struct{}
}

// member is one subscriber of a group.
type member struct {
	ch chan *graphql.Response // closed once it left or was dropped
}

// InterceptOperation joins a subscription to the execution of its like,
// starting one when there is none.
func (m *Multiplexer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	key, ok := keyOf(ctx)
	if !ok {
		return next(ctx)
	}
	mb := &member{ch: make(chan *graphql.Response, m.buffer)}
	m.mu.Lock()
	g, running := m.groups[key]
	var gctx context.Context
	if !running {
		gctx, g = m.open(ctx, key)
	}
	g.mu.Lock()
	if len(g.members) > 0 {
		m.shared.Add(1)
	}
	g.members[mb] = struct{}{}
	g.mu.Unlock()
	m.mu.Unlock()
	// The transport cancels an operation's context once it ends.
	context.AfterFunc(ctx, func() { m.remove(g, mb) })
	if !running {
		go m.run(gctx, g, next(gctx))
	}
	// The member's channel is closed once its context is cancelled (above),
	// so a receive alone waits for both; done, looked up once rather than
	// through the context's chain on every response, keeps a response
	// still buffered from going out after the subscriber left.
	done := ctx.Done()
	return func(context.Context) *graphql.Response {
		r, open := <-mb.ch
		if !open {
			return nil
		}
		select {
		case <-done:
			return nil
		default:
			return r
		}
	}
}

// open registers a new group under key; m.mu is held.
func (m *Multiplexer) open(ctx context.Context, key shareKey) (context.Context, *group) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &group{key: key, cancel: cancel, members: make(map[*member]struct{})}
	m.groups[key] = g
	return gctx, g
}

// keyOf returns the key of a subscription that may share its execution.
func keyOf(ctx context.Context) (shareKey, bool) {
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil || op.Operation.Operation != ast.Subscription {
		return shareKey{}, false
	}
	if _, bounded := ctx.Deadline(); bounded {
		return shareKey{}, false
	}
	p, err := auth.FromContext(ctx)
	if err != nil {
		return shareKey{}, false
	}
	for _, f := range graphql.CollectFields(op, op.Operation.SelectionSet, nil) {
		if f.ArgumentMap(op.Variables)["after"] != nil {
			return shareKey{}, false
		}
	}
	vars, err := json.Marshal(op.Variables) // map keys sorted
	if err != nil {
		return shareKey{}, false
	}
	return shareKey{query: op.RawQuery, operation: op.OperationName, variables: string(vars),
		role: string(p.Role), stores: strings.Join(slices.Sorted(slices.Values(p.Stores)), "\x00")}, true
}

// run hands each response of g's execution to its members until the
// execution ends, then completes them.
func (m *Multiplexer) run(ctx context.Context, g *group, responses graphql.ResponseHandler) {
	defer m.end(g)
	for {
		r := responses(ctx)
		if r == nil {
			return
		}
		if r.Data == nil { // an error instead of a stream: nobody else may join
			m.retire(g)
		}
		// The execution marshals each event into the buffer of the one
		// before: the members read their copy while it goes on.
		r.Data = bytes.Clone(r.Data)
		m.broadcast(g, r)
	}
}

// broadcast hands r to every member of g, dropping those whose buffer is
// full.
func (m *Multiplexer) broadcast(g *group, r *graphql.Response) {
	var slow []*member // allocated only when somebody is slow
	g.mu.Lock()
	for mb := range g.members {
		select {
		case mb.ch <- r:
		default:
			slow = append(slow, mb)
		}
	}
	g.mu.Unlock()
	for _, mb := range slow {
		if m.remove(g, mb) && m.onDrop != nil {
			m.onDrop()
		}
	}
}

// remove takes mb out of g and completes its subscription, unless that was
// done before, and reports whether it did. The last member out stops the
// execution.
func (m *Multiplexer) remove(g *group, mb *member) bool {
	m.mu.Lock()
	g.mu.Lock()
	_, in := g.members[mb]
	if in {
		delete(g.members, mb)
		close(mb.ch)
		if len(g.members) > 0 {
			m.shared.Add(-1)
		} else {
			m.forget(g)
		}
	}
	empty := len(g.members) == 0
	g.mu.Unlock()
	m.mu.Unlock()
	if in && empty {
		g.cancel()
	}
	return in
}

// retire makes g take no new member.
func (m *Multiplexer) retire(g *group) {
	m.mu.Lock()
	m.forget(g)
	m.mu.Unlock()
}

// forget removes g from the groups to join; m.mu is held.
func (m *Multiplexer) forget(g *group) {
	if m.groups[g.key] == g {
		delete(m.groups, g.key)
	}
}

// end completes every member of g once its execution ended.
func (m *Multiplexer) end(g *group) {
	m.mu.Lock()
	m.forget(g)
	g.mu.Lock()
	if n := len(g.members); n > 0 {
		m.shared.Add(-int64(n - 1))
	}
	for mb := range g.members {
		close(mb.ch)
	}
	clear(g.members)
	g.mu.Unlock()
	m.mu.Unlock()
	g.cancel()
}
