package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

const (
	defaultAPIURL     = "https://{domain_prefix}.retail.lightspeed.app"
	defaultAPIVersion = "2026-07"
	defaultUserAgent  = "leafly-lightspeed-orders (+https://www.leafly.com)"
	defaultTimeout    = 15 * time.Second
	maxBody           = 64 << 20
	// listPageSize is the page_size for reference-data lists. Lightspeed's
	// default and maximum for version-cursor lists are not documented
	// (https://x-series-api.lightspeedhq.com/docs/pagination); 200 was the
	// 0.9 maximum and is safe.
	listPageSize = 200
)

// Config configures a Client. Only ClientID and ClientSecret have no
// default, and only OAuth needs them.
type Config struct {
	// APIURL is the API host, e.g. https://{domain_prefix}.retail.lightspeed.app;
	// {domain_prefix} is replaced by the target's prefix on every call.
	APIURL string
	// APIVersion is the date version in /api/{version}/ paths, e.g. 2026-07.
	APIVersion string
	// ClientID and ClientSecret identify the OAuth app.
	ClientID, ClientSecret string
	// UserAgent identifies the integration to Lightspeed.
	UserAgent string
	// HTTPClient sends the requests; nil means a client with a 15s timeout
	// (never http.DefaultClient, which has none).
	HTTPClient *http.Client
	// Limiter paces requests per retailer; nil means a private one with
	// default options.
	Limiter *Limiter
	// OnCall, if set, hears every HTTP request made, once it has finished,
	// with the context the call was made in.
	OnCall func(context.Context, Call)
	// Clock defaults to SystemClock.
	Clock Clock
}

// Target is the retailer a call goes to and the token it uses. The caller
// owns token storage and refresh.
type Target struct {
	DomainPrefix, AccessToken string
	// Renew, if set, is asked for another access token when Lightspeed
	// refuses one (401) before it expired, e.g. revoked early; the call is
	// then made again with it. Renew returns the connection's current
	// token, renewed first when it still is the refused one (fresh).
	// Lightspeed refusing a fresh token is final, as is an error of Renew's.
	Renew func(ctx context.Context, refused string) (token string, fresh bool, err error)
}

// maxRenewals bounds how often one call asks for another token: the first
// may return a token another call renewed meanwhile, the second a fresh one.
const maxRenewals = 2

// Call describes one HTTP request to Lightspeed, for the support trail and
// metrics.
type Call struct {
	// DomainPrefix is the retailer called.
	DomainPrefix string
	// Method is the HTTP method.
	Method string
	// Path is the path template without the /api/{version} prefix, e.g.
	// /sales/{sale_id}, so ids stay out of metric labels; token calls
	// report /api/1.0/token.
	Path string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Duration is how long the request took, rate-limit wait excluded.
	Duration time.Duration
	// Err is the call's error, nil on success.
	Err error
	// Started is when the request was sent.
	Started time.Time
}

// Client calls the Lightspeed Retail X-Series API. It is safe for
// concurrent use. It never retries on its own: a blind retry of POST /sales
// can duplicate a sale (Lightspeed has no idempotency header), so retries
// belong to callers, who can check first.
type Client struct {
	cfg     Config
	http    *http.Client
	limiter *Limiter
	clock   Clock
}

// NewClient returns a client for cfg, filling in defaults.
func NewClient(cfg Config) *Client {
	if cfg.APIURL == "" {
		cfg.APIURL = defaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.APIVersion == "" {
		cfg.APIVersion = defaultAPIVersion
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = defaultUserAgent
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	lim := cfg.Limiter
	if lim == nil {
		lim = NewLimiter(LimiterOptions{Clock: cfg.Clock})
	}
	return &Client{cfg: cfg, http: hc, limiter: lim, clock: cfg.Clock}
}

// Limiter returns the limiter pacing this client's requests, e.g. to call
// SetRegisters once the retailer's registers are known.
func (c *Client) Limiter() *Limiter { return c.limiter }

// apiRequest is one REST call: path is a template such as /sales/{sale_id}
// whose placeholders are filled, in order, from args.
type apiRequest struct {
	op     string
	method string
	path   string
	args   []string
	query  url.Values
	body   any
}

// exchange is an HTTP request ready to go, with how to judge its answer.
type exchange struct {
	op, prefix, path string
	req              *http.Request
	observe          bool // feed the rate limiter (REST API, not OAuth)
	classify         func(status int) ErrorKind
	out              any
}

// do runs a REST call, with another token when Lightspeed refuses the
// target's and the target can renew it. A 401 means the request was not
// acted on, so making it again cannot duplicate a sale.
func (c *Client) do(ctx context.Context, t Target, r apiRequest, out any) error {
	err := c.attempt(ctx, t, r, out)
	for i := 0; i < maxRenewals && t.Renew != nil && refused(err); i++ {
		token, fresh, rerr := t.Renew(ctx, t.AccessToken)
		if rerr != nil {
			return fmt.Errorf("%s: %w", r.op, rerr)
		}
		if token == t.AccessToken {
			return err
		}
		t.AccessToken = token
		if err = c.attempt(ctx, t, r, out); fresh {
			break
		}
	}
	return err
}

// refused reports whether Lightspeed refused the access token itself (not
// its scopes, which a new token would not change).
func refused(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindCredential && e.Status == http.StatusUnauthorized
}

// attempt runs a REST call once: rate-limit gate, request, classified response.
func (c *Client) attempt(ctx context.Context, t Target, r apiRequest, out any) error {
	if t.AccessToken == "" {
		return &Error{Kind: KindCredential, Op: r.op, Message: "no access token"}
	}
	req, err := c.newRequest(ctx, t.DomainPrefix, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	if err := c.limiter.Wait(ctx, t.DomainPrefix); err != nil {
		return fmt.Errorf("%s: %w", r.op, err)
	}
	return c.send(ctx, exchange{op: r.op, prefix: t.DomainPrefix, path: r.path, req: req,
		observe: true, classify: kindForStatus, out: out})
}

// newRequest builds the request for r; errors are KindRejected because they
// are the caller's (an empty id, a malformed amount), not Lightspeed's.
func (c *Client) newRequest(ctx context.Context, prefix string, r apiRequest) (*http.Request, error) {
	reject := func(err error) error { return &Error{Kind: KindRejected, Op: r.op, Err: err} }
	base, err := c.baseURL(prefix)
	if err != nil {
		return nil, reject(err)
	}
	path, err := expandPath(r.path, r.args)
	if err != nil {
		return nil, reject(err)
	}
	u := base + "/api/" + c.cfg.APIVersion + path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, reject(fmt.Errorf("encode request: %w", err))
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, reject(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// send makes the request, classifies the answer, decodes a success into
// x.out, and reports the attempt to OnCall.
func (c *Client) send(ctx context.Context, x exchange) error {
	started := c.clock.Now()
	status, err := c.roundTrip(ctx, x)
	if c.cfg.OnCall != nil {
		c.cfg.OnCall(ctx, Call{DomainPrefix: x.prefix, Method: x.req.Method, Path: x.path, Status: status,
			Duration: c.clock.Now().Sub(started), Err: err, Started: started})
	}
	return err
}

func (c *Client) roundTrip(ctx context.Context, x exchange) (int, error) {
	resp, err := c.http.Do(x.req)
	if err != nil {
		return 0, c.transportError(ctx, x.op, 0, err)
	}
	defer resp.Body.Close()
	if x.observe {
		c.limiter.Observe(x.prefix, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, c.transportError(ctx, x.op, resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, c.statusError(x, resp, body)
	}
	if x.out == nil {
		return resp.StatusCode, nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return resp.StatusCode, &Error{Kind: KindOutage, Status: resp.StatusCode, Op: x.op, Message: "empty response body"}
	}
	if err := json.Unmarshal(body, x.out); err != nil {
		// A success status with a body that is not the API's JSON is a
		// proxy or maintenance page: Lightspeed is not really answering.
		return resp.StatusCode, &Error{Kind: KindOutage, Status: resp.StatusCode, Op: x.op,
			Err: fmt.Errorf("decode response: %w", err)}
	}
	return resp.StatusCode, nil
}

// transportError classifies a failure to get a response: the caller's own
// cancellation stays a plain context error; anything else (timeouts of the
// HTTP client included) is an outage.
func (c *Client) transportError(ctx context.Context, op string, status int, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	return &Error{Kind: KindOutage, Status: status, Op: op, Err: err}
}

func (c *Client) statusError(x exchange, resp *http.Response, body []byte) error {
	e := &Error{Kind: x.classify(resp.StatusCode), Status: resp.StatusCode, Op: x.op, Message: errorMessage(body)}
	if e.Message == "" {
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/plain" {
			e.Message = truncate(strings.TrimSpace(string(body)), 200)
		}
	}
	if e.Kind == KindRateLimited {
		e.RetryAfter = retryAfter(resp.Header, c.clock.Now(), c.limiter.opts.Backoff)
	}
	return e
}

// prefixPattern is what a domain prefix may look like: one DNS label. It
// keeps a corrupt prefix from pointing requests, and the token, elsewhere.
var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func (c *Client) baseURL(prefix string) (string, error) {
	if !prefixPattern.MatchString(prefix) {
		return "", fmt.Errorf("invalid domain prefix %q", prefix)
	}
	return strings.ReplaceAll(c.cfg.APIURL, "{domain_prefix}", prefix), nil
}

// expandPath fills the {placeholders} of tmpl with escaped args, in order.
func expandPath(tmpl string, args []string) (string, error) {
	var b strings.Builder
	rest := tmpl
	for _, arg := range args {
		i, j := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			return "", fmt.Errorf("path %s: too many arguments", tmpl)
		}
		if strings.TrimSpace(arg) == "" {
			return "", fmt.Errorf("path %s: empty %s", tmpl, rest[i+1:j])
		}
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(arg))
		rest = rest[j+1:]
	}
	if strings.ContainsRune(rest, '{') {
		return "", fmt.Errorf("path %s: missing arguments", tmpl)
	}
	b.WriteString(rest)
	return b.String(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// getData runs r and returns the "data" member of the answer.
func getData[T any](ctx context.Context, c *Client, t Target, r apiRequest) (T, error) {
	var env struct {
		Data T `json:"data"`
	}
	err := c.do(ctx, t, r, &env)
	return env.Data, err
}

// getPage fetches one page of a version-cursor collection (after, page_size;
// https://x-series-api.lightspeedhq.com/docs/pagination)
// and returns its items and the cursor for the next page: version.max, or
// the highest item version when the answer has no version object (the
// 2026-07 /taxes example has none). The cursor never goes below after.
func getPage[T any](ctx context.Context, c *Client, t Target, r apiRequest, after int64, pageSize int) ([]T, int64, error) {
	if pageSize <= 0 {
		pageSize = listPageSize
	}
	if r.query == nil {
		r.query = url.Values{}
	}
	r.query.Set("after", fmt.Sprint(after))
	r.query.Set("page_size", fmt.Sprint(pageSize))
	var env struct {
		Data    json.RawMessage `json:"data"`
		Version json.RawMessage `json:"version"`
	}
	if err := c.do(ctx, t, r, &env); err != nil {
		return nil, after, err
	}
	var version struct {
		Max Number `json:"max"`
	}
	_ = json.Unmarshal(env.Version, &version) // absent or odd: fall back to the items' versions
	var items []T
	var versions []struct {
		Version  Number `json:"version"`
		Metadata struct {
			Version Number `json:"version"`
		} `json:"_metadata"`
	}
	if len(env.Data) > 0 && !bytes.Equal(env.Data, []byte("null")) {
		if err := json.Unmarshal(env.Data, &items); err != nil {
			return nil, after, &Error{Kind: KindOutage, Op: r.op, Status: http.StatusOK, Err: fmt.Errorf("decode response: %w", err)}
		}
		_ = json.Unmarshal(env.Data, &versions)
	}
	next := max(after, version.Max.Int64())
	for _, v := range versions {
		next = max(next, v.Version.Int64(), v.Metadata.Version.Int64())
	}
	return items, next, nil
}

// listAll follows a version-cursor collection from the start until a page
// comes back empty, as Lightspeed documents, or stops advancing.
func listAll[T any](ctx context.Context, c *Client, t Target, r apiRequest) ([]T, error) {
	var all []T
	var after int64
	for {
		items, next, err := getPage[T](ctx, c, t, r, after, listPageSize)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) == 0 || next <= after {
			return all, nil
		}
		after = next
	}
}

// timeLayouts are the timestamp shapes Lightspeed writes: RFC3339 with Z or
// an offset, and the legacy space-separated form.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

// ParseTime parses a Lightspeed timestamp (RFC3339, "+00:00" offsets, or the
// legacy "2006-01-02 15:04:05", read as UTC). Response structs keep
// timestamps as the text Lightspeed sent; this turns them into times.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse lightspeed time %q", s)
}

// formatTime writes t as Lightspeed wants dates: RFC3339 in UTC, whole
// seconds, empty for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
