package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestGraphiQLSetting checks /graphiql is served, and named in the banner,
// by default on the embedded database only, and that GRAPHIQL turns it on
// or off either way.
func TestGraphiQLSetting(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		byDefault := db.name == "sqlite"
		for name, c := range map[string]struct {
			value string
			want  bool
		}{
			"Default":    {"", byDefault},
			"Overridden": {strconv.FormatBool(!byDefault), !byDefault},
		} {
			t.Run(name, func(t *testing.T) {
				s := startServer(t, withEnv(db.env, "GRAPHIQL", c.value)) // one after the other: they share the database
				if got := serves(t, s.URL+"/graphiql"); got != c.want {
					t.Errorf("/graphiql served: %v, want %v", got, c.want)
				}
				if got := strings.Contains(s.out.String(), "GraphiQL:  http://"); got != c.want {
					t.Errorf("banner names GraphiQL: %v, want %v", got, c.want)
				}
			})
		}
	})
}
