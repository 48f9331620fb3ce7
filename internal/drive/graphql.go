package drive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// GraphQL posts GraphQL requests over HTTP to a server with one bearer
// token.
type GraphQL struct {
	URL   string // the server's GraphQL endpoint: http://host:port/query
	Token string
	HTTP  *http.Client
}

// Error is a GraphQL error answer: the response's first error.
type Error struct {
	Status  int    // the HTTP status
	Code    string // extensions.code, "" if none
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("status %d, %s: %s", e.Status, e.Code, e.Message)
}

type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// Do posts query with vars and decodes the response's data into data
// (unless nil). A transport failure, a status other than 200 and any
// GraphQL error (an *Error) are errors.
func (g GraphQL) Do(ctx context.Context, query string, vars map[string]any, data any) error {
	body, err := json.Marshal(request{Query: query, Variables: vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := g.HTTP.Do(req)
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
	switch err := json.Unmarshal(raw, &r); {
	case err != nil:
		return fmt.Errorf("status %d, undecodable body %q: %w", resp.StatusCode, truncate(string(raw), 200), err)
	case len(r.Errors) > 0:
		code, _ := r.Errors[0].Extensions["code"].(string)
		return &Error{Status: resp.StatusCode, Code: code, Message: r.Errors[0].Message}
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case data != nil:
		return json.Unmarshal(r.Data, data)
	}
	return nil
}

// truncate shortens s to n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
