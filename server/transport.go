package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/graph"
)

// sseTransport is gqlgen's server-sent-events transport, except that a body
// that does not decode as a GraphQL request is refused here, with a message
// that quotes nothing of it: gqlgen's own refusal writes the body to the
// standard log, and the body may hold a Lightspeed token. Every stream
// also ends when streams does (at shutdown).
type sseTransport struct {
	transport.SSE
	streams context.Context
}

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body) // in memory already: readBody read it
	if err != nil || !decodes(body) {
		writeGraphQLError(w, http.StatusBadRequest, domain.CodeBadUserInput, graph.BadBodyMessage)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(t.streams, cancel)()
	t.SSE.Do(w, r.WithContext(ctx), exec)
}

// decodes reports whether body decodes as gqlgen's transports decode it.
func decodes(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	return d.Decode(new(graphql.RawParams)) == nil
}
