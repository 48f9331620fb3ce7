package gqlws

import (
	"net/http"
	"net/url"
	"strings"
)

// originChecker implements the Options.AllowedOrigins policy.
type originChecker struct {
	allowAll bool
	allowed  map[string]struct{}
}

func newOriginChecker(origins []string) originChecker {
	oc := originChecker{allowed: make(map[string]struct{}, len(origins))}
	for _, o := range origins {
		o = normaliseOrigin(o)
		if o == AllowAllOrigins {
			oc.allowAll = true
		}
		if o != "" {
			oc.allowed[o] = struct{}{}
		}
	}
	return oc
}

// check reports whether the request's Origin header is acceptable.
func (oc originChecker) check(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || oc.allowAll {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return oc.has(normaliseOrigin(origin)) || oc.has(strings.ToLower(u.Host))
}

func (oc originChecker) has(key string) bool {
	_, ok := oc.allowed[key]
	return ok
}

func normaliseOrigin(o string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
}
