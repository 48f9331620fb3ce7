package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadConfigurationStopsTheStart checks each bad value stops the start
// with one line naming its variable.
func TestBadConfigurationStopsTheStart(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"HTTP_ADDR":                     "8080",
		"METRICS_ADDR":                  "9090",
		"PUBLIC_URL":                    "orders.example.com",
		"DATABASE_URL":                  "mysql://root@localhost/test",
		"AUTH_SECRET":                   "short",
		"ENCRYPTION_KEY":                "bm90IDMyIGJ5dGVz",
		"LIGHTSPEED_CONNECT_URL":        "ftp://example.com",
		"LIGHTSPEED_API_URL":            "not a url",
		"LIGHTSPEED_API_VERSION":        "latest",
		"LIGHTSPEED_TIMEOUT":            "0",
		"LIGHTSPEED_RECONCILE_INTERVAL": "soon",
		"LIGHTSPEED_PROBE_INTERVAL":     "rarely",
		"ORDER_POS_DEADLINE":            "-5m",
		"ALLOWED_ORIGINS":               "https://biz.leafly.com/path",
		"GRAPHQL_INTROSPECTION":         "maybe",
		"GRAPHIQL":                      "sometimes",
		"LOG_LEVEL":                     "loud",
		"SHUTDOWN_TIMEOUT":              "0s",
		"DB_MAX_CONNS":                  "0",
		"DATABASE_WAIT":                 "forever",
		"LIGHTSPEED_CLIENT_ID":          "only-the-id",
		"SMTP_URL":                      "ftp://mail.example",
		"NOTIFY_WEBHOOK_URL":            "https://notify.example/hook",
		"MENU_SYNC_INTERVAL":            "often",
		"JOB_TIMEOUT":                   "-1s",
		"SANDBOX_DEMO":                  "perhaps",
		"SANDBOX":                       "yes please",
		"HTTP_READ_TIMEOUT":             "0",
		"WEBHOOK_RETENTION":             "3 days",
		"AUTH_SECRET_PREVIOUS":          "short",
		"ENCRYPTION_KEY_PREVIOUS":       "bm90IDMyIGJ5dGVz",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			// A free port: some bad values are found only once it listens.
			env := map[string]string{"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0"}
			env[name] = value
			if name == "SMTP_URL" {
				env["NOTIFY_FROM"] = "orders@leafly.example"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{})
			if err == nil {
				t.Fatalf("%s=%q: the service started", name, value)
			}
			msg := err.Error()
			want := name
			switch name {
			case "LIGHTSPEED_CLIENT_ID":
				want = "LIGHTSPEED_CLIENT_SECRET"
			case "NOTIFY_WEBHOOK_URL":
				want = "NOTIFY_WEBHOOK_SECRET"
			}
			if !strings.HasPrefix(msg, "config: "+want+": ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with %q", msg, "config: "+want+": ")
			}
		})
	}
}

// TestStartsOnEmbeddedDefaults starts with nothing but DATA_DIR and an
// address set, as a newcomer would, and uses the printed ADMIN token.
func TestStartsOnEmbeddedDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, map[string]string{"DATA_DIR": dir, "AUTH_SECRET": "", "LOG_LEVEL": ""})
	out := s.out.String()
	for _, want := range []string{"Console:   http://localhost:", "/query", "ws://localhost:", "ADMIN token"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	_, after, _ := strings.Cut(out, "ADMIN token, valid 24h:\n")
	token := strings.TrimSpace(strings.SplitN(after, "\n", 2)[0])
	if _, err := os.Stat(filepath.Join(dir, "auth_secret")); err != nil {
		t.Errorf("no generated AUTH_SECRET kept in DATA_DIR: %v", err)
	}
	s.MustDo(t, token, `mutation { createStore(input: {name: "Demo", timeZone: "UTC", pickupEnabled: true, deliveryEnabled: false, advertisingSubscriptionActive: true}) { id } }`, nil)
}

// TestProductionStartRefusesWithoutLightspeed checks a PostgreSQL start with
// neither a Lightspeed app nor SANDBOX=true stops with one line naming
// LIGHTSPEED_CLIENT_ID (before touching the database), that the sandbox
// and a Lightspeed app are not asked for together, and that
// DATABASE_LISTEN_URL is a PostgreSQL URL, and only with DATABASE_URL.
func TestProductionStartRefusesWithoutLightspeed(t *testing.T) {
	t.Parallel()
	unreachable := "postgres://nobody@127.0.0.1:1/none?sslmode=disable"
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"PostgresWithoutApp":    {map[string]string{"DATABASE_URL": unreachable}, "LIGHTSPEED_CLIENT_ID"},
		"SandboxTurnedOff":      {map[string]string{"SANDBOX": "false"}, "LIGHTSPEED_CLIENT_ID"},
		"SandboxAndAppTogether": {map[string]string{"SANDBOX": "true", "LIGHTSPEED_CLIENT_ID": "app", "LIGHTSPEED_CLIENT_SECRET": "secret"}, "SANDBOX"},
		"ListenURLNotPostgres":  {map[string]string{"DATABASE_URL": unreachable, "SANDBOX": "true", "DATABASE_LISTEN_URL": "mysql://root@localhost/test"}, "DATABASE_LISTEN_URL"},
		"ListenURLEmbedded":     {map[string]string{"DATABASE_LISTEN_URL": unreachable}, "DATABASE_LISTEN_URL"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.env["DATA_DIR"], c.env["HTTP_ADDR"] = t.TempDir(), "127.0.0.1:0"
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, nil, func(k string) string { return c.env[k] }, &bytes.Buffer{})
			if err == nil {
				t.Fatal("the service started")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "config: "+c.want+": ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with %q", msg, "config: "+c.want+": ")
			}
		})
	}
}

// TestStartPrintsTokenAndServesSandboxOnlyOnDefault checks what a start shows
// and serves: the ADMIN token only on the embedded database; the sandbox on
// the embedded default, on PostgreSQL only with SANDBOX=true (which
// eachDatabase sets), and never beside a Lightspeed app.
func TestStartPrintsTokenAndServesSandboxOnlyOnDefault(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		pg := db.name == "postgres"
		for name, c := range map[string]struct {
			env     map[string]string
			sandbox bool
		}{
			"Sandbox":       {nil, true},
			"LightspeedApp": {map[string]string{"SANDBOX": "", "LIGHTSPEED_CLIENT_ID": "app", "LIGHTSPEED_CLIENT_SECRET": "app-secret"}, false},
		} {
			t.Run(name, func(t *testing.T) {
				env := map[string]string{}
				for k, v := range db.env {
					env[k] = v
				}
				for k, v := range c.env {
					env[k] = v
				}
				s := startServer(t, env)
				out := s.out.String()
				if got := strings.Contains(out, "ADMIN token"); got == pg {
					t.Errorf("ADMIN token printed: %v, want %v:\n%s", got, !pg, out)
				}
				if pg && !strings.Contains(out, "server token") {
					t.Errorf("a PostgreSQL start does not say how to mint a token:\n%s", out)
				}
				if got := serves(t, s.URL+"/sandbox/"); got != c.sandbox {
					t.Errorf("sandbox served: %v, want %v", got, c.sandbox)
				}
				var setup struct{ SignIn bool }
				getJSON(t, s.URL+"/console/setup", &setup)
				if want := c.sandbox && !pg; setup.SignIn != want {
					t.Errorf("console one-click sign-in offered: %v, want %v", setup.SignIn, want)
				}
			})
		}
	})
}

// serves reports whether GET url answers 200.
func serves(t *testing.T, url string) bool {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestStartRefusesAnotherEncryptionKey: a database first used with one
// ENCRYPTION_KEY refuses a start with another (a replica given the wrong
// key would seal tokens no other replica can open), with one line naming
// the variable, and starts again with the first.
func TestStartRefusesAnotherEncryptionKey(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		withKey := func(b byte) map[string]string {
			env := map[string]string{"ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))}
			for k, v := range db.env {
				env[k] = v
			}
			return env
		}
		startServer(t, withKey(1)).Stop(t)
		env := withKey(2)
		for k, v := range map[string]string{"HTTP_ADDR": "127.0.0.1:0", "AUTH_SECRET": testSecret} {
			env[k] = v
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := run(ctx, nil, func(k string) string { return env[k] }, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), "config: ENCRYPTION_KEY: ") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("start with another key: %v, want one line naming ENCRYPTION_KEY", err)
		}
		startServer(t, withKey(1)).Stop(t)
	})
}
