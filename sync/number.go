package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Number is a decimal amount or quantity as Lightspeed writes it. Responses
// carry money and quantities as JSON numbers or as numeric strings
// ("5.00" in fulfillments, "12" in the Sales 101 examples); Number accepts
// both and keeps the decimal text exactly, so no float rounding creeps into
// money. It marshals as a JSON number, which is what the 2026-07 schemas
// declare (type number), and as null when empty, so a required amount left
// unset is refused loudly by Lightspeed instead of silently sent as 0.
type Number string

// NumberFromCents returns the decimal for an amount in cents, e.g. 1250 → "12.50".
func NumberFromCents(cents int64) Number {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-(cents+1))+1
	}
	return Number(fmt.Sprintf("%s%d.%02d", sign, u/100, u%100))
}

// NumberFromFloat returns the shortest decimal that round-trips f.
func NumberFromFloat(f float64) Number {
	return Number(strconv.FormatFloat(f, 'f', -1, 64))
}

// NumberFromInt returns the decimal for a whole number, e.g. a quantity.
func NumberFromInt(n int64) Number { return Number(strconv.FormatInt(n, 10)) }

// String returns the decimal text ("" when unset).
func (n Number) String() string { return string(n) }

// Float64 returns the value as a float (0 when unset or malformed).
func (n Number) Float64() float64 {
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

// Cents returns the value in cents, rounded half away from zero; ok is false
// when the value is unset, malformed or out of range.
func (n Number) Cents() (cents int64, ok bool) {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(m.Abs(m), big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(r.Sign())))
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// Int64 returns the value truncated to an integer (0 when unset or malformed);
// versions and ids travel through Number when they may arrive as strings.
func (n Number) Int64() int64 {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i
	}
	f := n.Float64()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return int64(f)
}

// MarshalJSON writes the decimal as a JSON number, or null when unset.
func (n Number) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("null"), nil
	}
	if !isJSONNumber(string(n)) {
		return nil, fmt.Errorf("number %q is not a decimal", string(n))
	}
	return []byte(n), nil
}

// UnmarshalJSON accepts a JSON number, a numeric string, an empty string or null.
func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = ""
			return nil
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return fmt.Errorf("number %q is not a decimal", s)
		}
		*n = Number(s)
		return nil
	case isJSONNumber(string(b)):
		*n = Number(b)
		return nil
	}
	return fmt.Errorf("number: unexpected JSON %.20q", b)
}

// isJSONNumber reports whether s is a number literal JSON accepts as-is.
func isJSONNumber(s string) bool {
	return s != "" && json.Valid([]byte(s)) && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))
}

// idString decodes an identifier Lightspeed may write as a string or a number
// (address ids are int64 in one schema and strings in another).
type idString string

// UnmarshalJSON accepts a JSON string, a number or null.
func (s *idString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var v string
		err := json.Unmarshal(b, &v)
		*s = idString(v)
		return err
	}
	var n Number
	if err := n.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	*s = idString(n)
	return nil
}
