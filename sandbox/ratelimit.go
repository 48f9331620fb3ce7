package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

// Rate limits as Lightspeed's docs give them: 300 requests per register plus
// 50, per retailer, per 5-minute window. The token endpoint has its own
// bucket; its size is not documented, so the sandbox picks one.
const (
	rateWindow       = 5 * time.Minute
	perRegisterLimit = 300
	baseLimit        = 50
	tokenRateLimit   = 100
)

// window is a fixed rate-limit window that starts with its first request.
type window struct {
	length time.Duration // 0: rateWindow
	start  time.Time
	used   int
}

// quota is the state of a window after a request, for the response headers.
type quota struct {
	limit, remaining int
	reset            time.Time
	ok               bool
}

// take counts one request against limit and reports whether it is allowed.
func (l *window) take(now time.Time, limit int) quota {
	l.roll(now)
	if l.used >= limit {
		return quota{limit: limit, remaining: 0, reset: l.end(), ok: false}
	}
	l.used++
	return quota{limit: limit, remaining: limit - l.used, reset: l.end(), ok: true}
}

// peek reports the window without counting a request.
func (l *window) peek(now time.Time, limit int) quota {
	l.roll(now)
	return quota{limit: limit, remaining: max(limit-l.used, 0), reset: l.end(), ok: l.used < limit}
}

// roll starts a new window when the current one is over.
func (l *window) roll(now time.Time) {
	if l.start.IsZero() || !now.Before(l.end()) {
		l.start, l.used = now, 0
	}
}

func (l *window) end() time.Time {
	if l.length > 0 {
		return l.start.Add(l.length)
	}
	return l.start.Add(rateWindow)
}

// setHeaders writes X-RateLimit-Limit and -Remaining (and -Reset, in epoch
// seconds, which Lightspeed's docs mention for the token endpoint only).
func (q quota) setHeaders(h http.Header, withReset bool) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(q.remaining))
	if withReset {
		h.Set("X-RateLimit-Reset", strconv.FormatInt(retryAt(q.reset).Unix(), 10))
	}
}

// retryAt rounds a reset time up to the whole second an HTTP-date can carry,
// so a client that waits until Retry-After is never early.
func retryAt(t time.Time) time.Time {
	if t.Truncate(time.Second).Equal(t) {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

// tooManyRequests answers 429 with Retry-After as an RFC 1123 HTTP-date (GMT).
func tooManyRequests(w http.ResponseWriter, q quota) {
	w.Header().Set("Retry-After", retryAt(q.reset).UTC().Format(http.TimeFormat))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{
		"error": "Too Many Requests", "message": "Rate limiting enforced",
	})
}

// rateLimit is the retailer's API limit: the control API's override, or
// 300 × registers + 50.
func (rt *retailer) rateLimit() int {
	if rt.limitOverride > 0 {
		return rt.limitOverride
	}
	n := 0
	for _, reg := range rt.registers {
		if reg.DeletedAt == nil {
			n++
		}
	}
	return perRegisterLimit*n + baseLimit
}

// rateLimited counts the call against its retailer's window, sets the
// headers, and answers 429 when the window is exhausted.
func (s *Sandbox) rateLimited(c *call) bool {
	q := c.rt.limit.take(s.now(), c.rt.rateLimit())
	q.setHeaders(c.w.Header(), false)
	if q.ok {
		return false
	}
	c.rt.stats.RateLimited++
	tooManyRequests(c.w, q)
	return true
}
