package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

// TestMultiplexedSubscriberThatLeftGetsNothingBuffered: a response still
// in a subscriber's buffer when its operation ends is not handed to its
// transport (a client that stopped a subscription gets nothing for it
// after its complete).
func TestMultiplexedSubscriberThatLeftGetsNothingBuffered(t *testing.T) {
	m := Multiplex(MultiplexOptions{Buffer: 4})
	events := make(chan *graphql.Response)
	next := func(ctx context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			select {
			case r := <-events:
				return r
			case <-ctx.Done():
				return nil
			}
		}
	}
	subscriber := func() (graphql.ResponseHandler, context.CancelFunc) {
		op := &graphql.OperationContext{RawQuery: "subscription { s }", Variables: map[string]any{},
			Operation: &ast.OperationDefinition{Operation: ast.Subscription}}
		ctx := graphql.WithOperationContext(context.Background(), op)
		ctx = auth.WithPrincipal(ctx, domain.Principal{Role: domain.RoleAdmin})
		ctx, cancel := context.WithCancel(ctx)
		return m.InterceptOperation(ctx, next), cancel
	}
	stays, cancelStays := subscriber()
	defer cancelStays()
	leaves, cancelLeaves := subscriber()
	if m.Shared() != 1 {
		t.Fatalf("%d subscribers share an execution, want 1: the two are alike", m.Shared())
	}

	sent := &graphql.Response{Data: []byte(`{"s":1}`)}
	events <- sent
	if r := stays(context.Background()); r == nil || string(r.Data) != `{"s":1}` {
		t.Fatalf("the subscriber that stays got %+v, want the event", r)
	}
	cancelLeaves()
	if r := leaves(context.Background()); r != nil {
		t.Fatalf("the subscriber that left got %s after it left, want nothing", r.Data)
	}
}
