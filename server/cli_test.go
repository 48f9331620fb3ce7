package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/auth"
)

// The operator's commands: help, -h on each, version, schema, migrate and
// a token that is never signed with a secret made up on the spot.

// TestCLIHelp: `server help`, -h and --help list every command; each
// command's -h prints its usage and succeeds; a stray argument and an
// unknown command are refused, naming where to look.
func TestCLIHelp(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATA_DIR": filepath.Join(t.TempDir(), "untouched")}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		out, err := runCommand(t, env, args...)
		if err != nil {
			t.Fatalf("server %s: %v", args[0], err)
		}
		for _, c := range commands() {
			if !strings.Contains(out, "\n  "+c.name+" ") {
				t.Errorf("server %s does not list %s:\n%s", args[0], c.name, out)
			}
		}
	}
	for _, c := range commands() {
		out, err := runCommand(t, env, c.name, "-h")
		if err != nil || !strings.HasPrefix(out, "usage: server "+c.name+" ") {
			t.Errorf("server %s -h: %v\n%s", c.name, err, out)
		}
		if _, err := runCommand(t, env, c.name, "stray"); err == nil || !strings.Contains(err.Error(), "server "+c.name+" -h") {
			t.Errorf("server %s stray: %v, want a refusal naming `server %s -h`", c.name, err, c.name)
		}
	}
	out, err := runCommand(t, env, "token", "-h")
	for _, flag := range []string{"-role", "-store", "-sub", "-ttl"} {
		if err != nil || !strings.Contains(out, "  "+flag+" ") {
			t.Errorf("server token -h does not show %s: %v\n%s", flag, err, out)
		}
	}
	if out, _ := runCommand(t, env, "migrate", "-h"); !strings.Contains(out, "-status") {
		t.Errorf("server migrate -h does not show -status:\n%s", out)
	}
	if _, err := runCommand(t, env, "serve-please"); err == nil || !strings.Contains(err.Error(), "`server help`") {
		t.Errorf("unknown command: %v, want an error naming `server help`", err)
	}
	if _, err := os.Stat(env["DATA_DIR"]); err == nil {
		t.Error("asking for help created DATA_DIR")
	}
}

// TestCLIVersion: `server version` names the module, the build's version,
// its commit and the Go version, and says so when it knows no commit.
func TestCLIVersion(t *testing.T) {
	t.Parallel()
	out, err := runCommand(t, nil, "version")
	if err != nil || !strings.Contains(out, "module:  github.com/leafly/lightspeed-orders") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("server version: %v\n%s", err, out)
	}
	main := debug.Module{Path: "github.com/leafly/lightspeed-orders", Version: "(devel)"}
	cases := []struct {
		name    string
		info    *debug.BuildInfo
		stamped string
		want    []string
	}{
		{"GoRun", &debug.BuildInfo{Main: main}, "", []string{"version: (devel)\n", "commit:  unknown: built without version control information"}},
		{"GitCheckout", &debug.BuildInfo{Main: debug.Module{Path: main.Path, Version: "v0.0.0-20261203123807-b24e68b3a56e+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "b24e68b3a56eab70b2d9261db0f4355cd17b297e"}, {Key: "vcs.time", Value: "2026-12-03T12:38:07Z"}, {Key: "vcs.modified", Value: "true"}}},
			"", []string{"version: v0.0.0-20261203123807-b24e68b3a56e+dirty\n", "commit:  b24e68b3a56eab70b2d9261db0f4355cd17b297e (2026-12-03T12:38:07Z) with uncommitted changes\n"}},
		{"DockerBuild", &debug.BuildInfo{Main: main}, "v1.4.0-3-gb24e68b", []string{"version: v1.4.0-3-gb24e68b\n"}},
		{"NoBuildInfo", nil, "", []string{"module:  github.com/leafly/lightspeed-orders\n", "version: (devel)\n"}},
	}
	for _, c := range cases {
		text := versionText(c.info, c.stamped)
		for _, want := range c.want {
			if !strings.Contains(text, want) {
				t.Errorf("%s: version text lacks %q:\n%s", c.name, want, text)
			}
		}
	}
}

// TestCLISchema: `server schema` prints schema.graphqls exactly.
func TestCLISchema(t *testing.T) {
	t.Parallel()
	want := readFile(t, "../schema.graphqls")
	out, err := runCommand(t, nil, "schema")
	if err != nil || out != want {
		t.Errorf("server schema: %v; output equals schema.graphqls: %v", err, out == want)
	}
}

// TestCLITokenNeedsTheServiceSecret: without AUTH_SECRET and without a
// DATA_DIR/auth_secret, `server token` refuses, naming AUTH_SECRET, and
// creates nothing; once a service has generated its secret there, the
// token is signed with it.
func TestCLITokenNeedsTheServiceSecret(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"DATA_DIR": dir}
	out, err := runCommand(t, env, "token", "-role", "ADMIN")
	if err == nil || !strings.HasPrefix(err.Error(), "config: AUTH_SECRET: ") || strings.Contains(err.Error(), "\n") || out != "" {
		t.Fatalf("token without a secret: %v, output %q; want one line naming AUTH_SECRET and no token", err, out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("token without a secret created DATA_DIR: %v", err)
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := loadSecrets(&cfg); err != nil { // what a first start does
		t.Fatal(err)
	}
	token := mintWith(t, env)
	p, err := auth.NewTokens([]byte(catFile(t, filepath.Join(dir, "auth_secret")))).Verify(token)
	if err != nil || p.Subject != "cli" {
		t.Errorf("token minted with the generated secret: %v (%+v)", err, p)
	}
}

// TestCLIMigrate: `server migrate -status` lists every migration as pending
// on a new database and changes nothing; `server migrate` applies them all
// and says which; then -status lists them applied, and a second run
// applies none.
func TestCLIMigrate(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		status := func() (rows, pending, applied int) {
			out, err := runCommand(t, db.env, "migrate", "-status")
			if err != nil {
				t.Fatalf("migrate -status: %v\n%s", err, out)
			}
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				if len(f) < 4 || (f[0] != "service" && f[0] != "river") {
					continue
				}
				rows++
				switch f[len(f)-1] {
				case "pending":
					pending++
				default:
					if strings.Contains(line, " applied") {
						applied++
					}
				}
			}
			return rows, pending, applied
		}
		rows, pending, _ := status()
		if rows < 2 || pending != rows {
			t.Fatalf("new database: %d migrations listed, %d pending; want all pending", rows, pending)
		}
		if again, pendingAgain, _ := status(); again != rows || pendingAgain != rows {
			t.Fatalf("-status changed something: %d of %d pending after it", pendingAgain, again)
		}
		out, err := runCommand(t, db.env, "migrate")
		if err != nil || strings.Count("\n"+out, "\napplied ") != rows ||
			!strings.Contains(out, "none pending") || !strings.Contains(out, "applied service 0001 ") || !strings.Contains(out, "applied river 0001 ") {
			t.Fatalf("migrate: %v\n%s", err, out)
		}
		if after, pending, applied := status(); after != rows || pending != 0 || applied != rows {
			t.Errorf("after migrate: %d listed, %d pending, %d applied; want %d applied", after, pending, applied, rows)
		}
		if out, err := runCommand(t, db.env, "migrate"); err != nil || !strings.Contains(out, "migrate: 0 applied now") {
			t.Errorf("second migrate: %v\n%s", err, out)
		}
	})
}
