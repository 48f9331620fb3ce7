package graph

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/graph/model"
)

// RequestIDFunc returns the id of the request ctx belongs to.
type RequestIDFunc func(ctx context.Context) string

// ErrorPresenter returns gqlgen's error presenter: the one place errors
// become GraphQL errors. Every error gets one of the contract's codes in
// extensions.code; domain errors keep their message; anything else is logged
// with the request id and reaches the caller only as "internal error".
func ErrorPresenter(log *slog.Logger, requestID RequestIDFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var de *domain.Error
		switch {
		case errors.As(err, &de):
			gqlErr.Message, gqlErr.Extensions = de.Message, extensions(de)
		case errors.Is(err, model.ErrTimeFormat):
			gqlErr.Message = gqlErr.Path.String() + " " + model.ErrTimeFormat.Error() + "."
			gqlErr.Extensions = map[string]any{"code": string(domain.CodeBadUserInput)}
		case isRequestError(gqlErr):
			gqlErr.Message = withoutBody(gqlErr.Message)
			gqlErr.Extensions = map[string]any{"code": string(domain.CodeBadUserInput)}
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			// The caller went away mid-operation (a websocket closed while
			// its subscription was being set up): nobody reads the answer
			// and nothing is wrong, so no error is logged.
			log.DebugContext(ctx, "operation cancelled by the caller", "request_id", requestID(ctx), "path", gqlErr.Path.String())
			gqlErr.Message = "The request was cancelled."
			gqlErr.Extensions = map[string]any{"code": string(domain.CodeInternal)}
		default:
			id := requestID(ctx)
			log.ErrorContext(ctx, "internal error", "request_id", id, "path", gqlErr.Path.String(), "err", err)
			gqlErr.Message = "Internal error; quote request id " + id + " to support."
			gqlErr.Extensions = map[string]any{"code": string(domain.CodeInternal)}
		}
		return gqlErr
	}
}

// Presented is err as ErrorPresenter shows it, located at field when there
// is one, for the answers that do not pass through the presenter: the
// websocket transport sends an operation's refusal as it is, and an
// operation interceptor's own answer is sent as it is by every transport.
func Presented(err *domain.Error, field *ast.Field) *gqlerror.Error {
	e := &gqlerror.Error{Err: err, Message: err.Message, Extensions: extensions(err)}
	if field != nil && field.Position != nil {
		e.Locations = []gqlerror.Location{{Line: field.Position.Line, Column: field.Position.Column}}
	}
	return e
}

// extensions are the extensions of a GraphQL error saying err.
func extensions(err *domain.Error) map[string]any {
	ext := map[string]any{"code": string(err.Code)}
	if len(err.Requirements) > 0 {
		ext["requirements"] = err.Requirements
	}
	if len(err.Lines) > 0 {
		ext["lines"] = lineExtensions(err.Lines)
	}
	return ext
}

// lineExtensions writes the wrong lines of a refused submitOrder as
// extensions.lines: index, menuItemId, field and message, and for a price
// the cents the line sent and the menu's.
func lineExtensions(lines []domain.LineError) []map[string]any {
	out := make([]map[string]any, len(lines))
	for i, l := range lines {
		out[i] = map[string]any{"index": l.Index, "menuItemId": l.MenuItemID, "field": l.Field, "message": l.Message}
		if l.SentCents != nil && l.MenuPriceCents != nil {
			out[i]["sentCents"], out[i]["menuPriceCents"] = *l.SentCents, *l.MenuPriceCents
		}
	}
	return out
}

// isRequestError reports whether gqlgen itself refused the request: a parse
// or validation error, an argument of the wrong type, a query too complex,
// a body it could not read or decode. The last carry no cause and no path
// (resolver errors always have a path) and quote the whole body, which may
// hold a Lightspeed token: they must not reach the log as internal errors.
func isRequestError(e *gqlerror.Error) bool {
	code, _ := e.Extensions["code"].(string)
	switch code {
	case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "COMPLEXITY_LIMIT_EXCEEDED",
		"PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED":
		return true
	}
	return e.Rule != "" || (e.Err == nil && (len(e.Locations) > 0 || len(e.Path) == 0))
}

// BadBodyMessage is the whole message for a request body that is not a
// JSON GraphQL request: it quotes nothing of the body.
const BadBodyMessage = "The request body is not a valid JSON GraphQL request."

// withoutBody replaces the message gqlgen's HTTP transports give a body that
// is not JSON, which quotes the body (and so whatever token it holds) and
// the decoder's view of it, with BadBodyMessage.
func withoutBody(message string) string {
	if strings.HasPrefix(message, "json request body could not be decoded") {
		return BadBodyMessage
	}
	return message
}

// WithoutSuggestions wraps an error presenter to drop the "Did you mean …?"
// the validator adds to its errors: with introspection off, the names it
// suggests would reveal the schema. (gqlgen's SetDisableSuggestion covers
// misspelt fields only, not arguments, enum values or input fields.)
func WithoutSuggestions(present graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		e := present(ctx, err)
		if i := strings.Index(e.Message, " Did you mean"); i >= 0 {
			e.Message = e.Message[:i]
		}
		return e
	}
}
