package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/graph"
)

// Wrappers of gqlgen's HTTP transports that refuse a request they cannot
// decode themselves: gqlgen's refusals carry no extensions.code, or quote
// the request.

// sseTransport is gqlgen's server-sent-events transport, except that a body
// that does not decode as a GraphQL request is refused here, with a message
// that quotes nothing of it: gqlgen's own refusal writes the body to the
// standard log, and the body may hold a Lightspeed token.
type sseTransport struct{ transport.SSE }

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeGraphQLError(w, http.StatusRequestEntityTooLarge, domain.CodeBadUserInput, "The request body is larger than 1 MiB.")
	case err != nil || !decodes(body):
		writeGraphQLError(w, http.StatusBadRequest, domain.CodeBadUserInput, graph.BadBodyMessage)
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		t.SSE.Do(w, r, exec)
	}
}

// decodes reports whether body decodes as gqlgen's transports decode it.
func decodes(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	return d.Decode(new(graphql.RawParams)) == nil
}

// getTransport is gqlgen's GET transport, except that a query string, or a
// variables or extensions parameter, that does not decode is refused here
// with BAD_USER_INPUT.
type getTransport struct{ transport.GET }

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || !decodesObject(q.Get("variables")) || !decodesObject(q.Get("extensions")) {
		writeGraphQLError(w, http.StatusBadRequest, domain.CodeBadUserInput,
			"The query string is not a valid GraphQL request: variables and extensions must be JSON objects.")
		return
	}
	t.GET.Do(w, r, exec)
}

// decodesObject reports whether a GET parameter is absent or decodes as
// gqlgen decodes it: a JSON object.
func decodesObject(s string) bool {
	if s == "" {
		return true
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(new(map[string]any)) == nil
}
