package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// operation parses q into the operation context NoNULs sees.
func operation(tb testing.TB, q string, vars map[string]any) *graphql.OperationContext {
	tb.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		tb.Fatal(err)
	}
	return &graphql.OperationContext{RawQuery: q, Doc: doc, Operation: doc.Operations[0], Variables: vars}
}

// BenchmarkNoNULs measures the check on the order(id) hot path: one string
// variable and no \u escape, so no walk of the document.
func BenchmarkNoNULs(b *testing.B) {
	op := operation(b, `query($id: ID!) { order(id: $id) { id status totalCents lines { name quantity } posSync { state } } }`,
		map[string]any{"id": "5f0c7a1e-3a52-4d5e-9a43-1c2b3d4e5f60"})
	ext := NoNULs().(graphql.OperationContextMutator)
	for b.Loop() {
		if err := ext.MutateOperationContext(context.Background(), op); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNoNULs(t *testing.T) {
	ext := NoNULs().(graphql.OperationContextMutator)
	for name, tc := range map[string]struct {
		query  string
		vars   map[string]any
		refuse bool
	}{
		"OK":                  {`query($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": "a\u00e9b"}, false},
		"EscapeWithoutNUL":    {`{ order(id: "caf\u00e9") { id } }`, nil, false},
		"Variable":            {`query($f: OrderFilter) { orders(storeId: "s", filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"search": []any{"x\x00"}}}, true},
		"Literal":             {`{ order(id: "a\u0000") { id } }`, nil, true},
		"NestedLiteral":       {`{ orders(storeId: "s", filter: {search: "\u0000"}) { totalCount } }`, nil, true},
		"InFragment":          {`{ ...F } fragment F on Query { order(id: "\u0000") { id } }`, nil, true},
		"VariableDefault":     {`query($id: ID = "\u0000") { order(id: $id) { id } }`, nil, true},
		"NestedField":         {`{ store(id: "s") { orders(after: "\u0000") { totalCount } } }`, nil, true},
		"BlockStringEscapeOK": {`{ order(id: """\u0000""") { id } }`, nil, false},
	} {
		t.Run(name, func(t *testing.T) {
			err := ext.MutateOperationContext(context.Background(), operation(t, tc.query, tc.vars))
			if (err != nil) != tc.refuse || (err != nil && err.Extensions["code"] != "BAD_USER_INPUT") {
				t.Errorf("got %v, want refused %v with BAD_USER_INPUT", err, tc.refuse)
			}
		})
	}
}
