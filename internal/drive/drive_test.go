package drive

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestGraphQLDo(t *testing.T) {
	answers := map[string]struct {
		status int
		body   string
	}{
		"ok":        {200, `{"data":{"n":7}}`},
		"graphql":   {200, `{"errors":[{"message":"no such store","extensions":{"code":"NOT_FOUND"}}],"data":null}`},
		"status":    {502, `{}`},
		"garbage":   {500, `<html>bad gateway</html>`},
		"anonymous": {401, `{"errors":[{"message":"unauthenticated"}]}`},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+r.URL.Query().Get("case") {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		a := answers[r.URL.Query().Get("case")]
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	defer srv.Close()
	do := func(c string) (int, error) {
		var data struct{ N int }
		g := GraphQL{URL: srv.URL + "/query?case=" + c, Token: c, HTTP: NewHTTPClient(1, 5*time.Second)}
		err := g.Do(context.Background(), "{ n }", nil, &data)
		return data.N, err
	}

	if n, err := do("ok"); err != nil || n != 7 {
		t.Errorf("ok: %d, %v", n, err)
	}
	var gerr *Error
	if _, err := do("graphql"); !errors.As(err, &gerr) || gerr.Code != "NOT_FOUND" || err.Error() != "status 200, NOT_FOUND: no such store" {
		t.Errorf("graphql error: %v", err)
	}
	if _, err := do("anonymous"); !errors.As(err, &gerr) || gerr.Status != 401 || gerr.Code != "" {
		t.Errorf("error without a code: %v", err)
	}
	if _, err := do("status"); err == nil || err.Error() != "status 502" {
		t.Errorf("status: %v", err)
	}
	if _, err := do("garbage"); err == nil || !strings.Contains(err.Error(), "undecodable body") || !strings.Contains(err.Error(), "bad gateway") {
		t.Errorf("garbage: %v", err)
	}
}

func TestSandboxCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, strings.Repeat("x", 1000), http.StatusConflict)
	}))
	defer srv.Close()
	code, err := Sandbox{URL: srv.URL, HTTP: srv.Client()}.StaffAction(context.Background(), "s1", "pack")
	if code != http.StatusConflict || err == nil || !strings.HasPrefix(err.Error(), "sandbox POST /demo/staff/sales/s1/pack: 409 xxx") || len(err.Error()) > 400 {
		t.Errorf("StaffAction = %d, %v", code, err)
	}
}

func TestTail(t *testing.T) {
	tl := NewTail(2)
	for _, l := range []string{"a", "b", "c"} {
		tl.Add(l)
	}
	if got := tl.String(); got != "b\nc" {
		t.Errorf("tail %q, want the last two lines", got)
	}
}
