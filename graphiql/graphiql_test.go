package graphiql_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/graphiql"
)

// TestHandler checks the page, under its Content Security Policy, and that
// every file it refers to (relative to the page's URL) is served with its
// type and revalidates with its ETag; anything else is 404.
func TestHandler(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	ide := http.StripPrefix("/graphiql", graphiql.Handler())
	mux.Handle("GET /graphiql", ide)
	mux.Handle("GET /graphiql/{file}", ide)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	page, body := get(t, srv.URL+"/graphiql", nil)
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: status %d, type %q", page.StatusCode, page.Header.Get("Content-Type"))
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) != 6 {
		t.Errorf("the page refers to %d files, want 6 (two stylesheets, four scripts)", len(refs))
	}
	base, _ := url.Parse(srv.URL + "/graphiql")
	for _, ref := range refs {
		u, _ := base.Parse(ref[1])
		resp, _ := get(t, u.String(), nil)
		want := "text/javascript"
		if strings.HasSuffix(u.Path, ".css") {
			want = "text/css"
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) {
			t.Errorf("%s: status %d, type %q, want 200 %s", u.Path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
			continue
		}
		again, _ := get(t, u.String(), map[string]string{"If-None-Match": resp.Header.Get("ETag")})
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("%s again with its ETag: status %d, want 304", u.Path, again.StatusCode)
		}
	}
	for _, path := range []string{"/graphiql/LICENSE-graphiql.txt", "/graphiql/LICENSE-react.txt"} {
		if resp, _ := get(t, srv.URL+path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, want 200", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/graphiql/", "/graphiql/missing.js", "/graphiql/static", "/graphiql/page.html", "/graphiql/..%2fgraphiql.go"} {
		if resp, _ := get(t, srv.URL+path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, resp.StatusCode)
		}
	}
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp, b.String()
}
