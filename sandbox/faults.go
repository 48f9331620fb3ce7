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
	if in.Status == 0 && in.LatencyMS == 0 && !in.Timeout {
		if in.Revoke {
			return nil, ""
		}
		return nil, "give status, latency_ms, timeout or revoke"
	}
	f := &fault{DomainPrefix: in.DomainPrefix, Method: strings.ToUpper(in.Method), Path: in.Path,
		Status: in.Status, Remaining: in.Count, LatencyMS: in.LatencyMS, Timeout: in.Timeout}
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
	if f.Timeout {
		select {
		case <-r.Context().Done():
			return false
		case <-s.ctx.Done():
			panic(http.ErrAbortHandler) // drop the connection, as a dead upstream would
		}
	}
	if f.Status != 0 {
		writeError(w, f.Status, http.StatusText(f.Status))
		return false
	}
	return true
}
