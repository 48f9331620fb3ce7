package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// NoNULs returns a gqlgen extension refusing, with BAD_USER_INPUT, any
// operation whose variables or argument literals hold a NUL character:
// PostgreSQL cannot store one in text, and no field of the schema needs one.
// It checks once per operation, in time linear in the input, and does no
// walk of the document unless its text has a \u escape (the only way a
// literal can hold a NUL: the lexer refuses raw control characters).
func NoNULs() graphql.HandlerExtension { return noNULs{} }

type noNULs struct{}

func (noNULs) ExtensionName() string                   { return "NoNULs" }
func (noNULs) Validate(graphql.ExecutableSchema) error { return nil }

func (noNULs) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	for name, v := range op.Variables {
		if hasNUL(v) {
			return badInput("Variable $%s holds a NUL character (\\u0000), which no input accepts.", name)
		}
	}
	if op.Doc == nil || !strings.Contains(op.RawQuery, `\u`) {
		return nil
	}
	for _, o := range op.Doc.Operations {
		for _, d := range o.VariableDefinitions {
			if d.DefaultValue != nil && literalHasNUL(d.DefaultValue) {
				return badInput("The default of variable $%s holds a NUL character (\\u0000), which no input accepts.", d.Variable)
			}
		}
		if err := selectionNUL(o.SelectionSet); err != nil {
			return err
		}
	}
	for _, f := range op.Doc.Fragments {
		if err := selectionNUL(f.SelectionSet); err != nil {
			return err
		}
	}
	return nil
}

// hasNUL reports whether a decoded variable value holds a NUL anywhere.
func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.IndexByte(v, 0) >= 0
	case map[string]any:
		for _, e := range v {
			if hasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// selectionNUL checks the argument literals of every field in set, not
// following fragment spreads: the caller checks each fragment once.
func selectionNUL(set ast.SelectionSet) *gqlerror.Error {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if literalHasNUL(a.Value) {
					return badInput("Argument %s of %s holds a NUL character (\\u0000), which no input accepts.", a.Name, s.Name)
				}
			}
			if err := selectionNUL(s.SelectionSet); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := selectionNUL(s.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

// literalHasNUL reports whether a literal (or a list or object of them)
// holds a NUL.
func literalHasNUL(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == ast.StringValue || v.Kind == ast.BlockValue {
		return strings.IndexByte(v.Raw, 0) >= 0
	}
	for _, c := range v.Children {
		if literalHasNUL(c.Value) {
			return true
		}
	}
	return false
}

// RefuseIntrospection returns a gqlgen extension, for servers with
// introspection off, refusing operations that ask for __schema or __type
// with BAD_USER_INPUT before they run. (gqlgen's own refusal is a resolver
// error, which would read as INTERNAL and be logged as one.) __typename
// stays allowed.
func RefuseIntrospection() graphql.HandlerExtension { return refuseIntrospection{} }

type refuseIntrospection struct{}

func (refuseIntrospection) ExtensionName() string                   { return "RefuseIntrospection" }
func (refuseIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (refuseIntrospection) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation != nil && introspects(op.Operation.SelectionSet, map[string]bool{}) {
		return badInput("Introspection is disabled on this server.")
	}
	return nil
}

// introspects reports whether a root selection set asks for __schema or
// __type, the only places they are valid, fragments included (each looked
// at once: seen holds those already looked at).
func introspects(set ast.SelectionSet, seen map[string]bool) bool {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if introspects(s.Definition.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}

// badInput is a request error with BAD_USER_INPUT as its code.
func badInput(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
	return err
}
