// Command seqlists rewrites gqlgen's generated code so that lists are
// marshalled one element after another on the calling goroutine: every
// call of graphql.MarshalSliceConcurrently, which starts a goroutine per
// element of a list of objects, becomes a call of the package's own
// marshalList (graph/lists.go), which has the same arguments and the same
// result. gqlgen has no setting for this (exec.worker_limit only bounds how
// many of those goroutines run at once). It also makes every object build
// its @defer group only when one of its fields is deferred: each
// graphql.NewDeferredGroup(ctx) becomes deferredGroup(ctx, fields) (also
// graph/lists.go). go generate runs it after gqlgen:
//
//	go run ./internal/seqlists graph/generated.go
package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
)

// concurrent is how gqlgen v0.17 calls the helper: the length, its
// exec.worker_limit and its omit_panic_handler setting.
var concurrent = regexp.MustCompile(`graphql\.MarshalSliceConcurrently\(ctx, len\(v\), \d+, false, `)

// newDeferredGroup is how gqlgen v0.17 starts each object's @defer group,
// after collecting the object's fields into fields.
var newDeferredGroup = []byte("deferred := graphql.NewDeferredGroup(ctx)")

func main() {
	if err := rewrite(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
}

func rewrite(files []string) error {
	if len(files) == 0 {
		return fmt.Errorf("usage: seqlists FILE...")
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if !concurrent.Match(src) {
			return fmt.Errorf("%s: no call of graphql.MarshalSliceConcurrently as gqlgen v0.17 writes it (a newer gqlgen, or omit_panic_handler set?)", name)
		}
		if !bytes.Contains(src, newDeferredGroup) {
			return fmt.Errorf("%s: no %s as gqlgen v0.17 writes it (a newer gqlgen?)", name, newDeferredGroup)
		}
		out := concurrent.ReplaceAll(src, []byte("marshalList(ctx, len(v), "))
		out = bytes.ReplaceAll(out, newDeferredGroup, []byte("deferred := deferredGroup(ctx, fields)"))
		if bytes.Contains(out, []byte("MarshalSliceConcurrently")) {
			return fmt.Errorf("%s: a call of graphql.MarshalSliceConcurrently in another form is left", name)
		}
		if bytes.Contains(out, []byte("NewDeferredGroup")) {
			return fmt.Errorf("%s: a call of graphql.NewDeferredGroup in another form is left", name)
		}
		if err := os.WriteFile(name, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
