package main

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// introspectDescriptions asks the served schema for the description of
// every type, field, argument, input field and enum value.
const introspectDescriptions = `{ __schema { types {
	name description
	fields(includeDeprecated: true) { name description args { name description } }
	inputFields { name description }
	enumValues(includeDeprecated: true) { name description }
} } }`

// TestIntrospectionShowsDescriptions checks the running service serves the
// description of everything schema.graphqls defines, word for word and none
// empty, so that the generated code embeds the schema as it is now. The
// schema does not depend on the database: one embedded server is enough.
func TestIntrospectionShowsDescriptions(t *testing.T) {
	t.Parallel()
	want := fileDescriptions(t, "../schema.graphqls")
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	data := s.MustDo(t, s.Token(t, "ADMIN"), introspectDescriptions, nil)
	got := map[string]string{}
	for _, typ := range path(data, "__schema", "types").([]any) {
		name := text(path(typ, "name"))
		got[name] = text(path(typ, "description"))
		for _, f := range append(list(typ, "fields"), list(typ, "inputFields")...) {
			field := name + "." + text(path(f, "name"))
			got[field] = text(path(f, "description"))
			for _, a := range list(f, "args") {
				got[field+"("+text(path(a, "name"))+")"] = text(path(a, "description"))
			}
		}
		for _, v := range list(typ, "enumValues") {
			got[name+"."+text(path(v, "name"))] = text(path(v, "description"))
		}
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g == "" || g != w {
			t.Errorf("%s: introspection describes it as %q, schema.graphqls as %q", name, g, w)
		}
	}
}

// fileDescriptions reads the descriptions of what the schema file defines,
// keyed like Type, Type.field, Type.field(argument) and Enum.VALUE.
func fileDescriptions(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: file, Input: string(b)})
	if gerr != nil {
		t.Fatalf("parse %s: %v", file, gerr)
	}
	d := map[string]string{}
	for name, def := range schema.Types {
		if def.BuiltIn {
			continue
		}
		d[name] = def.Description
		for _, f := range def.Fields {
			if f.Position == nil {
				continue // __schema and __type, which the parser adds to Query
			}
			d[name+"."+f.Name] = f.Description
			for _, a := range f.Arguments {
				d[name+"."+f.Name+"("+a.Name+")"] = a.Description
			}
		}
		for _, v := range def.EnumValues {
			d[name+"."+v.Name] = v.Description
		}
	}
	return d
}

// list is the list at key of an introspection object; nil when it is null.
func list(v any, key string) []any {
	l, _ := path(v, key).([]any)
	return l
}

// text is an introspection string; "" when it is null.
func text(v any) string {
	s, _ := v.(string)
	return s
}
