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

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/vault"
)

// Keys that change: ENCRYPTION_KEY and AUTH_SECRET rotated on a running
// service, the generated AUTH_SECRET file, and a stored token no key opens.

// encryptionKey is a test ENCRYPTION_KEY made of one repeated byte.
func encryptionKey(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// hostedEnv is the environment of a service on db whose Lightspeed is the
// host's sandbox, which outlives the service's restarts.
func hostedEnv(db database, host *testServer, extra map[string]string) map[string]string {
	env := map[string]string{"MENU_SYNC_INTERVAL": "1h", "JOB_TIMEOUT": "5s",
		"LIGHTSPEED_API_URL":     host.URL + sandboxPath + "/{domain_prefix}",
		"LIGHTSPEED_CONNECT_URL": host.URL + sandboxPath + "/connect"}
	for _, m := range []map[string]string{db.env, extra} {
		for k, v := range m {
			env[k] = v
		}
	}
	return env
}

// runCommand runs a subcommand of the program with env and returns its output.
func runCommand(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, args, func(k string) string { return env[k] }, &out)
	return out.String(), err
}

// sendsOrders submits an order and waits until it is exactly one sale.
func sendsOrders(t *testing.T, st lsStore, host *testServer, menu map[string]map[string]any, leaflyID string) {
	t.Helper()
	id := st.shopperOrder(t, leaflyID, "rotate@example.com", anyItems(menu, 1), nil)
	st.waitPosWithin(t, id, "SENT", 60*time.Second)
	if n := len(sandboxOf(t, host).sales(leaflyID)); n != 1 {
		t.Fatalf("%s: %d sales, want 1", leaflyID, n)
	}
}

// TestRotateEncryptionKey rotates ENCRYPTION_KEY from K1 to K2 on a store
// connected by OAuth: with K2 and ENCRYPTION_KEY_PREVIOUS=K1 orders still
// flow; `server rekey` re-seals every token while the service runs; then K2
// alone starts and sends orders, and K1 alone is refused.
func TestRotateEncryptionKey(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		host := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
		k1, k2 := encryptionKey(1), encryptionKey(2)
		withKeys := func(current, previous string) map[string]string {
			return hostedEnv(db, host, map[string]string{"ENCRYPTION_KEY": current, "ENCRYPTION_KEY_PREVIOUS": previous})
		}
		s := startServer(t, withKeys(k1, ""))
		st, menu := enabledStore(t, s)
		sendsOrders(t, st, host, menu, "ROT-1")
		s.Stop(t)

		st.s = startServer(t, withKeys(k2, k1))
		sendsOrders(t, st, host, menu, "ROT-2")
		rekeyEnv := withKeys(k2, k1)
		out, err := runCommand(t, rekeyEnv, "rekey")
		if err != nil || !strings.Contains(out, "re-sealed") {
			t.Fatalf("server rekey: %v\n%s", err, out)
		}
		onlyK2, _ := vault.New(bytes.Repeat([]byte{2}, 32))
		c := st.credentials(t)
		if _, err := onlyK2.Open(c.AccessToken); err != nil {
			t.Errorf("access token after rekey: %v", err)
		}
		if _, err := onlyK2.Open(*c.RefreshToken); err != nil {
			t.Errorf("refresh token after rekey: %v", err)
		}
		sendsOrders(t, st, host, menu, "ROT-3")
		st.s.Stop(t)

		st.s = startServer(t, withKeys(k2, ""))
		sendsOrders(t, st, host, menu, "ROT-4")
		st.s.Stop(t)

		old := withKeys(k1, "")
		old["HTTP_ADDR"], old["AUTH_SECRET"] = "127.0.0.1:0", testSecret
		if _, err := runCommand(t, old); err == nil || !strings.HasPrefix(err.Error(), "config: ENCRYPTION_KEY: ") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("start with the old key after rekey: %v, want one line naming ENCRYPTION_KEY", err)
		}
	})
}

// accepts reports whether the server takes token.
func accepts(t *testing.T, s *testServer, token string) bool {
	t.Helper()
	return s.Do(t, token, `{ __typename }`, nil).Status == http.StatusOK
}

// mintWith runs `server token` with env.
func mintWith(t *testing.T, env map[string]string) string {
	t.Helper()
	out, err := runCommand(t, env, "token", "-role", "ADMIN")
	if err != nil {
		t.Fatalf("server token: %v", err)
	}
	return strings.TrimSpace(out)
}

// catFile is $(cat path): the file without its trailing newlines.
func catFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(b), "\n")
}

// TestAuthSecretFileIsTheVariable: a token minted with the generated
// DATA_DIR/auth_secret is accepted by a server given
// AUTH_SECRET=$(cat DATA_DIR/auth_secret), and the other way round. An
// auth_secret file of the earlier form (base64 of 32 bytes, which stood for
// those bytes) keeps the tokens it signed valid, and its text is the
// variable too.
func TestAuthSecretFileIsTheVariable(t *testing.T) {
	t.Parallel()
	t.Run("Generated", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		generated := startServer(t, map[string]string{"DATA_DIR": dir, "AUTH_SECRET": ""})
		fromFile := mintWith(t, map[string]string{"DATA_DIR": dir})
		secret := catFile(t, filepath.Join(dir, "auth_secret"))
		replica := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "AUTH_SECRET": secret})
		if !accepts(t, generated, fromFile) || !accepts(t, replica, fromFile) {
			t.Error("a token minted with the generated file is refused by a server given AUTH_SECRET=$(cat auth_secret)")
		}
		if !accepts(t, generated, mintWith(t, map[string]string{"DATA_DIR": t.TempDir(), "AUTH_SECRET": secret})) {
			t.Error("a token minted with AUTH_SECRET=$(cat auth_secret) is refused by the server using the file")
		}
	})
	t.Run("EarlierFile", func(t *testing.T) {
		t.Parallel()
		dir, raw := t.TempDir(), bytes.Repeat([]byte{9}, 32)
		if err := os.WriteFile(filepath.Join(dir, "auth_secret"), []byte(base64.StdEncoding.EncodeToString(raw)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		before, err := auth.NewTokens(raw).Mint(domain.Principal{Subject: "before", Role: domain.RoleAdmin}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		upgraded := startServer(t, map[string]string{"DATA_DIR": dir, "AUTH_SECRET": ""})
		if !accepts(t, upgraded, before) {
			t.Error("a token signed before the upgrade is refused")
		}
		replica := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "AUTH_SECRET": catFile(t, filepath.Join(dir, "auth_secret"))})
		if after := mintWith(t, map[string]string{"DATA_DIR": dir}); !accepts(t, replica, after) || !accepts(t, upgraded, after) {
			t.Error("a token minted with the earlier file is refused by a server given AUTH_SECRET=$(cat auth_secret)")
		}
	})
}

// TestAuthSecretPrevious: during a rotation, tokens signed with
// AUTH_SECRET_PREVIOUS are accepted and new tokens are signed with
// AUTH_SECRET; without the previous secret its tokens are refused.
func TestAuthSecretPrevious(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := "old-secret-old-secret-old-secret-old", "new-secret-new-secret-new-secret-new"
	mint := func(secret string) string {
		tok, err := auth.NewTokens([]byte(secret)).Mint(domain.Principal{Subject: "s", Role: domain.RoleAdmin}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	env := map[string]string{"DATA_DIR": t.TempDir(), "AUTH_SECRET": newSecret, "AUTH_SECRET_PREVIOUS": oldSecret}
	rotating := startServer(t, env)
	if !accepts(t, rotating, mint(oldSecret)) || !accepts(t, rotating, mint(newSecret)) {
		t.Error("during the rotation a token of the previous or the new secret is refused")
	}
	if accepts(t, rotating, mint("another-secret-another-secret-another")) {
		t.Error("a token of an unrelated secret is accepted")
	}
	if _, err := auth.NewTokens([]byte(newSecret)).Verify(mintWith(t, env)); err != nil {
		t.Errorf("server token during the rotation is not signed with AUTH_SECRET: %v", err)
	}
	rotated := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "AUTH_SECRET": newSecret})
	if accepts(t, rotated, mint(oldSecret)) {
		t.Error("after the rotation a token of the previous secret is accepted")
	}
}

// TestUnreadableTokenStopsCalls: a stored token no key opens (sealed with
// another key) turns the store CREDENTIALS_INVALID with one alert saying
// so; orders go to the dashboard at once, the periodic reconciliation and
// menu sync stop asking for the store and Lightspeed gets no call, until
// the store reconnects and the order is sent.
func TestUnreadableTokenStopsCalls(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		host := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
		key := map[string]string{"ENCRYPTION_KEY": encryptionKey(1)}
		s := startServer(t, hostedEnv(db, host, key))
		st, menu := enabledStore(t, s)
		s.Stop(t)
		c := st.credentials(t)
		other, _ := vault.New(bytes.Repeat([]byte{7}, 32))
		c.AccessToken = other.Seal("lost")
		if err := s.Storage(t).SaveConnection(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		sb := sandboxOf(t, host)
		sb.resetCalls()
		key["LIGHTSPEED_RECONCILE_INTERVAL"], key["MENU_SYNC_INTERVAL"] = "1s", "1s"
		st.s = startServer(t, hostedEnv(db, host, key))

		st.waitHealth(t, "CREDENTIALS_INVALID")
		id := st.shopperOrder(t, "LOST-1", "lost@example.com", anyItems(menu, 1), nil)
		if o := st.waitPos(t, id, "NOT_SENT"); path(o, "posSync", "errorCode") != "CREDENTIALS_INVALID" {
			t.Errorf("order errorCode %v, want CREDENTIALS_INVALID", path(o, "posSync", "errorCode"))
		}
		jobs := st.s.Storage(t).SQL()
		var mark int64
		if err := jobs.QueryRow(`SELECT coalesce(max(id), 0) FROM river_job`).Scan(&mark); err != nil {
			t.Fatal(err)
		}
		periodic := func() (n int) {
			q := `SELECT count(*) FROM river_job WHERE kind IN ('reconcile_all', 'menu_sync_all') AND state = 'completed' AND id > ` + str(mark)
			if err := jobs.QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		waitFor(t, "three more rounds of the periodic jobs", 60*time.Second, func() bool { return periodic() >= 6 })
		var asked, retrying int
		q := `SELECT count(*) FROM river_job WHERE kind IN ('reconcile_sales', 'menu_sync') AND id > ` + str(mark)
		if err := jobs.QueryRow(q).Scan(&asked); err != nil {
			t.Fatal(err)
		}
		if asked != 0 {
			t.Errorf("%d reconciliations or menu syncs asked for the store after its credentials turned invalid, want none", asked)
		}
		q = `SELECT count(*) FROM river_job WHERE kind IN ('reconcile_sales', 'menu_sync', 'apply_sale') AND state NOT IN ('completed', 'cancelled', 'discarded')`
		if err := jobs.QueryRow(q).Scan(&retrying); err != nil {
			t.Fatal(err)
		}
		if retrying != 0 {
			t.Errorf("%d jobs that failed on the unreadable token wait to be retried, want none", retrying)
		}
		if _, total := sb.calls(); total != 0 {
			t.Errorf("%d Lightspeed calls with unreadable credentials, want none", total)
		}
		if _, alerts := st.health(t); len(alerts) != 1 || path(alerts[0], "kind") != "CREDENTIALS_INVALID" {
			t.Fatalf("alerts %v, want one CREDENTIALS_INVALID", alerts)
		}
		msg := str(path(st.s.MustDo(t, st.Manager, `query($id: ID!) { alerts(storeId: $id) { message } }`, map[string]any{"id": st.ID}), "alerts", 0, "message"))
		if !strings.Contains(msg, "cannot be read") || !strings.Contains(msg, "reconnect") {
			t.Errorf("alert message %q does not say the stored credentials cannot be read and the store must reconnect", msg)
		}

		st.connectOAuth(t)
		st.waitHealth(t, "HEALTHY")
		st.waitPosWithin(t, id, "SENT", 60*time.Second)
	})
}
