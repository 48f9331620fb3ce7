package sandbox

import (
	"encoding/json"
	"net/http"
	"time"
)

// The control API (/control/…) steers the sandbox from tests and by hand:
// faults, rate limits, webhook details, and request statistics. It needs no
// authentication.

// stats counts one retailer's API traffic, for tests that count calls.
type stats struct {
	Requests     map[string]int `json:"requests"` // by "METHOD /path/{template}"
	Total        int            `json:"total"`
	RateLimited  int            `json:"rate_limited"` // 429s
	Unauthorized int            `json:"unauthorized"` // 401s
	Refreshes    int            `json:"refreshes"`    // refresh tokens rotated
	// RefreshReplays counts refresh tokens presented again after a
	// refresh had already rotated them: two refreshes raced.
	RefreshReplays int `json:"refresh_replays"`
	Faulted        int `json:"faulted"` // requests a fault hit
	Webhooks       struct {
		Attempts  int `json:"attempts"`
		Delivered int `json:"delivered"`
		Abandoned int `json:"abandoned"` // gave up after the last attempt
	} `json:"webhooks"`
}

func newStats() *stats { return &stats{Requests: map[string]int{}} }

func (st *stats) count(route string) {
	st.Requests[route]++
	st.Total++
}

// decodeControl reads a control body; an empty body is an empty object.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil && err.Error() != "EOF" {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// retailerOrAll reports whether prefix names a retailer or is empty (all
// of them), answering 404 when it names none. The caller holds s.mu.
func (s *Sandbox) retailerOrAll(w http.ResponseWriter, prefix string) bool {
	if prefix != "" && s.retailers[prefix] == nil {
		writeError(w, http.StatusNotFound, "retailer not found")
		return false
	}
	return true
}

// controlAddFault is POST /control/faults: adds a fault, and/or revokes every
// token of a retailer (all retailers when domain_prefix is empty).
func (s *Sandbox) controlAddFault(w http.ResponseWriter, r *http.Request) {
	var in faultRequest
	if !decodeControl(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.retailerOrAll(w, in.DomainPrefix) {
		return
	}
	f, msg := in.toFault(s.now())
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	if in.Revoke {
		for _, p := range s.prefixes {
			if in.DomainPrefix == "" || in.DomainPrefix == p {
				s.revoke(p)
			}
		}
	}
	if f != nil {
		s.nextFaultID++
		f.ID = s.nextFaultID
		s.faults = append(s.faults, f)
	}
	s.log.Info("sandbox: fault added", "fault", f, "revoke", in.Revoke)
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{"fault": f, "revoked": in.Revoke}})
}

func (s *Sandbox) controlListFaults(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]*fault{}, s.faults...)
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// controlClearFaults is DELETE /control/faults. Revoked tokens stay revoked.
func (s *Sandbox) controlClearFaults(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.faults)
	s.faults = nil
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]int{"cleared": n}})
}

// controlRateLimit is POST /control/rate_limit {domain_prefix, limit,
// window_seconds}: overrides the retailer's limit (limit 0 restores
// 300 × registers + 50) and starts a fresh window.
func (s *Sandbox) controlRateLimit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DomainPrefix  string `json:"domain_prefix"`
		Limit         int    `json:"limit"`
		WindowSeconds int    `json:"window_seconds"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.retailers[in.DomainPrefix]
	switch {
	case rt == nil:
		writeError(w, http.StatusNotFound, "retailer not found")
		return
	case in.Limit < 0 || in.WindowSeconds < 0:
		writeError(w, http.StatusBadRequest, "limit and window_seconds must not be negative")
		return
	}
	rt.limitOverride = in.Limit
	rt.limit = window{length: secondsOr(in.WindowSeconds, rt.limit.length)}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"domain_prefix": rt.prefix,
		"limit": rt.rateLimit(), "window_seconds": int(rt.limit.end().Sub(rt.limit.start).Seconds())}})
}

// secondsOr is n seconds, or keep when n is 0.
func secondsOr(n int, keep time.Duration) time.Duration {
	if n == 0 {
		return keep
	}
	return time.Duration(n) * time.Second
}

// controlWebhooks is POST /control/webhooks {signature_encoding, legacy_only}:
// chooses how the UNCONFIRMED details are modelled; absent fields keep their value.
func (s *Sandbox) controlWebhooks(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Encoding   *string `json:"signature_encoding"`
		LegacyOnly *bool   `json:"legacy_only"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Encoding != nil && *in.Encoding != "hex" && *in.Encoding != "base64" {
		writeError(w, http.StatusBadRequest, "signature_encoding must be hex or base64")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.Encoding != nil {
		s.hooks.Encoding = *in.Encoding
	}
	if in.LegacyOnly != nil {
		s.hooks.LegacyOnly = *in.LegacyOnly
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.hooks})
}

// controlTokens is POST /control/tokens {access_ttl_ms, access_works_ms,
// revoke_access, domain_prefix}: sets how long new access tokens announce
// they live and how long they are really accepted (0 restores the default;
// absent fields keep their value), and with revoke_access invalidates the
// access tokens of the retailer (all retailers when domain_prefix is empty)
// while their refresh tokens keep working.
func (s *Sandbox) controlTokens(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AccessTTLMS   *int   `json:"access_ttl_ms"`
		AccessWorksMS *int   `json:"access_works_ms"`
		RevokeAccess  bool   `json:"revoke_access"`
		DomainPrefix  string `json:"domain_prefix"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if (in.AccessTTLMS != nil && *in.AccessTTLMS < 0) || (in.AccessWorksMS != nil && *in.AccessWorksMS < 0) {
		writeError(w, http.StatusBadRequest, "access_ttl_ms and access_works_ms must not be negative")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.retailerOrAll(w, in.DomainPrefix) {
		return
	}
	if in.AccessTTLMS != nil {
		s.tokens.AccessTTL = time.Duration(*in.AccessTTLMS) * time.Millisecond
	}
	if in.AccessWorksMS != nil {
		s.tokens.AccessWorks = time.Duration(*in.AccessWorksMS) * time.Millisecond
	}
	for _, p := range s.prefixes {
		if in.RevokeAccess && (in.DomainPrefix == "" || in.DomainPrefix == p) {
			s.revokeAccess(p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"access_ttl_ms": s.tokens.AccessTTL.Milliseconds(), "access_works_ms": s.tokens.AccessWorks.Milliseconds(),
		"revoked_access": in.RevokeAccess}})
}

// controlStats is GET /control/stats[?domain_prefix=]: per-retailer counts.
func (s *Sandbox) controlStats(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	only := r.URL.Query().Get("domain_prefix")
	out := map[string]*stats{}
	for p, rt := range s.retailers {
		if only == "" || only == p {
			out[p] = rt.stats
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// controlResetStats is DELETE /control/stats: zeroes every counter.
func (s *Sandbox) controlResetStats(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.retailers {
		rt.stats = newStats()
	}
	w.WriteHeader(http.StatusNoContent)
}
