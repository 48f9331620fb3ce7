package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// call is one API request that passed the gate: the retailer it addresses and
// the grant it authenticated with. Handlers run with Sandbox.mu held.
type call struct {
	w  http.ResponseWriter
	r  *http.Request
	rt *retailer
	g  *grant // nil for staff routes
}

// json answers with status and v as the body.
func (c *call) json(status int, v any) { writeJSON(c.w, status, v) }

// fail answers with the X-Series error envelope {"error": msg}.
func (c *call) fail(status int, msg string) { writeError(c.w, status, msg) }

// data answers 200 {"data": v}.
func (c *call) data(v any) { c.json(http.StatusOK, map[string]any{"data": v}) }

// decode reads a JSON body into v, answering 400 itself when it cannot.
func (c *call) decode(v any) bool {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, 1<<20))
	if err == nil && len(bytes.TrimSpace(body)) == 0 {
		err = errors.New("empty body")
	}
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		c.fail(http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sandbox: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// api registers route (e.g. "GET /sales/{id}") under /{prefix}/api/{version}.
func (s *Sandbox) api(route string, h func(*call), scopes ...string) {
	method, path, _ := strings.Cut(route, " ")
	s.mux.HandleFunc(method+" /{prefix}/api/{version}"+path, s.apiHandler(route, h, scopes))
}

// apiHandler is the gate every API request passes, in the order Lightspeed
// would apply it: retailer, counting, faults, authentication, rate limit, scope.
// A nil h answers 404 (unknown API path) after the same gate.
func (s *Sandbox) apiHandler(route string, h func(*call), scopes []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !validVersion(r.PathValue("version")) {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		apiPath := "/" + strings.SplitN(r.URL.Path, "/", 5)[4] // after /{prefix}/api/{version}
		name := route
		if h == nil {
			name = r.Method + " " + apiPath
		}
		rt, f, ok := s.admit(w, r, r.PathValue("prefix"), name, apiPath)
		if !ok {
			return
		}
		if f != nil && f.After {
			defer s.lose(w, r, f) // once the lock below is released
		}
		defer s.mu.Unlock()
		c := &call{w: w, r: r, rt: rt}
		if f != nil && f.After {
			c.w = &lostResponse{header: http.Header{}}
		}
		if c.g = s.authenticate(r, rt); c.g == nil {
			rt.limit.peek(s.now(), rt.rateLimit()).setHeaders(w.Header(), false)
			rt.stats.Unauthorized++
			c.fail(http.StatusUnauthorized, "Access token is not valid")
			return
		}
		if !s.rateLimited(c) && c.allowed(scopes...) {
			if h == nil {
				c.fail(http.StatusNotFound, "Not Found")
				return
			}
			h(c)
		}
	}
}

// allowed answers 403 unless the grant carries every scope.
func (c *call) allowed(scopes ...string) bool {
	for _, sc := range scopes {
		if !c.g.has(sc) {
			c.fail(http.StatusForbidden, "permission denied")
			return false
		}
	}
	return true
}

// admit finds the retailer, counts the request and applies a matching fault.
// It returns with s.mu held when ok, with the fault still to apply after
// serving (an After fault); otherwise it has answered.
func (s *Sandbox) admit(w http.ResponseWriter, r *http.Request, prefix, name, apiPath string) (*retailer, *fault, bool) {
	s.mu.Lock()
	rt := s.retailers[prefix]
	if rt == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "retailer not found")
		return nil, nil, false
	}
	rt.stats.count(name)
	f := s.matchFault(rt, r.Method, apiPath)
	s.mu.Unlock()
	if f != nil && !s.inject(w, r, f) {
		return nil, nil, false
	}
	s.mu.Lock()
	return rt, f, true
}

// staff registers a staff route under /{prefix}/staff. Staff routes need no
// authentication (it is a sandbox) and are never counted, limited or faulted.
func (s *Sandbox) staff(route string, h func(*call)) {
	method, path, _ := strings.Cut(route, " ")
	s.mux.HandleFunc(method+" /{prefix}/staff"+path, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		rt := s.retailers[r.PathValue("prefix")]
		if rt == nil {
			writeError(w, http.StatusNotFound, "retailer not found")
			return
		}
		h(&call{w: w, r: r, rt: rt})
	})
}

var dateVersion = regexp.MustCompile(`^20\d\d-(0[1-9]|1[0-2])$`)

// validVersion accepts date versions (2026-07) and the semantic ones the
// date versions replaced.
func validVersion(v string) bool {
	return dateVersion.MatchString(v) || v == "2.0" || v == "2.1" || v == "3.0"
}

// number is a JSON number that also accepts a numeric string ("12.50"): the
// spec types money and quantities as numbers, the docs' examples send strings.
type number struct {
	v   float64
	set bool
}

func (n *number) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*n = number{}
		return nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*n = number{v: v, set: true}
	return nil
}

// versioned is an object listed with the version cursor.
type versioned interface {
	ver() int64
	gone() bool
}

// cursor is the query of a version-cursor list: after, before, page_size, deleted.
type cursor struct {
	after, before int64
	size          int
	deleted       bool
}

// Page sizes of version-cursor lists (not documented by Lightspeed; chosen).
const (
	defaultPageSize = 1000
	maxPageSize     = 10000
)

// parseCursor reads the cursor parameters, answering 400 on bad ones.
func (c *call) parseCursor() (cursor, bool) {
	q := c.r.URL.Query()
	cur := cursor{size: defaultPageSize, deleted: q.Get("deleted") == "true" || q.Get("deleted") == "1"}
	for name, dst := range map[string]*int64{"after": &cur.after, "before": &cur.before} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				c.fail(http.StatusBadRequest, name+" must be a non-negative integer")
				return cur, false
			}
			*dst = n
		}
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			c.fail(http.StatusBadRequest, "page_size must be a positive integer")
			return cur, false
		}
		cur.size = min(n, maxPageSize)
	}
	return cur, true
}

// versionRange is the "version" object of a list: nulls when the page is empty.
type versionRange struct {
	Min *int64 `json:"min"`
	Max *int64 `json:"max"`
}

// page returns the items after the cursor, by version, and their range.
func page[T versioned](items []T, cur cursor) ([]T, versionRange) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		v := it.ver()
		if v <= cur.after || (cur.before > 0 && v >= cur.before) || (it.gone() && !cur.deleted) {
			continue
		}
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ver() < out[j].ver() })
	if len(out) > cur.size {
		out = out[:cur.size]
	}
	var vr versionRange
	if len(out) > 0 {
		lo, hi := out[0].ver(), out[len(out)-1].ver()
		vr = versionRange{Min: &lo, Max: &hi}
	}
	return out, vr
}

// list answers a version-cursor list of items.
func list[T versioned](c *call, items []T) {
	cur, ok := c.parseCursor()
	if !ok {
		return
	}
	out, vr := page(items, cur)
	c.json(http.StatusOK, map[string]any{"data": out, "version": vr})
}

// values returns a map's values (order is fixed later by version).
func values[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
