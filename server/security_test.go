package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/sandbox"
)

// Security checks, end to end on the real program: websockets without
// connection_init or with a bad token, limits the HTTP tests do not reach,
// refused bodies kept out of the log, and a scan of the database and the log
// after a full Lightspeed run for tokens in plain text. The rest is
// elsewhere: the operation × role × foreign store matrix (TestAccessMatrix,
// TestAccessMatrixCoversSchema, TestSubscriptionAccess), every field for
// every role (graph's TestFieldAccessTable, TestMarketplaceReadsNoStore,
// TestResubmitDisclosesNoShopper), bearer tokens over
// HTTP (TestHTTPAuthentication), body size, depth, complexity and GET
// mutations (TestRequestLimits), OAuth state replay and forgery
// (TestConnectOAuth).

// wsInitTimeout is the server's connection_init deadline (handler.go).
const wsInitTimeout = 5 * time.Second

// badTokens are bearer tokens the service must refuse, each with the
// Authorization value a client would send.
func badTokens(t *testing.T) map[string]string {
	t.Helper()
	now := time.Now()
	sign := func(key string, method jwt.SigningMethod, c jwt.MapClaims) string {
		t.Helper()
		k := any([]byte(key))
		if method == jwt.SigningMethodNone {
			k = jwt.UnsafeAllowNoneSignatureType
		}
		tok, err := jwt.NewWithClaims(method, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	valid := jwt.MapClaims{"sub": "x", "role": "ADMIN", "exp": now.Add(time.Hour).Unix()}
	return map[string]string{
		"Missing":     "",
		"Garbage":     "Bearer not-a-jwt",
		"OtherKey":    sign("another-key-another-key-another-key", jwt.SigningMethodHS256, valid),
		"AlgNone":     sign("", jwt.SigningMethodNone, valid),
		"HS512":       sign(testSecret, jwt.SigningMethodHS512, valid),
		"Expired":     sign(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "role": "ADMIN", "exp": now.Add(-time.Hour).Unix()}),
		"NoExp":       sign(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "role": "ADMIN"}),
		"UnknownRole": sign(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "role": "ROOT", "exp": now.Add(time.Hour).Unix()}),
	}
}

// dialRaw opens a websocket with the subprotocol and sends nothing.
func dialRaw(t testing.TB, s *testServer, subprotocol string) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{subprotocol}, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/query", nil)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	t.Cleanup(func() { conn.Close() })
	if got := conn.Subprotocol(); got != subprotocol {
		t.Fatalf("negotiated subprotocol %q, want %q", got, subprotocol)
	}
	return &wsClient{t: t, conn: conn}
}

// closed reads until the server closes the socket, within d, and returns
// the close frame and the messages (keep-alives aside) sent before it.
func (c *wsClient) closed(d time.Duration) (*websocket.CloseError, []wsMessage) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	var msgs []wsMessage
	for {
		var m wsMessage
		err := c.conn.ReadJSON(&m)
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				c.t.Fatalf("the socket ended with %v (after %v), want a close frame", err, msgs)
			}
			return ce, msgs
		}
		if m.Type != "ka" {
			msgs = append(msgs, m)
		}
	}
}

// initMessage is connection_init with authorization as its Authorization.
func initMessage(authorization string) wsMessage {
	p := map[string]string{}
	if authorization != "" {
		p["Authorization"] = authorization
	}
	b, _ := json.Marshal(p)
	return wsMessage{Type: "connection_init", Payload: b}
}

// TestWebsocketInitTimeout: a socket that never sends connection_init is
// closed by the server once its init timeout passes, with the close code
// of its protocol: graphql-transport-ws defines 4408; the legacy graphql-ws
// defines none and gets 1002 (protocol error) with the reason.
func TestWebsocketInitTimeout(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	for _, tc := range []struct {
		subprotocol string
		code        int
		reason      string
	}{
		{"graphql-transport-ws", 4408, "Connection initialisation timeout"},
		{"graphql-ws", websocket.CloseProtocolError, "connection initialisation timeout"},
	} {
		t.Run(tc.subprotocol, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			c := dialRaw(t, s, tc.subprotocol)
			ce, msgs := c.closed(wsInitTimeout + 5*time.Second)
			took := time.Since(start)
			if ce.Code != tc.code || ce.Text != tc.reason {
				t.Errorf("closed with %d %q, want %d %q", ce.Code, ce.Text, tc.code, tc.reason)
			}
			if took < wsInitTimeout-100*time.Millisecond {
				t.Errorf("closed after %v, before the init timeout of %v", took, wsInitTimeout)
			}
			if len(msgs) > 0 {
				t.Errorf("the server sent %v before closing, want nothing", msgs)
			}
			t.Logf("closed after %v", took.Round(time.Millisecond))
		})
	}
}

// TestWebsocketSubscribeBeforeInit: an operation sent before
// connection_init runs nothing. graphql-transport-ws closes with 4401
// Unauthorized; the legacy graphql-ws answers connection_error and closes.
func TestWebsocketSubscribeBeforeInit(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	payload, _ := json.Marshal(map[string]any{"query": statusSubscription, "variables": map[string]any{"s": f.StoreID}})

	t.Run("graphql-transport-ws", func(t *testing.T) {
		c := dialRaw(t, s, "graphql-transport-ws")
		c.send(wsMessage{ID: "1", Type: "subscribe", Payload: payload})
		ce, msgs := c.closed(5 * time.Second)
		if ce.Code != 4401 || ce.Text != "Unauthorized" {
			t.Errorf("closed with %d %q, want 4401 \"Unauthorized\"", ce.Code, ce.Text)
		}
		if len(msgs) > 0 {
			t.Errorf("the server sent %v before closing, want nothing", msgs)
		}
	})
	t.Run("graphql-ws", func(t *testing.T) {
		c := dialRaw(t, s, "graphql-ws")
		c.send(wsMessage{ID: "1", Type: "start", Payload: payload})
		ce, msgs := c.closed(5 * time.Second)
		if len(msgs) != 1 || msgs[0].Type != "connection_error" {
			t.Errorf("the server sent %v, want one connection_error", msgs)
		}
		if ce.Code == websocket.CloseNormalClosure || ce.Text == "" {
			t.Errorf("closed with %d %q, want an error code and a reason", ce.Code, ce.Text)
		}
	})
	// Neither socket holds a subscription.
	subscribed(t, s, 0)
}

// TestWebsocketBadToken: connection_init with a missing, forged, expired,
// other-key or alg-none token is refused on both subprotocols, with close
// code 4403 and a reason (after connection_error on the legacy protocol),
// and never acknowledged; the same socket with a valid token is.
func TestWebsocketBadToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	const reason = "Forbidden: a valid bearer token is required in connection_init"
	for _, subprotocol := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(subprotocol, func(t *testing.T) {
			for name, authorization := range badTokens(t) {
				t.Run(name, func(t *testing.T) {
					c := dialRaw(t, s, subprotocol)
					c.send(initMessage(authorization))
					ce, msgs := c.closed(5 * time.Second)
					if ce.Code != 4403 || ce.Text != reason {
						t.Errorf("closed with %d %q, want 4403 %q", ce.Code, ce.Text, reason)
					}
					switch {
					case subprotocol == "graphql-ws" && (len(msgs) != 1 || msgs[0].Type != "connection_error" ||
						!strings.Contains(string(msgs[0].Payload), "bearer token")):
						t.Errorf("the server sent %v, want one connection_error about the bearer token", msgs)
					case subprotocol == "graphql-transport-ws" && len(msgs) > 0:
						t.Errorf("the server sent %v before closing, want nothing", msgs)
					}
				})
			}
			t.Run("Valid", func(t *testing.T) {
				c := dialRaw(t, s, subprotocol)
				c.send(initMessage("Bearer " + s.Token(t, "ADMIN")))
				c.expect("connection_ack")
			})
		})
	}
}

// secretScan looks for secrets, in plain text and in the encodings a careless
// write could use (hex, base64), in database values and log output.
type secretScan struct {
	secrets map[string]string // secret → what it is
	hits    map[string][]string
}

func newSecretScan() *secretScan {
	return &secretScan{secrets: map[string]string{}, hits: map[string][]string{}}
}

func (sc *secretScan) add(secret, what string) {
	if secret == "" {
		return
	}
	if old, ok := sc.secrets[secret]; ok && old != what {
		what = old + ", " + what
	}
	sc.secrets[secret] = what
}

// scan records, for every secret found in b, that where holds it.
func (sc *secretScan) scan(where string, b []byte) {
	for secret := range sc.secrets {
		// Base64 of the whole 3-byte groups: the same wherever padding falls.
		whole := []byte(secret[:len(secret)/3*3])
		for _, form := range []string{secret, hex.EncodeToString([]byte(secret)),
			base64.RawStdEncoding.EncodeToString(whole), base64.RawURLEncoding.EncodeToString(whole)} {
			if bytes.Contains(b, []byte(form)) {
				if !slices.Contains(sc.hits[secret], where) {
					sc.hits[secret] = append(sc.hits[secret], where)
				}
				break
			}
		}
	}
}

// dumpTables returns every value of every table of the database, by
// "table.column" (the "schema.table.column" on PostgreSQL): every column is
// read as bytes, whatever its type.
func dumpTables(t *testing.T, db *sql.DB, postgres bool) map[string][]byte {
	t.Helper()
	list := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if postgres {
		list = `SELECT '"' || table_schema || '"."' || table_name || '"' FROM information_schema.tables
			WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`
	}
	rows, err := db.Query(list)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !postgres {
			name = `"` + name + `"`
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatalf("read table %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		name := strings.ReplaceAll(table, `"`, "")
		for _, c := range cols {
			out[name+"."+c] = append(out[name+"."+c], 0) // the column exists, even empty
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("read table %s: %v", table, err)
			}
			for i, c := range cols {
				out[name+"."+c] = append(append(out[name+"."+c], vals[i]...), '\n')
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("read table %s: %v", table, err)
		}
	}
	return out
}

// expireToken makes the store's stored OAuth access token due for renewal,
// as time would: the next Lightspeed call for the store renews it.
func expireToken(t *testing.T, s *testServer, storeID string) {
	t.Helper()
	db := s.Storage(t)
	q := `UPDATE lightspeed_connections SET expires_at = ? WHERE store_id = ?`
	if db.Postgres() {
		q = `UPDATE lightspeed_connections SET expires_at = $1 WHERE store_id = $2`
	}
	res, err := db.SQL().Exec(q, time.Now().Add(-time.Minute).UTC(), storeID)
	if err != nil {
		t.Fatalf("expire the stored token: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("expire the stored token: %d rows changed, want 1", n)
	}
}

// canary returns a random value shaped like a sandbox token.
func canary(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// TestNoLightspeedTokenAtRest runs a store through everything that handles
// Lightspeed credentials, on both databases: a personal token, OAuth, a
// renewal that rotates the tokens, menu syncs, enabling (webhook), orders
// sent as sales, a status coming back by webhook, revoked credentials and a
// reconnection. It collects every token Lightspeed issued (opened from the
// stored credentials, counted against the sandbox's token endpoint), then
// reads every column of every table (River's included), the SQLite files
// themselves, and the server's whole log output: no token, authorization
// code, client secret or key may appear in plain text (or hex, or base64).
// Canaries written where plain text is expected (a store name, a request id
// in the log) prove the scan finds what is there.
func TestNoLightspeedTokenAtRest(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		sb.resetCalls()
		sc := newSecretScan()
		sc.add(sandboxClientSecret, "the Lightspeed client secret")
		sc.add(base64.StdEncoding.EncodeToString(testEncryptionKey), "ENCRYPTION_KEY")
		sc.add(testSecret, "AUTH_SECRET")

		st := newLightspeedStore(t, s)
		s.MustDo(t, st.Admin, `mutation($id: ID!) { updateStore(input: {id: $id, deliveryEnabled: true}) { id } }`, map[string]any{"id": st.ID})

		// The personal token, stored sealed, then replaced by OAuth.
		st.connectPersonalToken(t)
		if got := openToken(t, st.credentials(t).AccessToken); got != sandbox.DemoPersonalToken {
			t.Fatalf("stored personal token opens to %q", got)
		}
		sc.add(sandbox.DemoPersonalToken, "the personal token")
		st.syncMenu(t)

		issued := 0 // token pairs captured from the stored credentials
		capture := func(when string) (access, refresh string) {
			t.Helper()
			c := st.credentials(t)
			if c.RefreshToken == nil {
				t.Fatalf("%s: no refresh token stored", when)
			}
			access, refresh = openToken(t, c.AccessToken), openToken(t, *c.RefreshToken)
			if !strings.HasPrefix(access, "lsxs_at_") || !strings.HasPrefix(refresh, "lsxs_rt_") {
				t.Fatalf("%s: stored tokens open to %q and %q, want sandbox OAuth tokens", when, access, refresh)
			}
			if _, seen := sc.secrets[access]; !seen {
				issued++
			}
			sc.add(access, when+" access token")
			sc.add(refresh, when+" refresh token")
			return access, refresh
		}
		connect := func(when string) {
			t.Helper()
			callback := st.connectOAuth(t)
			sc.add(callback.Query().Get("code"), when+" authorization code")
			capture(when)
		}

		// OAuth, set-up, enabling (subscribes the webhook).
		connect("first OAuth")
		st.syncMenu(t)
		in := map[string]any{"storeId": st.ID}
		for k, v := range demoSettings(t, sb) {
			in[k] = v
		}
		s.MustDo(t, st.Manager, configureMutation, map[string]any{"input": in})
		s.MustDo(t, st.Manager, enableIntegration, map[string]any{"id": st.ID})
		menu := st.menu(t)

		// An order becomes a sale; staff pack it in Lightspeed and the
		// webhook brings READY back.
		first := st.shopperOrder(t, "SCAN-1", "scan-1@example.com", anyItems(menu, 2), nil)
		sale := str(path(st.waitPos(t, first, "SENT"), "posSync", "saleId"))
		sb.staff(sale, "pack")
		st.waitStatus(t, first, "READY")

		// The access token is due: the next call renews it, rotating both.
		a1, r1 := capture("first OAuth")
		expireToken(t, s, st.ID)
		st.syncMenu(t)
		a2, r2 := capture("renewed")
		if a2 == a1 || r2 == r1 {
			t.Fatalf("no renewal: the stored tokens did not change")
		}
		second := st.shopperOrder(t, "SCAN-2", "scan-2@example.com", anyItems(menu, 1), map[string]any{
			"line1": "1 Main St", "city": "Portland", "state": "OR", "postalCode": "97201", "country": "US"})
		st.waitPos(t, second, "SENT")

		// Lightspeed revokes every token: calls fail as credentials (the
		// menu sync's error, an order not sent, the store's health), then
		// the manager reconnects.
		before, _ := sb.calls()
		sb.must(http.MethodPost, "/control/faults", "", map[string]any{"domain_prefix": sandbox.DemoPrefix, "revoke": true})
		if got := st.syncMenu(t); got["lastError"] == nil {
			t.Fatalf("menu sync with revoked tokens: %v, want a lastError", got)
		}
		refused := st.shopperOrder(t, "SCAN-REVOKED", "scan-revoked@example.com", anyItems(menu, 1), nil)
		st.waitPos(t, refused, "NOT_SENT")
		health := func() any {
			return path(s.MustDo(t, st.Manager, `query($id: ID!) { store(id: $id) { orderIntegration { health } } }`,
				map[string]any{"id": st.ID}), "store", "orderIntegration", "health")
		}
		waitFor(t, "health CREDENTIALS_INVALID", 20*time.Second, func() bool { return health() == "CREDENTIALS_INVALID" })
		connect("reconnected")
		waitFor(t, "health HEALTHY", 20*time.Second, func() bool { return health() == "HEALTHY" })
		// While every token was revoked, refreshes were tried and refused:
		// they issued nothing. Reconnecting is one code exchange.
		reconnected, _ := sb.calls()
		refusedRefreshes := reconnected["POST /token"] - before["POST /token"] - 1
		third := st.shopperOrder(t, "SCAN-3", "scan-3@example.com", anyItems(menu, 1), nil)
		st.waitPos(t, third, "SENT")
		s.MustDo(t, st.Manager, disableMutation, map[string]any{"id": st.ID})

		// Every token the sandbox issued is known: one pair per call of its
		// token endpoint (code exchanges and the renewal).
		calls, _ := sb.calls()
		if calls["POST /token"]-refusedRefreshes != issued || issued != 3 {
			t.Fatalf("the token endpoint answered %d calls (%d refused refreshes) and %d token pairs were captured, want 3 of each (%v)",
				calls["POST /token"], refusedRefreshes, issued, calls)
		}

		// Canaries: plain text where the scan must find it.
		dbCanary, logCanary := canary("lsxs_at_"), canary("lsxs_rt_")
		s.MustDo(t, st.Admin, `mutation($id: ID!, $name: String!) { updateStore(input: {id: $id, name: $name}) { id } }`,
			map[string]any{"id": st.ID, "name": dbCanary})
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+st.Admin)
		req.Header.Set("X-Request-Id", logCanary)
		if resp, err := http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		} else {
			resp.Body.Close()
		}
		sealed := st.credentials(t).AccessToken

		s.Stop(t)
		sc.add(dbCanary, "the database canary")
		sc.add(logCanary, "the log canary")
		sc.add(sealed, "the sealed access token")

		// The database, every table and column.
		var conn *sql.DB
		if db.name == "sqlite" {
			file := filepath.Join(db.env["DATA_DIR"], "orders.db")
			files, _ := filepath.Glob(file + "*")
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				sc.scan("file "+filepath.Base(f), b)
			}
			c, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conn = c
		} else {
			conn = s.Storage(t).SQL()
		}
		columns := dumpTables(t, conn, db.name == "postgres")
		var tables []string
		for col, values := range columns {
			sc.scan("column "+col, values)
			table := col[:strings.LastIndex(col, ".")]
			if !slices.Contains(tables, table) {
				tables = append(tables, table)
			}
		}
		// The server's whole output.
		logs := s.out.String()
		sc.scan("the server log", []byte(logs))

		t.Logf("scanned %d tables, %d columns, %d log bytes for %d secrets", len(tables), len(columns), len(logs), len(sc.secrets))
		for _, want := range []string{"lightspeed_connections", "oauth_states", "stores", "orders", "river_job"} {
			found := false
			for _, table := range tables {
				found = found || table == want || strings.HasSuffix(table, "."+want)
			}
			if !found {
				t.Errorf("the scan did not read table %s (tables %v)", want, tables)
			}
		}

		// The scan finds what is there...
		has := func(secret, where string) bool {
			return slices.ContainsFunc(sc.hits[secret], func(h string) bool { return strings.Contains(h, where) })
		}
		if !has(dbCanary, "stores.name") || !has(logCanary, "the server log") {
			t.Errorf("the scan missed a canary: %v", sc.hits)
		}
		if !has(sealed, "lightspeed_connections.access_token") {
			t.Errorf("the scan did not see the sealed access token in lightspeed_connections.access_token: %v", sc.hits[sealed])
		}
		if db.name == "sqlite" && !has(dbCanary, "file orders.db") {
			t.Errorf("the scan of the SQLite files missed the database canary: %v", sc.hits[dbCanary])
		}
		// ...and no secret is anywhere.
		for secret, where := range sc.hits {
			if secret == dbCanary || secret == logCanary || secret == sealed {
				continue
			}
			t.Errorf("%s is in plain text in %s", sc.secrets[secret], strings.Join(where, ", "))
		}
	})
}

// TestOversizedAndCostlyRequests adds what TestRequestLimits does not
// cover: a query over the parser's token limit, a websocket message over
// 64 KiB, and the depth and complexity limits on operations sent over
// websockets (a body over 1 MiB without Content-Length is in
// TestRefusedBodiesAreNotLogged).
func TestOversizedAndCostlyRequests(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	admin := s.Token(t, "ADMIN")

	t.Run("ParserTokens", func(t *testing.T) {
		q := "{ " + strings.Repeat("__typename ", 16_000) + "}"
		if r := s.Do(t, admin, q, nil); r.Code() != "BAD_USER_INPUT" || hasData(r.Data) {
			t.Errorf("a query of 16,000 tokens: code %q %+v, want BAD_USER_INPUT", r.Code(), r.Errors)
		}
	})

	for _, sub := range []struct{ protocol, start string }{{"graphql-transport-ws", "subscribe"}, {"graphql-ws", "start"}} {
		t.Run("WebsocketMessage/"+sub.protocol, func(t *testing.T) {
			c := dialWS(t, s, sub.protocol, f.Staff)
			c.expect("connection_ack")
			payload, _ := json.Marshal(map[string]any{"query": statusSubscription,
				"variables": map[string]any{"s": f.StoreID, "pad": strings.Repeat("x", 65<<10)}})
			c.send(wsMessage{ID: "1", Type: sub.start, Payload: payload})
			if ce, msgs := c.closed(5 * time.Second); ce.Code != websocket.CloseMessageTooBig || len(msgs) > 0 {
				t.Errorf("a 65 KiB message: close %d %q after %v, want 1009 and nothing else", ce.Code, ce.Text, msgs)
			}
		})
		// The limits hold for operations sent over websockets too.
		for name, limit := range map[string]struct{ query, mention string }{
			"TooDeep":    {tooDeepQuery, "deeper"},
			"TooComplex": {tooComplexQuery(), "complexity"},
		} {
			t.Run(name+"OverWebsocket/"+sub.protocol, func(t *testing.T) {
				c := dialWS(t, s, sub.protocol, admin)
				c.expect("connection_ack")
				payload, _ := json.Marshal(map[string]any{"query": limit.query, "variables": map[string]any{"s": f.StoreID}})
				c.send(wsMessage{ID: "1", Type: sub.start, Payload: payload})
				m, err := c.read()
				if err != nil {
					t.Fatalf("waiting for the refusal: %v", err)
				}
				p := string(m.Payload)
				if m.Type == "complete" || !strings.Contains(p, `"BAD_USER_INPUT"`) || !strings.Contains(strings.ToLower(p), limit.mention) ||
					strings.Contains(p, `"data":{`) {
					t.Errorf("got %s %s, want a BAD_USER_INPUT error about %s and no data", m.Type, p, limit.mention)
				}
			})
		}
	}
}

// tooDeepQuery is 13 levels deep, one more than the depth limit.
const tooDeepQuery = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } } }"

// tooComplexQuery asks for 12 pages of 100 orders with their details: over
// the complexity limit, under the parser's.
func tooComplexQuery() string {
	page := `orders(storeId: $s, first: 100) { edges { node { lines { name } statusHistory { status } store { name } customer { email } } } }`
	var b strings.Builder
	b.WriteString("query($s: ID!) {")
	for i := range 12 {
		b.WriteString(" a" + string(rune('a'+i)) + ": " + page)
	}
	b.WriteString(" }")
	return b.String()
}

// TestRefusedBodiesAreNotLogged: a request the transport cannot read (JSON
// it cannot decode, a body over the limit) is the caller's mistake, answered
// BAD_USER_INPUT, and its body, which may carry a Lightspeed token, is not
// logged.
func TestRefusedBodiesAreNotLogged(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	for name, tc := range map[string]struct {
		body    func(secret string) string
		chunked bool
	}{
		"MalformedJSON": {body: func(secret string) string {
			return `{"query":"mutation { connectLightspeedPersonalToken(storeId: \"` + f.StoreID + `\", domainPrefix: \"demo\", token: \"` + secret + `\") { enabled } }",}`
		}},
		"ChunkedOverLimit": {chunked: true, body: func(secret string) string {
			return `{"query":"{ __typename }","variables":{"token":"` + secret + `","pad":"` + strings.Repeat("x", 2<<20) + `"}}`
		}},
	} {
		t.Run(name, func(t *testing.T) {
			secret := canary("lsxs_pt_")
			var body io.Reader = strings.NewReader(tc.body(secret))
			if tc.chunked {
				body = io.MultiReader(body) // unknown length: sent chunked
			}
			id := "refused-" + name
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", body)
			req.Header.Set("Authorization", "Bearer "+f.Manager)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Request-Id", id)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var r gqlResponse
			err = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if err != nil || r.Code() != "BAD_USER_INPUT" || hasData(r.Data) {
				t.Errorf("answered %d %+v (%v), want BAD_USER_INPUT", resp.StatusCode, r.Errors, err)
			}
			waitFor(t, "the request to be logged", 5*time.Second, func() bool { return strings.Contains(s.out.String(), `"request_id":"`+id+`"`) })
			if logs := s.out.String(); strings.Contains(logs, secret) {
				t.Errorf("the refused body's token is in the log:\n%s", logs)
			}
		})
	}
}
