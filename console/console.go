// Package console serves the Biz console: the pages a dispensary manager,
// staff or Leafly support use to set up the Lightspeed integration and run
// the live order dashboard, entirely from files embedded in the binary
// (plain ES modules, no build step, no CDN). The pages talk to the service
// through its public GraphQL API only, like any other client.
package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"

	"github.com/leafly/lightspeed-orders/domain"
)

//go:embed static
var embedded embed.FS

// contentSecurityPolicy lets the pages load only their own files and talk
// only to their own origin (HTTP and websockets).
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Options says what the console offers beyond the API.
type Options struct {
	// SignIn mints a token for one of the sign-in roles (ADMIN, or
	// STORE_MANAGER or STORE_STAFF of DemoStore); nil leaves out one-click
	// sign-in and its endpoint: only the embedded default has it.
	SignIn func(role domain.Role) (string, error)
	// DemoStore is the store the sandbox demo sets up, "" without one.
	DemoStore string
	// Sandbox is true when the service serves its Lightspeed sandbox at
	// /sandbox: the console then shows its staff panel.
	Sandbox bool
}

// Handler serves the console: the page at "/", its files at
// "/console/<name>", what it offers at "/console/setup" and, with
// Options.SignIn, one-click sign-in at POST "/console/sign-in".
func Handler(o Options) http.Handler {
	static, _ := fs.Sub(embedded, "static") // fails only on a malformed name
	files := names(static)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		http.ServeFileFS(w, r, static, "index.html")
	})
	// Any method, so that a path that is no file (sign-in when it is not
	// offered) is 404 whatever the method.
	mux.HandleFunc("/console/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if !files[name] || name == "index.html" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		securityHeaders(w)
		http.ServeFileFS(w, r, static, name)
	})
	mux.HandleFunc("GET /console/setup", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"signIn": o.SignIn != nil, "demoStore": o.DemoStore, "sandbox": o.Sandbox})
	})
	if o.SignIn != nil {
		mux.HandleFunc("POST /console/sign-in", signIn(o.SignIn))
	}
	return mux
}

// signIn answers POST /console/sign-in {"role": "…"} with {"token": "…"}.
func signIn(mint func(domain.Role) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Role domain.Role }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The body must be JSON such as {\"role\": \"ADMIN\"}."})
			return
		}
		switch in.Role {
		case domain.RoleAdmin, domain.RoleStoreManager, domain.RoleStoreStaff:
		default:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "One-click sign-in is for ADMIN, STORE_MANAGER or STORE_STAFF."})
			return
		}
		token, err := mint(in.Role)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "The service could not mint a token."})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]string{"token": token})
	}
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// names lists the console's files. They are small and served with
// no-cache, so a browser always has the binary's own.
func names(static fs.FS) map[string]bool {
	out := map[string]bool{}
	entries, _ := fs.ReadDir(static, ".")
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}
