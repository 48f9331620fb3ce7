package storage

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// cursorKey is the sort key a cursor names: (created_at, id).
type cursorKey struct {
	at time.Time
	id string
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "c1:"

// encodeCursor returns the opaque cursor of a row with this sort key.
func encodeCursor(t time.Time, id string) string {
	raw := cursorPrefix + strconv.FormatInt(t.UnixMicro(), 10) + ":" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reverses encodeCursor; anything else is a BAD_USER_INPUT error.
func decodeCursor(c string) (time.Time, string, error) {
	bad := domain.Errorf(domain.CodeBadUserInput, "The cursor %q is not valid: pass a startCursor, endCursor or edge cursor this API returned.", truncate(c, 64))
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return time.Time{}, "", bad
	}
	micros, id, ok := strings.Cut(strings.TrimPrefix(string(raw), cursorPrefix), ":")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 {
		return time.Time{}, "", bad
	}
	return time.UnixMicro(n).UTC(), id, nil
}

// optionalCursor decodes c, which may be empty (no cursor).
func optionalCursor(c string) (*cursorKey, error) {
	if c == "" {
		return nil, nil
	}
	at, id, err := decodeCursor(c)
	if err != nil {
		return nil, err
	}
	return &cursorKey{at, id}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
