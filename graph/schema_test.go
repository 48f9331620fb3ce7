package graph_test

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/internal/pinned"
)

// contractFile is this repository's copy of the public contract
// (shared/contract/contract.graphql); TestContractCopyIsCurrent keeps it so.
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
	s, gerr := gqlparser.LoadSchema(&ast.Source{Name: path, Input: string(b)})
	if gerr != nil {
		t.Fatalf("parse %s: %v", path, gerr)
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
