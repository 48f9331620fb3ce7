package storage

import (
	"encoding/binary"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// rawRows is pgx's rows with a Scan that decodes, itself, the columns of
// the types the service's tables hold (text, integers, booleans,
// timestamptz) into the destinations its scans use (strings, integers,
// booleans and times, and pointers to them for NULL). pgx plans the scan of
// every column of every read again, with reflection for a pointer to a
// pointer; a read of an order is a few dozen columns. Anything else, and any
// value it does not take (NULL into a destination that cannot hold it, a
// timestamp at infinity or out of range), is left to pgx's own Scan of the
// whole row, so that the result, or the error, is what pgx makes of it.
type rawRows struct{ pgx.Rows }

func (r rawRows) Scan(dest ...any) error {
	fields, values := r.FieldDescriptions(), r.RawValues()
	if len(dest) != len(values) || len(fields) != len(values) {
		return r.Rows.Scan(dest...)
	}
	for i, d := range dest {
		if d != nil && !decodeRaw(fields[i], values[i], d) {
			return r.Rows.Scan(dest...)
		}
	}
	return nil
}

// decodeRaw decodes v, the value of a column described by f (nil for
// NULL), into dest, as pgx would; false when it leaves that to pgx.
func decodeRaw(f pgconn.FieldDescription, v []byte, dest any) bool {
	switch d := dest.(type) {
	case *string:
		if v == nil || !textual(f) {
			return false
		}
		*d = string(v)
	case **string:
		if !textual(f) {
			return false
		}
		*d = nil
		if v != nil {
			s := string(v)
			*d = &s
		}
	case *int64:
		n, ok := integer(f, v)
		if !ok {
			return false
		}
		*d = n
	case **int64:
		if v == nil {
			_, ok := integerSize(f)
			*d = nil
			return ok
		}
		n, ok := integer(f, v)
		if !ok {
			return false
		}
		*d = &n
	case *int:
		n, ok := integer(f, v)
		if !ok {
			return false
		}
		*d = int(n)
	case *bool:
		if f.DataTypeOID != pgtype.BoolOID || f.Format != pgx.BinaryFormatCode || len(v) != 1 {
			return false
		}
		*d = v[0] == 1
	case *time.Time:
		t, ok := timestamptz(f, v)
		if !ok {
			return false
		}
		*d = t
	case **time.Time:
		if v == nil {
			*d = nil
			return f.DataTypeOID == pgtype.TimestamptzOID
		}
		t, ok := timestamptz(f, v)
		if !ok {
			return false
		}
		*d = &t
	default:
		return false
	}
	return true
}

// textual is whether f is text or varchar, whose values are their bytes in
// either format.
func textual(f pgconn.FieldDescription) bool {
	return f.DataTypeOID == pgtype.TextOID || f.DataTypeOID == pgtype.VarcharOID
}

// integerSize is the size of f's integer in the binary format; false when
// f is not an integer sent in it.
func integerSize(f pgconn.FieldDescription) (int, bool) {
	if f.Format != pgx.BinaryFormatCode {
		return 0, false
	}
	switch f.DataTypeOID {
	case pgtype.Int8OID:
		return 8, true
	case pgtype.Int4OID:
		return 4, true
	case pgtype.Int2OID:
		return 2, true
	}
	return 0, false
}

// integer decodes a binary integer of any size; false for NULL.
func integer(f pgconn.FieldDescription, v []byte) (int64, bool) {
	size, ok := integerSize(f)
	if !ok || len(v) != size {
		return 0, false
	}
	switch size {
	case 8:
		return int64(binary.BigEndian.Uint64(v)), true
	case 4:
		return int64(int32(binary.BigEndian.Uint32(v))), true
	default:
		return int64(int16(binary.BigEndian.Uint16(v))), true
	}
}

// Timestamptz's binary format is microseconds since 2000-01-01 UTC, with
// infinity at the int64's extremes. Values from year 858 to year 38559 are
// decoded here; pgx refuses some beyond, and the rest are left to it too.
const (
	y2kUnixMicros = 946_684_800_000_000
	minMicros     = -1 << 55
	maxMicros     = 1 << 60
)

// timestamptz decodes a binary timestamptz as pgx does, in the local time
// zone; false for NULL and beyond minMicros and maxMicros.
func timestamptz(f pgconn.FieldDescription, v []byte) (time.Time, bool) {
	if f.DataTypeOID != pgtype.TimestamptzOID || f.Format != pgx.BinaryFormatCode || len(v) != 8 {
		return time.Time{}, false
	}
	us := int64(binary.BigEndian.Uint64(v))
	if us < minMicros || us >= maxMicros {
		return time.Time{}, false
	}
	return time.UnixMicro(y2kUnixMicros + us), true
}
