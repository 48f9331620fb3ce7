package gqlws

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// HandshakeError is an upgrade request that a Transport would refuse: the
// HTTP status gorilla's Upgrader answers it with, and why.
type HandshakeError struct {
	Status int
	Reason string
}

func (e *HandshakeError) Error() string { return e.Reason }

// CheckHandshake returns the *HandshakeError a Transport would fail r with,
// or nil when the upgrade is acceptable: it makes the checks gorilla's
// Upgrader makes on the request, and applies Options.AllowedOrigins. A
// server calls it before the transport to answer a bad upgrade itself (see
// the package documentation).
func (i *Implementation) CheckHandshake(r *http.Request) error {
	switch {
	case !websocket.IsWebSocketUpgrade(r):
		return &HandshakeError{http.StatusBadRequest, "not a websocket upgrade: the Connection header must include upgrade and the Upgrade header websocket"}
	case r.Method != http.MethodGet:
		return &HandshakeError{http.StatusMethodNotAllowed, "a websocket upgrade must be a GET request"}
	case !hasToken(r.Header, "Sec-Websocket-Version", "13"):
		return &HandshakeError{http.StatusBadRequest, "unsupported websocket version: Sec-WebSocket-Version must be 13"}
	case !i.upgrader.CheckOrigin(r):
		return &HandshakeError{http.StatusForbidden, "the request's Origin is not allowed to open a websocket"}
	case !validKey(r.Header.Get("Sec-Websocket-Key")):
		return &HandshakeError{http.StatusBadRequest, "Sec-WebSocket-Key must be 16 bytes, base64-encoded"}
	}
	return nil
}

// hasToken reports whether a comma-separated header lists value.
func hasToken(h http.Header, name, value string) bool {
	for _, v := range h.Values(name) {
		for _, token := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), value) {
				return true
			}
		}
	}
	return false
}

func validKey(key string) bool {
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}
