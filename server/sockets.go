package main

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/gqlws"
	"github.com/leafly/lightspeed-orders/graph"
)

// closeForbidden is the close code of a websocket whose token is missing,
// bad or expired.
const closeForbidden = 4403

// closeTooManySockets is the close code of a websocket refused because its
// token's subject holds as many as it may: RFC 6455's policy violation.
const closeTooManySockets = websocket.ClosePolicyViolation

// expiredReason is the close reason of a websocket whose token expired.
const expiredReason = "Forbidden: the bearer token expired"

// errTokenExpired refuses an operation sent after the caller's token
// expired, and is the cause that ends an SSE stream at that moment.
var errTokenExpired = &domain.Error{Code: domain.CodeUnauthenticated, Message: "The bearer token expired; connect again with a new one."}

// sockets keeps what one caller holds open within its caps: websockets per
// token subject and subscriptions per websocket. It is also the gqlgen
// extension that checks every operation against its token's expiry.
type sockets struct {
	perSubject    int
	subsPerSocket int
	refused       *prometheus.CounterVec
	tooMany       *domain.Error // refuses a socket over perSubject

	mu   sync.Mutex
	open map[string]int // websockets by token subject
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = (*sockets)(nil)

func newSockets(cfg config, m *metrics) *sockets {
	return &sockets{perSubject: cfg.WebsocketMaxPerSubject, subsPerSocket: cfg.WebsocketMaxSubscriptions, refused: m.websocketRefused,
		tooMany: domain.Errorf(domain.CodeForbidden, "This token's subject already holds %d websockets, the most it may.", cfg.WebsocketMaxPerSubject),
		open:    make(map[string]int)}
}

// admit counts the websocket of ctx against p's subject until it closes,
// and ends it when p's token expires. It refuses the socket over the cap.
func (sk *sockets) admit(ctx context.Context, p domain.Principal) error {
	sk.mu.Lock()
	if sk.open[p.Subject] >= sk.perSubject {
		sk.mu.Unlock()
		sk.refused.WithLabelValues("sockets_per_subject").Inc()
		return sk.tooMany
	}
	sk.open[p.Subject]++
	sk.mu.Unlock()
	if !gqlws.OnClose(ctx, func() { sk.release(p.Subject) }) {
		sk.release(p.Subject)
		return errors.New("websocket handler not within gqlws.Scope")
	}
	gqlws.CloseAt(ctx, p.Expires, closeForbidden, expiredReason)
	return nil
}

func (sk *sockets) release(subject string) {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.open[subject]--; sk.open[subject] <= 0 {
		delete(sk.open, subject)
	}
}

type subscriptionCountKey struct{}

// withSubscriptionCount gives a websocket's context the count of its live
// subscriptions.
func withSubscriptionCount(ctx context.Context) context.Context {
	return context.WithValue(ctx, subscriptionCountKey{}, new(atomic.Int32))
}

func (*sockets) ExtensionName() string                   { return "Sockets" }
func (*sockets) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation refuses an operation whose token has expired and a
// subscription over its websocket's cap, and ends an SSE subscription
// saying so when its token expires.
func (sk *sockets) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if p, err := auth.FromContext(ctx); err == nil && !p.Expires.IsZero() && time.Now().After(p.Expires) {
		return refuseOperation(errTokenExpired)
	}
	if op := graphql.GetOperationContext(ctx).Operation; op == nil || op.Operation != ast.Subscription {
		return next(ctx)
	}
	if n, ok := ctx.Value(subscriptionCountKey{}).(*atomic.Int32); ok {
		if n.Add(1) > int32(sk.subsPerSocket) {
			n.Add(-1)
			sk.refused.WithLabelValues("subscriptions_per_socket").Inc()
			return refuseOperation(domain.Errorf(domain.CodeBadUserInput, "This websocket already holds %d subscriptions, the most it may; complete one first or open another websocket.", sk.subsPerSocket))
		}
		// The transport cancels an operation's context once it ends.
		context.AfterFunc(ctx, func() { n.Add(-1) })
	}
	return endsAtExpiry(ctx, next(ctx))
}

// refuseOperation answers an operation with err alone.
func refuseOperation(err *domain.Error) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{graph.Presented(err, nil)}})
}

// endsAtExpiry returns h, or for a subscription over SSE (whose context
// streamUntilExpiry bounded) h followed by an error saying the token
// expired when that is why it ended. Only such streams pay for the wrapper.
func endsAtExpiry(ctx context.Context, h graphql.ResponseHandler) graphql.ResponseHandler {
	if _, ok := ctx.Deadline(); !ok {
		return h
	}
	ended := false
	return func(ctx context.Context) *graphql.Response {
		if ended {
			return nil
		}
		if r := h(ctx); r != nil {
			return r
		}
		ended = true
		if errors.Is(context.Cause(ctx), errTokenExpired) {
			return refuseOperation(errTokenExpired)(ctx)
		}
		return nil
	}
}

// streamUntilExpiry bounds an SSE request by its caller's token: the stream
// ends when the token expires. Other requests are left as they are.
func streamUntilExpiry(r *http.Request, p domain.Principal) (*http.Request, context.CancelFunc) {
	if !(transport.SSE{}).Supports(r) {
		return r, func() {}
	}
	ctx, cancel := context.WithDeadlineCause(r.Context(), p.Expires, errTokenExpired)
	return r.WithContext(ctx), cancel
}
