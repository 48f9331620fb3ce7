package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/pos"
)

// badInputCase is a request the service must refuse as the caller's
// mistake: BAD_USER_INPUT, no data, a message mentioning want.
type badInputCase struct {
	query string
	vars  map[string]any
	want  string
}

// badInputCases are inputs that once reached the database or a scalar
// unmarshaller and came back INTERNAL (logged at ERROR): NUL bytes, which
// PostgreSQL refuses in text; a Time that is not RFC 3339; a search long
// enough to make SQLite's LIKE give up; and free text over its limit.
func badInputCases(f fixture) map[string]badInputCase {
	ordersQuery := `query($s: ID!, $f: OrderFilter) { orders(storeId: $s, filter: $f) { totalCount } }`
	order := func(change func(in map[string]any)) map[string]any {
		in := f.orderInput("L-BAD")
		change(in)
		return map[string]any{"input": in}
	}
	delivery := func(change func(a map[string]any)) map[string]any {
		return order(func(in map[string]any) {
			a := map[string]any{"line1": "1 Main St", "city": "Portland", "state": "OR", "postalCode": "97201", "country": "US"}
			change(a)
			in["fulfillmentMethod"], in["deliveryAddress"] = "DELIVERY", a
		})
	}
	notify := `mutation($in: NotificationSettingsInput!) { updateNotificationSettings(input: $in) { alertEmails } }`
	return map[string]badInputCase{
		"NULInVariable": {ordersQuery, map[string]any{"s": f.StoreID, "f": map[string]any{"search": "ada\x00"}}, "NUL"},
		"NULInLiteral":  {`{ order(id: "abc\u0000def") { id } }`, nil, "NUL"},
		"NULInNestedInput": {submitOrderMutation, order(func(in map[string]any) {
			in["customer"].(map[string]any)["firstName"] = "A\x00da"
		}), "NUL"},
		"NULInList": {notify, map[string]any{"in": map[string]any{"storeId": f.StoreID, "alertEmails": []any{"a\x00@example.com"}, "newOrderEmails": []any{}}}, "NUL"},
		"NULInListLiteral": {`mutation { updateNotificationSettings(input: {storeId: "` + f.StoreID +
			`", alertEmails: ["a\u0000@example.com"], newOrderEmails: []}) { alertEmails } }`, nil, "NUL"},
		"TimeInVariable": {ordersQuery, map[string]any{"s": f.StoreID, "f": map[string]any{"createdAfter": "yesterday"}}, "createdAfter"},
		"TimeInLiteral":  {`query($s: ID!) { orders(storeId: $s, filter: {createdBefore: "yesterday"}) { totalCount } }`, map[string]any{"s": f.StoreID}, "createdBefore"},
		"LongSearch":     {ordersQuery, map[string]any{"s": f.StoreID, "f": map[string]any{"search": strings.Repeat("%a_", 50_000/3)}}, "search"},
		"LongAddressLine2": {submitOrderMutation, delivery(func(a map[string]any) {
			a["line2"] = strings.Repeat("x", 201)
		}), "deliveryAddress.line2"},
		"LongEmail": {submitOrderMutation, order(func(in map[string]any) {
			in["customer"].(map[string]any)["email"] = strings.Repeat("a", 250) + "@example.com"
		}), "customer.email"},
		"TooManyAlertEmails": {notify, map[string]any{"in": map[string]any{"storeId": f.StoreID,
			"alertEmails": manyEmails(51), "newOrderEmails": []any{}}}, "alertEmails"},
		"LongPersonalToken": {`mutation($s: ID!, $t: String!) { connectLightspeedPersonalToken(storeId: $s, domainPrefix: "demo", token: $t) { enabled } }`,
			map[string]any{"s": f.StoreID, "t": strings.Repeat("t", 1001)}, "token must have"},
	}
}

func manyEmails(n int) []any {
	list := make([]any, n)
	for i := range list {
		list[i] = "staff" + strings.Repeat("x", i%5) + "@example.com"
	}
	return list
}

// TestBadInputIsRefused: input a caller got wrong is BAD_USER_INPUT naming
// what was wrong, on both databases, and nothing of it is logged as an
// error.
func TestBadInputIsRefused(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		for name, tc := range badInputCases(f) {
			t.Run(name, func(t *testing.T) {
				r := s.Do(t, f.Admin, tc.query, tc.vars)
				if r.Code() != "BAD_USER_INPUT" || hasData(r.Data) || !strings.Contains(r.Errors[0].Message, tc.want) {
					t.Errorf("answered %d %+v, want BAD_USER_INPUT mentioning %q and no data", r.Status, r.Errors, tc.want)
				}
			})
		}
		noErrorLogged(t, s)
	})
}

// TestIntrospectionOff: with introspection off, asking for the schema is
// refused as BAD_USER_INPUT (not INTERNAL, not logged as an error), and a
// misspelt field gets no "Did you mean" that would reveal the schema.
func TestIntrospectionOff(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		env := map[string]string{"GRAPHQL_INTROSPECTION": "false"}
		for k, v := range db.env {
			env[k] = v
		}
		s := startServer(t, env)
		admin := s.Token(t, "ADMIN")
		for name, q := range map[string]string{
			"Schema":         `{ __schema { queryType { name } } }`,
			"Type":           `{ __type(name: "Order") { fields { name } } }`,
			"InFragment":     `query { ...F } fragment F on Query { __schema { types { name } } }`,
			"InInlineSpread": `{ ... on Query { __type(name: "Store") { name } } }`,
		} {
			t.Run(name, func(t *testing.T) {
				r := s.Do(t, admin, q, nil)
				if r.Code() != "BAD_USER_INPUT" || hasData(r.Data) || !strings.Contains(r.Errors[0].Message, "ntrospection") {
					t.Errorf("answered %d %+v, want BAD_USER_INPUT saying introspection is off", r.Status, r.Errors)
				}
			})
		}
		t.Run("Typename", func(t *testing.T) {
			s.MustDo(t, admin, `{ __typename }`, nil)
		})
		for name, q := range map[string]string{
			"Field":      `{ ordr(id: "x") { id } }`,
			"Argument":   `{ order(idd: "x") { id } }`,
			"EnumValue":  `{ orders(storeId: "x", filter: {status: [PENDIN]}) { totalCount } }`,
			"InputField": `{ orders(storeId: "x", filter: {serch: "a"}) { totalCount } }`,
			"Type":       `query($f: OrderFiltr) { orders(storeId: "x", filter: $f) { totalCount } }`,
		} {
			t.Run("NoSuggestions/"+name, func(t *testing.T) {
				r := s.Do(t, admin, q, nil)
				if r.Code() != "BAD_USER_INPUT" || strings.Contains(fmt.Sprint(r.Errors), "Did you mean") {
					t.Errorf("answered %+v, want BAD_USER_INPUT with no suggestion", r.Errors)
				}
			})
		}
		noErrorLogged(t, s)
	})
}

// noErrorLogged fails when the server logged anything at ERROR.
func noErrorLogged(t *testing.T, s *testServer) {
	t.Helper()
	for _, line := range strings.Split(s.out.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("logged at ERROR: %s", line)
		}
	}
}

// consentCallback walks Lightspeed's consent screen and returns the
// callback URL it sends the browser to, without following it.
func consentCallback(t *testing.T, authorizeURL string) *url.URL {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == pos.OAuthCallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(authorizeURL)
	if err != nil {
		t.Fatalf("GET %s: %v", authorizeURL, err)
	}
	resp.Body.Close()
	cb, err := resp.Location()
	if err != nil || cb.Path != pos.OAuthCallbackPath {
		t.Fatalf("consent answered %d to %v (%v), want a redirect to the callback", resp.StatusCode, cb, err)
	}
	return cb
}

// TestOAuthCallbackBadQuery: a callback lacking its code or with a bad
// domain_prefix (a forged or mangled link) is refused without using up the
// state, so Lightspeed's real callback still connects; a callback with an
// error shows a fixed message, never the text the link carries.
func TestOAuthCallbackBadQuery(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		st := newLightspeedStore(t, s)
		callback := consentCallback(t, st.authorizeURL(t))
		with := func(change func(q url.Values)) string {
			u := *callback
			q := u.Query()
			change(q)
			u.RawQuery = q.Encode()
			return u.String()
		}
		const planted = "Call 1-800-555-0199 to restore access"
		for name, tc := range map[string]struct {
			link string
			want string
		}{
			"NoCode":          {with(func(q url.Values) { q.Del("code") }), "lacks"},
			"BadDomainPrefix": {with(func(q url.Values) { q.Set("domain_prefix", "evil.example/x") }), "lacks"},
			"PlantedError": {with(func(q url.Values) { q.Set("error", planted); q.Set("error_description", planted) }),
				"did not grant access"},
			"AccessDenied": {with(func(q url.Values) { q.Set("error", "access_denied"); q.Set("error_description", planted) }),
				"declined"},
		} {
			t.Run(name, func(t *testing.T) {
				status, page, _ := browse(t, tc.link)
				if status != http.StatusBadRequest || !strings.Contains(page, tc.want) || strings.Contains(page, "1-800") {
					t.Errorf("answered %d, want 400 saying %q and nothing the link planted:\n%s", status, tc.want, page)
				}
			})
		}
		t.Run("RealCallbackStillConnects", func(t *testing.T) {
			status, page, _ := browse(t, callback.String())
			if status != http.StatusOK || !strings.Contains(page, "Lightspeed connected") {
				t.Errorf("the real callback after the refused ones answered %d:\n%s", status, page)
			}
		})
		noErrorLogged(t, s)
	})
}

// post sends body to the server at p with the headers and returns the
// status and the answer.
func post(t *testing.T, s *testServer, p, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+p, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", p, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEdgesEchoNoSecrets: the webhook path's token is not logged (not even
// at debug), a token that cannot be one is an unknown connection (not a
// database error), and a body that is not JSON is refused with a coded
// message that quotes none of it, over POST and server-sent events, in the
// answer and in any log.
func TestEdgesEchoNoSecrets(t *testing.T) {
	t.Parallel()
	// gqlgen's SSE transport logs through the standard logger; the test
	// swaps its output, so it does not run in parallel.
	stdlog := &lockedBuffer{}
	log.SetOutput(lineWriter{stdlog})
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		admin := s.Token(t, "ADMIN")
		t.Run("WebhookToken", func(t *testing.T) {
			token := strings.TrimPrefix(canary("wh"), "wh")
			id := "webhook-token-" + db.name
			status, _ := post(t, s, pos.WebhookPath+token, "payload=%7B%7D", map[string]string{"X-Request-Id": id})
			if status != http.StatusNotFound {
				t.Errorf("an unknown webhook token answered %d, want 404", status)
			}
			waitFor(t, "the request to be logged", 5*time.Second, func() bool { return strings.Contains(s.out.String(), `"request_id":"`+id+`"`) })
			if strings.Contains(s.out.String(), token) {
				t.Errorf("the webhook token is in the log:\n%s", s.out)
			}
		})
		t.Run("WebhookTokenWithNUL", func(t *testing.T) {
			if status, _ := post(t, s, pos.WebhookPath+"ab%00cd", "payload=%7B%7D", nil); status != http.StatusNotFound {
				t.Errorf("a webhook token with a NUL answered %d, want 404", status)
			}
		})
		for name, accept := range map[string]string{"POST": "application/json", "SSE": "text/event-stream"} {
			t.Run("MalformedJSON/"+name, func(t *testing.T) {
				secret := canary("lsxs_pt_")
				status, answer := post(t, s, "/query", `{"query":"{ __typename }","variables":{"token":"`+secret+`"},}`,
					map[string]string{"Authorization": "Bearer " + admin, "Content-Type": "application/json", "Accept": accept})
				if status != http.StatusBadRequest || !strings.Contains(answer, `"BAD_USER_INPUT"`) || strings.Contains(answer, secret) ||
					strings.Contains(answer, "body:") {
					t.Errorf("answered %d %s, want 400, BAD_USER_INPUT and nothing of the body", status, answer)
				}
				if strings.Contains(s.out.String(), secret) || strings.Contains(stdlog.String(), secret) {
					t.Errorf("the body is in the log:\n%s%s", s.out, stdlog)
				}
			})
		}
		t.Run("MalformedJSON/GET", func(t *testing.T) {
			secret := canary("lsxs_pt_")
			q := url.Values{"query": {"{ __typename }"}, "variables": {`{"token":"` + secret + `",}`}}
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/query?"+q.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			r := doRequest(t, req)
			if r.Status != http.StatusBadRequest || r.Code() != "BAD_USER_INPUT" || strings.Contains(fmt.Sprint(r.Errors), secret) {
				t.Errorf("answered %d %+v, want 400 BAD_USER_INPUT quoting nothing", r.Status, r.Errors)
			}
		})
		noErrorLogged(t, s)
	})
}

// doRequest sends req and decodes its GraphQL answer.
func doRequest(t *testing.T, req *http.Request) gqlResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	out := gqlResponse{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode the answer (status %d): %v", resp.StatusCode, err)
	}
	return out
}

// lineWriter is an io.Writer into a lockedBuffer, for the standard logger
// (which writes whole lines).
type lineWriter struct{ b *lockedBuffer }

func (w lineWriter) Write(p []byte) (int, error) {
	w.b.WriteLine(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
