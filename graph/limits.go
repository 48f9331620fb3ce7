package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/graph/model"
)

// DepthLimit returns a gqlgen extension refusing operations whose selections
// nest deeper than max (fragments included).
func DepthLimit(max int) graphql.HandlerExtension { return depthLimit{max} }

type depthLimit struct{ max int }

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	if depth(op.Operation.SelectionSet, d.max+1) > d.max {
		err := gqlerror.Errorf("The operation nests deeper than %d levels.", d.max)
		err.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
		return err
	}
	return nil
}

// depth returns how deep set nests, counting no further than limit.
func depth(set ast.SelectionSet, limit int) int {
	if limit == 0 {
		return 0
	}
	deepest := 0
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			if len(s.SelectionSet) > 0 {
				d = 1 + depth(s.SelectionSet, limit-1)
			}
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, limit)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = depth(s.Definition.SelectionSet, limit)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// lightspeedCallCost is the complexity of one request to Lightspeed a field
// may make while the caller waits: with the limit of 5,000, one operation
// makes at most 12, whatever its aliases (the retailer's rate budget is
// shared with order sending).
const lightspeedCallCost = 400

// NewConfig returns the executable schema's configuration: the resolver and
// complexity costs where a field returns many objects, so a query's
// complexity grows with the page sizes it asks for, and where a field calls
// Lightspeed, so a query's complexity grows with the calls it may make.
func NewConfig(r *Resolver) Config {
	c := Config{Resolvers: r}
	c.Complexity.Query.Orders = func(child int, _ string, _ *domain.OrderFilter, first *int, _ *string, last *int, _ *string) int {
		return 1 + child*pageCost(first, last)
	}
	c.Complexity.Query.MenuItems = func(child int, _ string, first *int, _ *string) int {
		return 1 + child*pageCost(first, nil)
	}
	setLightspeedCosts(&c.Complexity)
	return c
}

// setLightspeedCosts prices each field that calls Lightspeed synchronously
// by the requests it makes; a list is its page and the empty page after it.
// Setup options list outlets, registers, users and payment types (8);
// enabling lists them again, subscribes the webhook and lists webhooks when
// it exists (10); a menu sync reads the retailer and lists the products (3,
// more for a catalogue over 1,000 products); connecting with a personal
// token checks it, and disabling removes the webhook (1 each).
func setLightspeedCosts(c *ComplexityRoot) {
	c.Query.LightspeedSetupOptions = func(child int, _ string) int { return lightspeedCost(8, child) }
	c.Mutation.ConfigureOrderIntegration = func(child int, _ model.ConfigureOrderIntegrationInput) int {
		return lightspeedCost(8, child)
	}
	c.Mutation.EnableOrderIntegration = func(child int, _ string) int { return lightspeedCost(10, child) }
	c.Mutation.SyncMenu = func(child int, _ string) int { return lightspeedCost(3, child) }
	c.Mutation.ConnectLightspeedPersonalToken = func(child int, _, _, _ string) int { return lightspeedCost(1, child) }
	c.Mutation.DisableOrderIntegration = func(child int, _ string) int { return lightspeedCost(1, child) }
}

func lightspeedCost(calls, child int) int { return calls*lightspeedCallCost + child }

// pageCost is how many items a page's first and last arguments may return:
// the larger one given (both are refused when the page is read), 20 without.
func pageCost(first, last *int) int {
	n := 0
	for _, arg := range []*int{first, last} {
		if arg != nil {
			n = max(n, *arg)
		}
	}
	if n < 1 {
		return 20
	}
	return n
}
