package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrorKind says what a failed Lightspeed call means for the caller: whether
// to ask the retailer to reconnect, retry later, or give up on the request.
type ErrorKind int

const (
	// KindUnknown is the kind of errors that did not come from a Lightspeed
	// response or transport, such as the caller's own context being canceled.
	KindUnknown ErrorKind = iota
	// KindCredential means the token was refused (401/403, or a refused
	// refresh or code exchange): the retailer has to reconnect the app.
	KindCredential
	// KindOutage means Lightspeed could not be reached or failed (5xx,
	// timeouts, connection errors, 410 from a sunsetting endpoint, an
	// unreadable success body): retry later.
	KindOutage
	// KindRateLimited means Lightspeed answered 429; Error.RetryAfter says
	// when the retailer may be called again.
	KindRateLimited
	// KindRejected means Lightspeed refused the request itself (400, 409,
	// 422, other 4xx); Error.Message carries Lightspeed's reason. Retrying
	// the same request will fail the same way.
	KindRejected
	// KindNotFound means the resource does not exist (404).
	KindNotFound
)

// String names the kind in lower case, for logs and error text.
func (k ErrorKind) String() string {
	switch k {
	case KindCredential:
		return "credential"
	case KindOutage:
		return "outage"
	case KindRateLimited:
		return "rate limited"
	case KindRejected:
		return "rejected"
	case KindNotFound:
		return "not found"
	default:
		return "unknown"
	}
}

// Error is a classified failure of one Lightspeed call.
type Error struct {
	// Kind classifies the failure.
	Kind ErrorKind
	// Status is the HTTP status, or 0 when no response arrived.
	Status int
	// Message is Lightspeed's own error text, when the body carried one.
	Message string
	// RetryAfter is when the retailer may be called again (KindRateLimited).
	RetryAfter time.Time
	// Op is the short name of the call that failed, e.g. "create sale".
	Op string
	// Err is the underlying transport or decoding error, if any.
	Err error
}

// Error renders the failure as "op: lightspeed kind (status): message".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString("lightspeed ")
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%d)", e.Status)
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	case e.Status != 0:
		b.WriteString(": ")
		b.WriteString(http.StatusText(e.Status))
	}
	return b.String()
}

// Unwrap returns the underlying transport or decoding error.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of the first *Error in err's chain, or KindUnknown.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

// IsCredential reports whether err means the retailer must reconnect.
func IsCredential(err error) bool { return KindOf(err) == KindCredential }

// IsOutage reports whether err means Lightspeed is unreachable or failing.
func IsOutage(err error) bool { return KindOf(err) == KindOutage }

// IsRateLimited reports whether err is a 429 from Lightspeed.
func IsRateLimited(err error) bool { return KindOf(err) == KindRateLimited }

// IsRejected reports whether Lightspeed refused the request itself.
func IsRejected(err error) bool { return KindOf(err) == KindRejected }

// IsNotFound reports whether the resource does not exist.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// IsConflict reports whether Lightspeed answered 409, e.g. a webhook with
// the same type and URL already exists.
func IsConflict(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindRejected && e.Status == http.StatusConflict
}

// kindForStatus classifies a non-2xx status of the REST API.
func kindForStatus(status int) ErrorKind {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return KindCredential
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	// 410 is how sunsetting endpoints fail "randomly, at an increasing rate"
	// (https://x-series-api.lightspeedhq.com/docs/deprecations): nothing the
	// request can fix, so treat it as an
	// outage. 408 is the server timing out on us.
	case status == http.StatusGone, status == http.StatusRequestTimeout:
		return KindOutage
	case status >= 400 && status < 500:
		return KindRejected
	default:
		return KindOutage
	}
}

// errorMessage extracts Lightspeed's error text from the envelopes seen in
// the API: {"error":"…"}, {"error":"…","message":"…"},
// {"error":{"code":1,"message":"…"}}, {"message":"…"} and OAuth's
// {"error":"invalid_grant","error_description":"…"}.
func errorMessage(body []byte) string {
	var env struct {
		Error       json.RawMessage `json:"error"`
		Message     any             `json:"message"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	var parts []string
	var s string
	var obj struct {
		Message string `json:"message"`
	}
	switch {
	case json.Unmarshal(env.Error, &s) == nil && s != "":
		parts = append(parts, s)
	case json.Unmarshal(env.Error, &obj) == nil && obj.Message != "":
		parts = append(parts, obj.Message)
	}
	if m, ok := env.Message.(string); ok && m != "" && (len(parts) == 0 || parts[0] != m) {
		parts = append(parts, m)
	}
	if env.Description != "" {
		parts = append(parts, env.Description)
	}
	return strings.Join(parts, ": ")
}
