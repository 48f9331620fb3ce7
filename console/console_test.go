package console

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
)

// serve answers one request of the console's handler.
func serve(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, strings.NewReader(body)))
	return w
}

func TestServesItsFilesOnly(t *testing.T) {
	h := Handler(Options{})
	page := serve(h, http.MethodGet, "/", "")
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `<script type="module" src="console/app.js">`) ||
		!strings.HasPrefix(page.Header().Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("GET /: %d, CSP %q", page.Code, page.Header().Get("Content-Security-Policy"))
	}
	for _, c := range []struct {
		method, target string
		want           int
	}{
		{http.MethodGet, "/console/app.js", http.StatusOK},
		{http.MethodGet, "/console/style.css", http.StatusOK},
		{http.MethodGet, "/console/index.html", http.StatusNotFound}, // the page is at / only
		{http.MethodGet, "/console/nope.js", http.StatusNotFound},
		{http.MethodGet, "/console/..%2fconsole.go", http.StatusNotFound},
		{http.MethodPost, "/console/app.js", http.StatusMethodNotAllowed},
		{http.MethodPost, "/console/sign-in", http.StatusNotFound}, // not offered
		{http.MethodGet, "/console/sign-in", http.StatusNotFound},
		{http.MethodGet, "/other", http.StatusNotFound},
	} {
		if got := serve(h, c.method, c.target, "").Code; got != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.target, got, c.want)
		}
	}
	if js := serve(h, http.MethodGet, "/console/app.js", ""); !strings.HasPrefix(js.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("app.js served as %q", js.Header().Get("Content-Type"))
	}
}

func TestSignIn(t *testing.T) {
	var asked []domain.Role
	h := Handler(Options{SignIn: func(r domain.Role) (string, error) {
		asked = append(asked, r)
		if r == domain.RoleStoreStaff {
			return "", errors.New("no key")
		}
		return "token-" + string(r), nil
	}})
	if w := serve(h, http.MethodPost, "/console/sign-in", `{"role": "ADMIN"}`); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"token":"token-ADMIN"`) ||
		w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("sign-in as ADMIN: %d %s", w.Code, w.Body)
	}
	if w := serve(h, http.MethodPost, "/console/sign-in", `{"role": "STORE_STAFF"}`); w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "no key") {
		t.Errorf("a failed mint: %d %s, want 500 without its cause", w.Code, w.Body)
	}
	for _, body := range []string{`{"role": "MARKETPLACE"}`, `{}`, `[`, strings.Repeat(" ", 2048) + `{"role": "ADMIN"}`} {
		if w := serve(h, http.MethodPost, "/console/sign-in", body); w.Code != http.StatusBadRequest {
			t.Errorf("sign-in with %.40q: %d, want 400", body, w.Code)
		}
	}
	if len(asked) != 2 {
		t.Errorf("minted for %v, want ADMIN and STORE_STAFF only", asked)
	}
}
