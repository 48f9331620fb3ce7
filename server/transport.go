package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

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
	body, err := requestBody(r) // in memory already: readBody read it
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
func decodes(body []byte) bool { return decodeParams(body, new(graphql.RawParams)) == nil }

// decodeParams decodes body into p as gqlgen's transports do: numbers kept
// as json.Number, anything after the first JSON value ignored.
func decodeParams(body []byte, p *graphql.RawParams) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	return d.Decode(p)
}

// postTransport serves GraphQL over POST as gqlgen's transport.POST does
// (the same statuses, content types and error shapes), but writes each
// response by appending its data as the executor made it (appendResponse)
// instead of re-encoding the whole response with encoding/json, and takes
// the body readBody has already read without copying it again.
type postTransport struct{ transport.POST }

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r.Header.Get("Accept"))
	w.Header().Add("Content-Type", contentType)
	p := params.Get().(*graphql.RawParams)
	defer func() {
		*p = graphql.RawParams{}
		params.Put(p)
	}()
	start := graphql.Now()
	body, err := requestBody(r)
	if err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %v", err)}))
		return
	}
	if err := decodeParams(body, p); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		// The error presenter answers graph.BadBodyMessage for this message.
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded: %v", err)}))
		return
	}
	p.Headers = r.Header
	p.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	op, errs := exec.CreateOperationContext(ctx, p)
	if errs != nil {
		w.WriteHeader(statusFor(contentType, errs))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, op), errs))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, op)
	writeResponse(w, responses(ctx))
}

// params recycles the decoded requests, as gqlgen's transport.POST does:
// the operation keeps what it needs of them, not the struct.
var params = sync.Pool{New: func() any { return new(graphql.RawParams) }}

// responseContentType is the Content-Type gqlgen's HTTP transports answer
// a request accepting accept with: application/json unless the caller
// prefers application/graphql-response+json or names neither.
func responseContentType(accept string) string {
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case "application/graphql-response+json":
			return mediaType
		}
	}
	return "application/graphql-response+json"
}

// statusFor is the status of a request refused before it ran: a protocol
// error (a parse or validation failure) is 400 under
// application/graphql-response+json, 422 under application/json, as in
// gqlgen; anything else 200.
func statusFor(contentType string, errs gqlerror.List) int {
	switch {
	case errcode.GetErrorKind(errs) != errcode.KindProtocol:
		return http.StatusOK
	case contentType == "application/graphql-response+json":
		return http.StatusBadRequest
	default:
		return http.StatusUnprocessableEntity
	}
}

// responseBuffers recycles the buffers responses are built in; one larger
// than maxPooledResponse is left to the garbage collector.
var responseBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledResponse = 1 << 20

// writeResponse writes r as one JSON document in one Write, so that a
// response that fits net/http's buffer still gets a Content-Length.
func writeResponse(w http.ResponseWriter, r *graphql.Response) {
	bp := responseBuffers.Get().(*[]byte)
	b, err := appendResponse((*bp)[:0], r)
	if err != nil {
		panic(fmt.Errorf("encode response: %w", err)) // as gqlgen's transports do
	}
	_, _ = w.Write(b)
	if cap(b) <= maxPooledResponse {
		*bp = b
		responseBuffers.Put(bp)
	}
}

// appendResponse appends r to dst as json.Marshal encodes it, byte for byte,
// without json.Marshal's pass over the data, which the executor made as
// compact, valid JSON: only the characters json.Marshal escapes for HTML
// are escaped in it (appendHTMLSafe). Errors and extensions, rare, go
// through encoding/json; so does a response of incremental delivery.
func appendResponse(dst []byte, r *graphql.Response) ([]byte, error) {
	if r.Label != "" || r.Path != nil || r.HasNext != nil {
		b, err := json.Marshal(r)
		return append(dst, b...), err
	}
	dst = append(dst, '{')
	if len(r.Errors) > 0 {
		b, err := json.Marshal(r.Errors)
		if err != nil {
			return dst, err
		}
		dst = append(append(append(dst, `"errors":`...), b...), ',')
	}
	dst = append(dst, `"data":`...)
	if len(r.Data) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = appendHTMLSafe(dst, r.Data)
	}
	if len(r.Extensions) > 0 {
		b, err := json.Marshal(r.Extensions)
		if err != nil {
			return dst, err
		}
		dst = append(append(dst, `,"extensions":`...), b...)
	}
	return append(dst, '}'), nil
}

// appendHTMLSafe appends the JSON src to dst with <, >, & and the line and
// paragraph separators escaped, as json.Marshal does to a json.RawMessage.
// Data rarely holds any: four vectorised scans find none far faster than one
// pass of comparisons over each byte.
func appendHTMLSafe(dst, src []byte) []byte {
	if bytes.IndexByte(src, '<') < 0 && bytes.IndexByte(src, '>') < 0 && bytes.IndexByte(src, '&') < 0 && bytes.IndexByte(src, 0xE2) < 0 {
		return append(dst, src...)
	}
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '<', c == '>', c == '&':
			dst = append(append(dst, src[start:i]...), '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8:
			dst = append(append(dst, src[start:i]...), '\\', 'u', '2', '0', '2', hex[src[i+2]&0xF])
			i += 2
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}
