package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// slowClientMargin is how long past HTTP_READ_TIMEOUT (1s in these tests) a
// slow client may keep its connection: generous, for a loaded machine, and
// still far below the 10s the headers alone could take before.
const slowClientMargin = 5 * time.Second

// TestSlowRequestsAreCutOff sends headers and then trickles the rest of the
// request, a byte every 200 ms: on every route the server answers or closes
// the connection within HTTP_READ_TIMEOUT, and /query says why with a
// coded GraphQL error.
func TestSlowRequestsAreCutOff(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "HTTP_READ_TIMEOUT": "1s"})
	addr := strings.TrimPrefix(s.URL, "http://")
	post := func(path, auth string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n" + auth + "\r\n{"
	}
	cases := map[string]struct {
		request    string
		wantStatus int // 0: the connection closes without an answer
		wantCode   string
	}{
		"QueryBody":        {post("/query", "Authorization: Bearer "+s.Token(t, "ADMIN")+"\r\n"), http.StatusRequestTimeout, "BAD_USER_INPUT"},
		"QueryBogusToken":  {post("/query", "Authorization: Bearer bogus\r\n"), http.StatusUnauthorized, "UNAUTHENTICATED"},
		"WebhookBody":      {post("/webhooks/lightspeed/some-token", ""), http.StatusRequestTimeout, ""},
		"SandboxBody":      {post("/sandbox/control/faults", ""), 0, ""},
		"QueryHeaders":     {"POST /query HTTP/1.1\r\nHost: x\r\nX-Slow: ", 0, ""},
		"HealthzHeaders":   {"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", 0, ""},
		"UnfinishedHeader": {"GET /healthz HTTP/1.1\r\n", 0, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp, elapsed := trickle(t, addr, c.request)
			if elapsed > time.Second+slowClientMargin {
				t.Fatalf("the connection stayed open %v, want closed within HTTP_READ_TIMEOUT (1s) + %v", elapsed, slowClientMargin)
			}
			if c.wantStatus == 0 {
				return
			}
			if resp == nil || resp.status != c.wantStatus {
				t.Fatalf("answer %+v, want status %d", resp, c.wantStatus)
			}
			if got := resp.code(); got != c.wantCode {
				t.Errorf("extensions.code %q, want %q (body %s)", got, c.wantCode, resp.body)
			}
		})
	}
}

// slowAnswer is what the server answered a slow client.
type slowAnswer struct {
	status int
	body   string
}

func (a *slowAnswer) code() string {
	var r gqlResponse
	_ = json.Unmarshal([]byte(a.body), &r)
	return r.Code()
}

// trickle sends start, then a byte every 200 ms until the server closes the
// connection; it returns the server's answer (nil when none) and how long
// the connection stayed open. It gives up, failing, after a minute.
func trickle(t *testing.T, addr, start string) (*slowAnswer, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	if _, err := io.WriteString(conn, start); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(began.Add(time.Minute))
	br := bufio.NewReader(conn)
	var answer *slowAnswer
	if resp, err := http.ReadResponse(br, nil); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer = &slowAnswer{resp.StatusCode, string(b)}
	}
	_, err = io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open after a minute (answer %+v)", answer)
	}
	return answer, time.Since(began)
}

// TestTransportRefusalsAreCodedAndLoggedAsJSON sends /query what gqlgen's
// transports refuse by themselves, to the real server process: each answer
// is one JSON body whose every error has extensions.code, with a fitting
// status, and nothing the process prints meanwhile, on stdout or stderr, is
// anything but a JSON line.
func TestTransportRefusalsAreCodedAndLoggedAsJSON(t *testing.T) {
	t.Parallel()
	s := startProcess(t, map[string]string{"DATA_DIR": t.TempDir(), "LOG_LEVEL": "debug"})
	admin := "Bearer " + s.Token(t, "ADMIN")
	mutation := url.QueryEscape(`mutation { createStore(input: {name: "G", timeZone: "UTC", pickupEnabled: true, deliveryEnabled: true, advertisingSubscriptionActive: true}) { id } }`)
	upgrade := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	cases := []struct {
		name, method, query string
		header              map[string]string
		body                string
		status              int
		code                string
	}{
		{"TextPlain", http.MethodPost, "", map[string]string{"Content-Type": "text/plain"}, `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType, "BAD_USER_INPUT"},
		{"FormBody", http.MethodPost, "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "query=x", http.StatusUnsupportedMediaType, "BAD_USER_INPUT"},
		{"NoContentType", http.MethodPost, "", nil, `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType, "BAD_USER_INPUT"},
		{"PUT", http.MethodPut, "", map[string]string{"Content-Type": "application/json"}, `{"query":"{ __typename }"}`, http.StatusMethodNotAllowed, "BAD_USER_INPUT"},
		{"MutationOverGET", http.MethodGet, "query=" + mutation, nil, "", http.StatusMethodNotAllowed, "BAD_USER_INPUT"},
		{"UndecodableVariables", http.MethodGet, "query=%7B__typename%7D&variables=%7Bnope", nil, "", http.StatusBadRequest, "BAD_USER_INPUT"},
		{"VariablesNotAnObject", http.MethodGet, "query=%7B__typename%7D&variables=%5B1%5D", nil, "", http.StatusBadRequest, "BAD_USER_INPUT"},
		{"UndecodableExtensions", http.MethodGet, "query=%7B__typename%7D&extensions=x", nil, "", http.StatusBadRequest, "BAD_USER_INPUT"},
		{"BadQueryString", http.MethodGet, "query=%zz", nil, "", http.StatusBadRequest, "BAD_USER_INPUT"},
		{"UpgradeFromForeignOrigin", http.MethodGet, "", withHeader(upgrade, "Origin", "https://evil.example"), "", http.StatusForbidden, "FORBIDDEN"},
		{"UpgradeWithoutKey", http.MethodGet, "", withHeader(upgrade, "Sec-WebSocket-Key", ""), "", http.StatusBadRequest, "BAD_USER_INPUT"},
		{"UpgradeWithoutConnection", http.MethodGet, "", withHeader(upgrade, "Connection", ""), "", http.StatusBadRequest, "BAD_USER_INPUT"},
		{"UpgradeOverPOST", http.MethodPost, "", upgrade, "", http.StatusMethodNotAllowed, "BAD_USER_INPUT"},
		{"UpgradeToSomethingElse", http.MethodGet, "", withHeader(upgrade, "Upgrade", "h2c"), "", http.StatusBadRequest, "BAD_USER_INPUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, s.URL+"/query?"+c.query, strings.NewReader(c.body))
			req.Header.Set("Authorization", admin)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			status, errs := refusedWith(t, req)
			if status != c.status {
				t.Errorf("status %d, want %d", status, c.status)
			}
			for _, e := range errs {
				if e.Extensions["code"] != c.code {
					t.Errorf("error %q has code %v, want %s", e.Message, e.Extensions["code"], c.code)
				}
			}
		})
	}
	logged := s.out.String()
	_, after, _ := strings.Cut(logged, `"msg":"listening"`)
	for _, line := range strings.Split(after, "\n")[1:] {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("the server printed a line that is not JSON: %q", line)
		}
	}
}

// refusedWith sends req and returns the status and the errors of its one JSON
// body (which must hold at least one error and nothing after it).
func refusedWith(t *testing.T, req *http.Request) (int, []struct {
	Message    string
	Extensions map[string]any
}) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	dec := json.NewDecoder(bytes.NewReader(body))
	var r struct {
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := dec.Decode(&r); err != nil || len(r.Errors) == 0 {
		t.Fatalf("status %d, body %q: want a JSON body with errors", resp.StatusCode, body)
	}
	if dec.More() {
		t.Errorf("status %d, body %q: more after the first JSON value", resp.StatusCode, body)
	}
	return resp.StatusCode, r.Errors
}

// withHeader returns a copy of h with name set to value (removed when empty).
func withHeader(h map[string]string, name, value string) map[string]string {
	c := maps.Clone(h)
	delete(c, name)
	if value != "" {
		c[name] = value
	}
	return c
}
