// Package graph is the GraphQL layer: the schema's resolvers (each a few
// lines: arguments → app call → result), the error presenter that maps every
// error onto the contract's codes, and per-request loading of shared objects.
package graph

import (
	"log/slog"

	"github.com/leafly/lightspeed-orders/app"
)

//go:generate sh -c "cd .. && go tool gqlgen generate"

// Resolver is the root resolver: the one place dependencies are injected.
type Resolver struct {
	App *app.App
	Log *slog.Logger
}
