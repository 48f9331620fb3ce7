package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// graphQL posts GraphQL requests to a server with one bearer token.
type graphQL struct {
	url   string
	token string
	http  *http.Client
}

// client returns a GraphQL client of the server for a token, over its own
// transport when conns > 0 (one kept-alive connection per concurrent
// caller), else over the server's shared one.
func (s *serverProcess) client(token string, conns int) graphQL {
	hc := s.http
	if conns > 0 {
		hc = &http.Client{Timeout: 30 * time.Second, Transport: newTransport(conns)}
	}
	return graphQL{url: s.url + "/query", token: token, http: hc}
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// do posts query and decodes the response's data into data (unless nil). A
// transport failure, a status other than 200 and any GraphQL error are
// errors.
func (g graphQL) do(ctx context.Context, query string, vars map[string]any, data any) error {
	body, err := json.Marshal(gqlRequest{Query: query, Variables: vars})
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
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	err = json.NewDecoder(resp.Body).Decode(&r)
	_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
	switch {
	case err != nil:
		return fmt.Errorf("status %d, undecodable body: %w", resp.StatusCode, err)
	case len(r.Errors) > 0:
		return fmt.Errorf("status %d, %s: %s", resp.StatusCode, r.Errors[0].Extensions["code"], r.Errors[0].Message)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case data != nil:
		return json.Unmarshal(r.Data, data)
	}
	return nil
}

// token mints a token valid for the whole run.
func (b *bench) token(role domain.Role, stores ...string) string {
	t, err := b.tokens.Mint(domain.Principal{Subject: "loadtest", Role: role, Stores: stores}, 24*time.Hour, time.Now())
	if err != nil {
		panic(err) // HS256 signing with a non-empty key does not fail
	}
	return t
}
