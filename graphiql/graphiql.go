// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, entirely
// from files embedded in the binary: no CDN is reached, so it works on
// machines without internet access and under a strict Content Security
// Policy. static/ holds GraphiQL's and React's browser builds, unchanged from
// their npm packages (update.sh fetches the pinned versions; their licences
// are beside them and served too), and start.js, which points the IDE at the
// service.
package graphiql

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

var (
	//go:embed page.html
	page []byte
	//go:embed static
	embedded embed.FS
)

// contentSecurityPolicy lets the page load only its own files and talk only
// to its own origin (HTTP and websockets); GraphiQL's stylesheet carries its
// fonts and icons as data: URLs.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the IDE, to be mounted with its path stripped: the page at
// "" and its files at "/<name>". The page refers to everything by relative
// URL (its files as graphiql/<name>, the API as query), so it works behind a
// proxy that adds a path prefix.
func Handler() http.Handler {
	static, _ := fs.Sub(embedded, "static") // fails only on a malformed name
	tags := etags(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		switch {
		case r.URL.Path == "":
			servePage(w)
		case tags[name] != "":
			w.Header().Set("ETag", tags[name])
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.ServeFileFS(w, r, static, name)
		default:
			http.NotFound(w, r)
		}
	})
}

func servePage(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(page)
}

// etags names each file by a hash of its content, so a browser revalidates
// the 1.6 MB of scripts and styles with a 304 instead of fetching them again.
func etags(static fs.FS) map[string]string {
	tags := map[string]string{}
	entries, _ := fs.ReadDir(static, ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(static, e.Name())
		sum := sha256.Sum256(b)
		tags[e.Name()] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	return tags
}
