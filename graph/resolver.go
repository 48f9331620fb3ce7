// Package graph is the GraphQL layer: the schema's resolvers (arguments →
// app call → result) and connections, the error presenter that maps every
// error onto the contract's codes (ErrorPresenter, Presented), and the gqlgen
// extensions every operation passes: the field table (FieldAccess), depth
// and complexity limits (DepthLimit, NewConfig), the refusal of NUL
// characters (NoNULs) and, where configured, of introspection
// (RefuseIntrospection). Per-request caching of stores is app's
// (app.WithRequestCache).
package graph

import (
	"log/slog"

	"github.com/leafly/lightspeed-orders/app"
)

//go:generate sh -c "cd .. && go tool gqlgen generate && go run ./internal/seqlists graph/generated.go"

// Resolver is the root resolver: the one place dependencies are injected.
type Resolver struct {
	App *app.App
	Log *slog.Logger
}
