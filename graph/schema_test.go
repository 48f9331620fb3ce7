package graph_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/internal/pinned"
)

// contractFile is this repository's copy of the public contract
// (testdata/README.md says where it comes from and how to refresh it);
// TestContractCopyIsCurrent keeps it so.
const contractFile = "testdata/contract.graphql"

// TestContractCopyIsCurrent fails when the shared contract moved on and the
// copy the contract test reads did not.
func TestContractCopyIsCurrent(t *testing.T) {
	pinned.Check(t, contractFile, "contract/contract.graphql")
}

func loadSchema(t *testing.T, path string) *ast.Schema {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return parseSchema(t, path, string(b))
}

func parseSchema(t *testing.T, name, input string) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: input})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return s
}

// TestSchemaKeepsTheContract checks schema.graphqls has every type, field,
// argument and enum value of the public contract, with the same types and
// nullability.
func TestSchemaKeepsTheContract(t *testing.T) {
	contract := loadSchema(t, contractFile)
	ours := loadSchema(t, "../schema.graphqls")
	for name, want := range contract.Types {
		if want.BuiltIn {
			continue
		}
		got := ours.Types[name]
		if got == nil || got.Kind != want.Kind {
			t.Errorf("type %s: missing or of another kind", name)
			continue
		}
		for _, v := range want.EnumValues {
			if got.EnumValues.ForName(v.Name) == nil {
				t.Errorf("enum %s lacks %s", name, v.Name)
			}
		}
		for _, wf := range want.Fields {
			gf := got.Fields.ForName(wf.Name)
			if gf == nil || gf.Type.String() != wf.Type.String() {
				t.Errorf("%s.%s: want %s, have %v", name, wf.Name, wf.Type, gf)
				continue
			}
			for _, wa := range wf.Arguments {
				ga := gf.Arguments.ForName(wa.Name)
				if ga == nil || ga.Type.String() != wa.Type.String() {
					t.Errorf("%s.%s(%s): want %s", name, wf.Name, wa.Name, wa.Type)
				}
			}
			for _, ga := range gf.Arguments {
				if wf.Arguments.ForName(ga.Name) == nil && ga.Type.NonNull && ga.DefaultValue == nil {
					t.Errorf("%s.%s: added argument %s is required", name, wf.Name, ga.Name)
				}
			}
		}
	}
}

// TestSchemaDescribesEverything fails when anything schema.graphqls defines
// has no description: a front-end developer learns the API from them (units,
// who may call what, which errors come back), in GraphiQL or any client.
func TestSchemaDescribesEverything(t *testing.T) {
	t.Run("Schema", func(t *testing.T) {
		t.Parallel()
		if missing := undescribed(loadSchema(t, "../schema.graphqls")); len(missing) > 0 {
			t.Errorf("schema.graphqls: %d definitions have no description:\n%s", len(missing), strings.Join(missing, "\n"))
		}
	})
	// One definition of each kind lacks a description, or has a blank one,
	// beside a described one: the check finds exactly those.
	t.Run("FindsEachKind", func(t *testing.T) {
		t.Parallel()
		s := parseSchema(t, "snippet", `
			"Described." scalar Money
			scalar Bare
			"Described." directive @cost("Described." weight: Int, bare: Int) on FIELD_DEFINITION
			directive @plain on FIELD_DEFINITION
			"Described." type Query {
				"Described." price("Described." id: ID!, bare: ID): Money
				bare: Shade
			}
			type Plain { "Described." id: ID! }
			"Described." interface Node { id: ID! }
			union Anything = Plain
			"Described." enum Shade { "Described." LIGHT DARK }
			"Described." input Filter { "Described." shade: Shade, " " bare: Int }
		`)
		want := []string{"@cost(bare)", "@plain", "Anything", "Bare", "Filter.bare", "Node.id", "Plain",
			"Query.bare", "Query.price(bare)", "Shade.DARK"}
		if got := undescribed(s); !slices.Equal(got, want) {
			t.Errorf("undescribed:\n got %q\nwant %q", got, want)
		}
	})
}

// undescribed lists, sorted, what the schema itself defines without a
// description: types, fields, arguments, enum values, input fields and
// directives. What the GraphQL specification defines (built-in scalars and
// directives, introspection) is not the schema's to describe.
func undescribed(s *ast.Schema) []string {
	var missing []string
	check := func(description, name string) {
		if strings.TrimSpace(description) == "" {
			missing = append(missing, name)
		}
	}
	checkArgs := func(args ast.ArgumentDefinitionList, of string) {
		for _, a := range args {
			check(a.Description, of+"("+a.Name+")")
		}
	}
	for name, def := range s.Types {
		if def.BuiltIn {
			continue
		}
		check(def.Description, name)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			check(f.Description, name+"."+f.Name)
			checkArgs(f.Arguments, name+"."+f.Name)
		}
		for _, v := range def.EnumValues {
			check(v.Description, name+"."+v.Name)
		}
	}
	for name, d := range s.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		check(d.Description, "@"+name)
		checkArgs(d.Arguments, "@"+name)
	}
	slices.Sort(missing)
	return missing
}
