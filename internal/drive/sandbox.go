package drive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DemoPrefix is the domain prefix of the sandbox's demo retailer, the
// Lightspeed of a store ConnectStore connects.
const DemoPrefix = "demo"

// Sandbox is the control and staff side of a server's built-in Lightspeed
// (package sandbox), acting on its demo retailer.
type Sandbox struct {
	URL  string // the sandbox's base: http://host:port/sandbox
	HTTP *http.Client
}

// Call sends a request to the sandbox and decodes the JSON answer into out
// (unless nil). It returns the HTTP status too (0 when there was no
// answer), and an error for anything but a 2xx.
func (sb Sandbox) Call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, sb.URL+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sb.HTTP.Do(req)
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

// SetRateLimit sets the demo retailer's limit to limit requests per window
// and starts a fresh window, which begins with the next request.
func (sb Sandbox) SetRateLimit(ctx context.Context, limit int, window time.Duration) error {
	_, err := sb.Call(ctx, http.MethodPost, "/control/rate_limit",
		map[string]any{"domain_prefix": DemoPrefix, "limit": limit, "window_seconds": int(window / time.Second)}, nil)
	return err
}

// Stats are the demo retailer's counters since the server started.
type Stats struct {
	Requests    map[string]int `json:"requests"` // API requests by route
	Total       int            `json:"total"`
	RateLimited int            `json:"rate_limited"` // 429s answered
	Webhooks    struct {
		Attempts  int `json:"attempts"`
		Delivered int `json:"delivered"`
		Abandoned int `json:"abandoned"` // given up after the last attempt
	} `json:"webhooks"`
}

// Stats reads the demo retailer's counters.
func (sb Sandbox) Stats(ctx context.Context) (Stats, error) {
	var out struct{ Data map[string]Stats }
	if _, err := sb.Call(ctx, http.MethodGet, "/control/stats?domain_prefix="+DemoPrefix, nil, &out); err != nil {
		return Stats{}, err
	}
	st, ok := out.Data[DemoPrefix]
	if !ok {
		return st, fmt.Errorf("sandbox stats have no retailer %q", DemoPrefix)
	}
	return st, nil
}

// Sale is what the programs read of a sale.
type Sale struct {
	ID        string     `json:"id"`
	State     string     `json:"state"`
	DeletedAt *string    `json:"deleted_at"`
	Version   int64      `json:"version"`
	Source    SaleSource `json:"source"`
}

// SaleSource says which Leafly order a sale was made for.
type SaleSource struct {
	ID *string `json:"id"` // the Leafly order id
}

// Sales returns the demo retailer's sales (deleted ones too) made for the
// Leafly order leaflyID, or for every order with "", and how many sales
// each source id, i.e. each Leafly order id, has.
func (sb Sandbox) Sales(ctx context.Context, leaflyID string) ([]Sale, map[string]int, error) {
	var out struct {
		Data   []Sale         `json:"data"`
		Counts map[string]int `json:"counts_by_source_id"`
	}
	path := "/" + DemoPrefix + "/staff/sales"
	if leaflyID != "" {
		path += "?source_id=" + url.QueryEscape(leaflyID)
	}
	_, err := sb.Call(ctx, http.MethodGet, path, nil, &out)
	return out.Data, out.Counts, err
}

// StaffAction makes one staff action (pack, close, void) on a sale, as
// staff do in Lightspeed's UI: the sandbox changes the sale and sends the
// signed sale.update webhook. It returns the HTTP status as Call does.
func (sb Sandbox) StaffAction(ctx context.Context, saleID, action string) (int, error) {
	return sb.Call(ctx, http.MethodPost, "/"+DemoPrefix+"/staff/sales/"+saleID+"/"+action, nil, nil)
}
