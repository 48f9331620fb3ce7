package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

// authSecret signs the tokens of the victim; the program mints its own.
const authSecret = "chaos-secret-chaos-secret-chaos-secret!!"

// mint returns a token valid for the whole run.
func mint(role domain.Role, stores ...string) string {
	t, err := auth.NewTokens([]byte(authSecret)).Mint(domain.Principal{Subject: "chaos", Role: role, Stores: stores}, 24*time.Hour, time.Now())
	if err != nil {
		panic(err) // HS256 signing with a non-empty key does not fail
	}
	return t
}

// newHTTPClient returns a client keeping up to conns connections alive.
// Its timeout bounds a request to a server that died under it.
func newHTTPClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// graphQL posts GraphQL requests to a server with one bearer token.
type graphQL struct {
	url   string
	token string
	http  *http.Client
}

// gqlError is a GraphQL error answer.
type gqlError struct {
	Status  int
	Code    string
	Message string
}

func (e *gqlError) Error() string {
	return fmt.Sprintf("status %d, %s: %s", e.Status, e.Code, e.Message)
}

// do posts query and decodes the response's data into data (unless nil). A
// transport failure, a status other than 200 and any GraphQL error are
// errors.
func (g graphQL) do(ctx context.Context, query string, vars map[string]any, data any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := g.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("status %d, undecodable body %q: %w", resp.StatusCode, truncate(string(raw), 200), err)
	}
	if len(r.Errors) > 0 {
		code, _ := r.Errors[0].Extensions["code"].(string)
		return &gqlError{Status: resp.StatusCode, Code: code, Message: r.Errors[0].Message}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if data != nil {
		return json.Unmarshal(r.Data, data)
	}
	return nil
}

// sandbox is the control and staff side of the host's Lightspeed sandbox.
type sandbox struct {
	base string // http://host:port/sandbox
	http *http.Client
}

// demoPrefix is the sandbox's demo retailer, the store's Lightspeed.
const demoPrefix = "demo"

// call sends a request and decodes the JSON answer into out; it returns
// the HTTP status too, and an error for anything but a 2xx.
func (sb sandbox) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, sb.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sb.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("sandbox %s %s: %d %s", method, path, resp.StatusCode, truncate(strings.TrimSpace(string(raw)), 300))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("sandbox %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// sandboxSale is what the program reads of a sale.
type sandboxSale struct {
	ID        string     `json:"id"`
	State     string     `json:"state"`
	DeletedAt *string    `json:"deleted_at"`
	Version   int64      `json:"version"`
	Source    saleSource `json:"source"`
}

// saleSource says which Leafly order a sale was made for.
type saleSource struct {
	ID *string `json:"id"`
}

// salesOf returns the demo retailer's sales (deleted ones too) made for a
// Leafly order id, or for every order with "".
func (sb sandbox) salesOf(ctx context.Context, leaflyID string) ([]sandboxSale, map[string]int, error) {
	var out struct {
		Data   []sandboxSale  `json:"data"`
		Counts map[string]int `json:"counts_by_source_id"`
	}
	path := "/" + demoPrefix + "/staff/sales"
	if leaflyID != "" {
		path += "?source_id=" + leaflyID
	}
	_, err := sb.call(ctx, http.MethodGet, path, nil, &out)
	return out.Data, out.Counts, err
}

// staff makes one staff action (pack, close, void) on a sale.
func (sb sandbox) staff(ctx context.Context, saleID, action string) (int, error) {
	return sb.call(ctx, http.MethodPost, "/"+demoPrefix+"/staff/sales/"+saleID+"/"+action, map[string]any{}, nil)
}

// setRateLimit sets the demo retailer's limit per window.
func (sb sandbox) setRateLimit(ctx context.Context, limit int, window time.Duration) error {
	_, err := sb.call(ctx, http.MethodPost, "/control/rate_limit",
		map[string]any{"domain_prefix": demoPrefix, "limit": limit, "window_seconds": int(window / time.Second)}, nil)
	return err
}

// faults counts the sandbox's faults still waiting for a request.
func (sb sandbox) faults(ctx context.Context) (int, error) {
	var out struct{ Data []json.RawMessage }
	_, err := sb.call(ctx, http.MethodGet, "/control/faults", nil, &out)
	return len(out.Data), err
}

// sandboxStats are the demo retailer's counters.
type sandboxStats struct {
	Total       int `json:"total"`
	RateLimited int `json:"rate_limited"`
	Webhooks    struct {
		Attempts  int `json:"attempts"`
		Delivered int `json:"delivered"`
		Abandoned int `json:"abandoned"`
	} `json:"webhooks"`
}

func (sb sandbox) stats(ctx context.Context) (sandboxStats, error) {
	var out struct{ Data map[string]sandboxStats }
	if _, err := sb.call(ctx, http.MethodGet, "/control/stats?domain_prefix="+demoPrefix, nil, &out); err != nil {
		return sandboxStats{}, err
	}
	return out.Data[demoPrefix], nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
