package archtest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/leafly/lightspeed-orders"

// pkg is what `go list -json` says of one package of the module.
type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

// rule limits what one package of the module (path relative to it) imports.
type rule struct {
	pkg string
	// deps checks every dependency, not only the direct imports.
	deps bool
	// forbidden are import paths the package must not reach, each with
	// everything below it.
	forbidden []string
	// allowed, when set, are the only packages of the module it may import.
	allowed []string
}

var rules = []rule{
	{pkg: "domain", deps: true, forbidden: []string{module, "gorm.io", "github.com/99designs/gqlgen", "net/http"}},
	{pkg: "graph", allowed: []string{"app", "auth", "domain", "graph/model"}},
	{pkg: "graph/model", allowed: []string{"domain"}},
	{pkg: "storage", forbidden: []string{module + "/app", module + "/notify", module + "/pos", module + "/sync"}},
	// The POS pipeline knows nothing of the use cases above it (it writes
	// through app's Writer), of notifications or of the transports.
	// internal/wait is a leaf: waits that give way to a context.
	{pkg: "pos", allowed: []string{"auth", "domain", "internal/wait", "jobs", "storage", "sync", "vault"}},
	{pkg: "app", allowed: []string{"auth", "domain", "internal/wait", "jobs", "notify", "pos", "storage", "sync", "vault"}},
}

func TestDependencyRule(t *testing.T) {
	t.Parallel()
	pkgs := list(t)
	for _, r := range rules {
		t.Run(strings.ReplaceAll(r.pkg, "/", "_"), func(t *testing.T) {
			p, ok := pkgs[module+"/"+r.pkg]
			if !ok {
				t.Fatalf("go list shows no package %s: update the rule", r.pkg)
			}
			for _, v := range r.violations(p) {
				t.Error(v)
			}
		})
	}
}

// violations names each import of p the rule forbids.
func (r rule) violations(p pkg) []string {
	imports, verb := p.Imports, "imports"
	if r.deps {
		imports, verb = p.Deps, "depends on"
	}
	var out []string
	for _, path := range imports {
		for _, f := range r.forbidden {
			if path == f || strings.HasPrefix(path, f+"/") {
				out = append(out, r.pkg+" "+verb+" "+path+", which it must not")
			}
		}
		rel, ours := strings.CutPrefix(path, module+"/")
		if r.allowed != nil && ours && !slices.Contains(r.allowed, rel) {
			out = append(out, r.pkg+" "+verb+" "+path+"; of this module it may import only "+strings.Join(r.allowed, ", "))
		}
	}
	return out
}

// TestGormTagsStayInStorage: a struct with a gorm tag is a table row, which
// only storage may see, so only storage's unexported types carry one.
func TestGormTagsStayInStorage(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	for _, p := range list(t) {
		for _, name := range p.GoFiles {
			file := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				spec, ok := n.(*ast.TypeSpec)
				if !ok || !hasGormTag(spec.Type) {
					return true
				}
				if p.ImportPath != module+"/storage" || spec.Name.IsExported() {
					t.Errorf("%s: type %s of %s carries a gorm tag: only storage's unexported row types may",
						fset.Position(spec.Pos()), spec.Name.Name, p.ImportPath)
				}
				return true
			})
		}
	}
}

// hasGormTag reports whether a field of the type, at any depth, has a gorm tag.
func hasGormTag(typ ast.Expr) bool {
	found := false
	ast.Inspect(typ, func(n ast.Node) bool {
		if f, ok := n.(*ast.Field); ok && f.Tag != nil && strings.Contains(f.Tag.Value, `gorm:"`) {
			found = true
		}
		return !found
	})
	return found
}

// list returns the module's packages by import path, as `go list` sees them.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,GoFiles,Imports,Deps,Error", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, stderr.Bytes())
	}
	pkgs := map[string]pkg{}
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = p
	}
}
