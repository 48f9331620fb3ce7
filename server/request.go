package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/gqlws"
)

// readBody reads a GraphQL request body in full before gqlgen sees it, so a
// body too large (413), too slow (408) or cut short (400) is answered with
// a coded error rather than gqlgen's uncoded one.
func readBody(timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == http.NoBody || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > maxBodyBytes {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, domain.CodeBadUserInput, "The request body is larger than 1 MiB.")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			status, message := bodyRefusal(err, timeout)
			writeGraphQLError(w, status, domain.CodeBadUserInput, message)
			return
		}
		r.Body = &readBytes{Reader: bytes.NewReader(body), all: body}
		next.ServeHTTP(w, r)
	})
}

// readBytes is a body readBody has read.
type readBytes struct {
	*bytes.Reader
	all []byte
}

func (*readBytes) Close() error { return nil }

// requestBody is what is left to read of r's body: without a copy when
// readBody read it.
func requestBody(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(*readBytes); ok {
		return b.all[len(b.all)-b.Len():], nil
	}
	return io.ReadAll(r.Body)
}

// bodyRefusal is the status and message for a request body that could not
// be read.
func bodyRefusal(err error, timeout time.Duration) (int, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, "The request body is larger than 1 MiB."
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout, fmt.Sprintf("The request body did not arrive within %s (HTTP_READ_TIMEOUT).", timeout)
	default:
		return http.StatusBadRequest, "The request body could not be read."
	}
}

// checkTransport refuses with a coded error what gqlgen's transports would
// refuse with an uncoded one: a method or content type no transport takes,
// GET parameters that do not decode, and a bad websocket upgrade (which
// the websocket transport would answer in plain text). gqlgen's own
// refusal of a GET mutation is rewritten by getWriter.
func checkTransport(ws *gqlws.Implementation, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, code, message := transportRefusal(ws, w.Header(), r)
		switch {
		case status != 0:
			writeGraphQLError(w, status, code, message)
		case r.Method == http.MethodGet && r.Header.Get("Upgrade") == "":
			next.ServeHTTP(&getWriter{ResponseWriter: w}, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// transportRefusal is the status, code and message to refuse r with, or 0
// when a transport takes it; header gets the Allow of a 405.
func transportRefusal(ws *gqlws.Implementation, header http.Header, r *http.Request) (int, domain.Code, string) {
	if r.Header.Get("Upgrade") != "" {
		return upgradeRefusal(ws, header, r)
	}
	switch r.Method {
	case http.MethodOptions, http.MethodHead:
	case http.MethodGet:
		if message := badQueryString(r); message != "" {
			return http.StatusBadRequest, domain.CodeBadUserInput, message
		}
	case http.MethodPost:
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, domain.CodeBadUserInput, "Send GraphQL requests over POST as Content-Type: application/json."
		}
	default:
		header.Set("Allow", "GET, POST, OPTIONS")
		return http.StatusMethodNotAllowed, domain.CodeBadUserInput, "GraphQL is served over GET (queries only), POST and websockets."
	}
	return 0, "", ""
}

func upgradeRefusal(ws *gqlws.Implementation, header http.Header, r *http.Request) (int, domain.Code, string) {
	var he *gqlws.HandshakeError
	if !errors.As(ws.CheckHandshake(r), &he) {
		return 0, "", ""
	}
	code := domain.CodeBadUserInput
	switch he.Status {
	case http.StatusForbidden:
		code = domain.CodeForbidden
	case http.StatusMethodNotAllowed:
		header.Set("Allow", "GET")
	}
	return he.Status, code, "Websocket upgrade refused: " + he.Reason + "."
}

// badQueryString says what is wrong with a GET request's parameters, "" when
// gqlgen can decode them.
func badQueryString(r *http.Request) string {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "The query string could not be parsed."
	}
	for _, name := range []string{"variables", "extensions"} {
		var m map[string]any
		if v := q.Get(name); v != "" && json.Unmarshal([]byte(v), &m) != nil {
			return "The " + name + " parameter must be a JSON object."
		}
	}
	return ""
}

// getWriter turns gqlgen's refusal of a GET mutation (406 with an uncoded
// error) into 405 with a coded one, as GraphQL over HTTP asks.
type getWriter struct {
	http.ResponseWriter
	refused bool
}

func (g *getWriter) WriteHeader(status int) {
	if status != http.StatusNotAcceptable {
		g.ResponseWriter.WriteHeader(status)
		return
	}
	g.refused = true
	g.Header().Set("Allow", "POST")
	writeGraphQLError(g.ResponseWriter, http.StatusMethodNotAllowed, domain.CodeBadUserInput,
		"A GET request may only run a query: send mutations with POST.")
}

func (g *getWriter) Write(b []byte) (int, error) {
	if g.refused {
		return len(b), nil
	}
	return g.ResponseWriter.Write(b)
}

func (g *getWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
