package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"
)

// fault makes matching API requests fail, slow down or hang: a partner
// outage on demand. It matches the retailer (all when empty), the method and
// a prefix of the path after /api/{version} ("/sales", "/token").
type fault struct {
	ID           int        `json:"id"`
	DomainPrefix string     `json:"domain_prefix,omitempty"`
	Method       string     `json:"method,omitempty"`
	Path         string     `json:"path,omitempty"`
	Status       int        `json:"status,omitempty"`
	Remaining    int        `json:"remaining,omitempty"` // requests left to affect; 0: no count
	Until        *time.Time `json:"until,omitempty"`
	LatencyMS    int        `json:"latency_ms,omitempty"`
	Timeout      bool       `json:"timeout,omitempty"`
	// After serves the request, then answers Status (or hangs, with
	// Timeout) instead of its result: Lightspeed did the work, but the
	// client never learns it (a lost response, or a client that died
	// before reading it).
	After bool `json:"after,omitempty"`
	// RetryAfterMS is how far ahead a 429 fault's Retry-After date lies.
	RetryAfterMS int `json:"retry_after_ms,omitempty"`
}

// faultRequest is the body of POST /control/faults.
type faultRequest struct {
	DomainPrefix string `json:"domain_prefix"`
	Method       string `json:"method"`
	Path         string `json:"path"`
	Status       int    `json:"status"`
	Count        int    `json:"count"`
	DurationMS   int    `json:"duration_ms"`
	Duration     string `json:"duration"` // Go duration ("30s"), instead of duration_ms
	LatencyMS    int    `json:"latency_ms"`
	Timeout      bool   `json:"timeout"`
	After        bool   `json:"after"`
	RetryAfterMS int    `json:"retry_after_ms"`
	Revoke       bool   `json:"revoke"`
}

// toFault validates the request; nil fault when it only revokes.
func (in faultRequest) toFault(now time.Time) (*fault, string) {
	if in.Status != 0 && (in.Status < 400 || in.Status > 599) {
		return nil, "status must be an HTTP error status (4xx or 5xx)"
	}
	if in.Count < 0 || in.DurationMS < 0 || in.LatencyMS < 0 {
		return nil, "count, duration_ms and latency_ms must not be negative"
	}
	d := time.Duration(in.DurationMS) * time.Millisecond
	if in.Duration != "" {
		var err error
		if d, err = time.ParseDuration(in.Duration); err != nil || d < 0 {
			return nil, "duration must be a Go duration such as 30s"
		}
	}
	if in.After && in.Status == 0 && !in.Timeout {
		return nil, "after needs a status or timeout in place of the result"
	}
	if in.Status == 0 && in.LatencyMS == 0 && !in.Timeout {
		if in.Revoke {
			return nil, ""
		}
		return nil, "give status, latency_ms, timeout or revoke"
	}
	f := &fault{DomainPrefix: in.DomainPrefix, Method: strings.ToUpper(in.Method), Path: in.Path,
		Status: in.Status, Remaining: in.Count, LatencyMS: in.LatencyMS, Timeout: in.Timeout, After: in.After,
		RetryAfterMS: in.RetryAfterMS}
	if f.Status == http.StatusTooManyRequests && f.RetryAfterMS <= 0 {
		f.RetryAfterMS = 1000
	}
	if d > 0 {
		until := now.Add(d)
		f.Until = &until
	}
	return f, ""
}

// matchFault returns the first live fault matching the request and consumes
// one of its count. Expired and used-up faults are dropped.
func (s *Sandbox) matchFault(rt *retailer, method, apiPath string) *fault {
	now := s.now()
	live := s.faults[:0]
	var hit *fault
	for _, f := range s.faults {
		if f.Until != nil && !now.Before(*f.Until) {
			continue
		}
		if hit == nil && f.matches(rt.prefix, method, apiPath) {
			hit = f
			if f.Remaining > 0 {
				if f.Remaining--; f.Remaining == 0 {
					continue
				}
			}
		}
		live = append(live, f)
	}
	s.faults = live
	if hit != nil {
		rt.stats.Faulted++
		cp := *hit
		return &cp
	}
	return nil
}

func (f *fault) matches(prefix, method, apiPath string) bool {
	return (f.DomainPrefix == "" || f.DomainPrefix == prefix) &&
		(f.Method == "" || f.Method == method) &&
		strings.HasPrefix(apiPath, f.Path)
}

// inject applies a fault: wait latency_ms, then hang (timeout), fail
// (status), or let the request through (true).
func (s *Sandbox) inject(w http.ResponseWriter, r *http.Request, f *fault) bool {
	// net/http notices a client hanging up only once the body has been read;
	// the handler gets the same bytes when the fault lets the request through.
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if f.LatencyMS > 0 {
		t := time.NewTimer(time.Duration(f.LatencyMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		case <-s.ctx.Done():
			panic(http.ErrAbortHandler)
		}
	}
	if f.Timeout && !f.After {
		select {
		case <-r.Context().Done():
			return false
		case <-s.ctx.Done():
			panic(http.ErrAbortHandler) // drop the connection, as a dead upstream would
		}
	}
	if f.Status != 0 && !f.After {
		if f.Status == http.StatusTooManyRequests {
			at := s.now().Add(time.Duration(f.RetryAfterMS) * time.Millisecond)
			w.Header().Set("Retry-After", at.UTC().Format(http.TimeFormat))
		}
		writeError(w, f.Status, http.StatusText(f.Status))
		return false
	}
	return true
}

// lose answers a request an After fault served: with its status, or by
// hanging until the client gives up.
func (s *Sandbox) lose(w http.ResponseWriter, r *http.Request, f *fault) {
	if f.Timeout {
		select {
		case <-r.Context().Done():
		case <-s.ctx.Done():
			panic(http.ErrAbortHandler)
		}
		return
	}
	writeError(w, f.Status, http.StatusText(f.Status))
}

// lostResponse swallows a served request's answer for an After fault.
type lostResponse struct{ header http.Header }

func (l *lostResponse) Header() http.Header         { return l.header }
func (l *lostResponse) Write(b []byte) (int, error) { return len(b), nil }
func (l *lostResponse) WriteHeader(int)             {}
