package model

import (
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// ErrTimeFormat is why a Time input was refused: the caller's mistake, which
// the error presenter reports as BAD_USER_INPUT naming the input.
var ErrTimeFormat = errors.New("must be a date-time in RFC 3339 format, such as 2026-07-01T00:00:00Z")

// MarshalTime writes a Time as gqlgen's builtin scalar does (RFC 3339).
func MarshalTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalTime reads a Time input as gqlgen's builtin scalar does, refusing
// anything else with ErrTimeFormat rather than an error the presenter
// cannot tell from a fault of the service.
func UnmarshalTime(v any) (time.Time, error) {
	t, err := graphql.UnmarshalTime(v)
	if err != nil {
		return time.Time{}, ErrTimeFormat
	}
	return t, nil
}
