package storage

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// TestRawRowsScanAsPgx decodes every column of a row of the types the
// tables hold, NULL, extreme and ordinary values, into every kind of
// destination the service's scans use and one they do not (a named string
// type): what decodeRaw decodes itself must be what pgx's own Scan makes of
// it, without an error; the rest it leaves to pgx. Then rawRows scans whole
// rows, one with a column it leaves to pgx, as pgx does.
func TestRawRowsScanAsPgx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	columns := []string{
		"'Ada Lovelace'::text", "''::text", "NULL::text", "'v'::varchar", "'x'::char(3)",
		"42::int8", "(-9223372036854775807 - 1)::int8", "NULL::int8", "(-7)::int4", "2147483647::int4", "3::int2",
		"true", "false", "NULL::boolean",
		"'2026-12-05 01:02:03.456789+00'::timestamptz", "'1999-12-31 23:59:59.999999+00'::timestamptz",
		"'1960-05-01 12:00:00.5+02'::timestamptz", "NULL::timestamptz", "'infinity'::timestamptz",
		"'-infinity'::timestamptz", "'0001-01-01 00:00:00+00'::timestamptz", "'2026-12-05 01:02:03'::timestamp",
		"1.5::float8", `'{"a":1}'::jsonb`,
	}
	type named string
	dests := []func() any{
		func() any { return new(string) }, func() any { return new(*string) },
		func() any { return new(int64) }, func() any { return new(*int64) }, func() any { return new(int) },
		func() any { return new(bool) }, func() any { return new(time.Time) }, func() any { return new(*time.Time) },
		func() any { return new(named) },
	}
	// row runs a query of the one column c and hands its row to scan.
	row := func(c string, scan func(pgx.Rows)) {
		rows, err := conn.Query(ctx, "SELECT "+c)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if !rows.Next() {
			t.Fatalf("%s: no row: %v", c, rows.Err())
		}
		scan(rows)
	}
	decoded := map[string]bool{}
	for _, c := range columns {
		for _, dest := range dests {
			got, want := dest(), dest()
			var handled bool
			row(c, func(rows pgx.Rows) { handled = decodeRaw(rows.FieldDescriptions()[0], rows.RawValues()[0], got) })
			if !handled {
				continue
			}
			decoded[fmt.Sprintf("%s into %T", c, got)] = true
			var err error
			row(c, func(rows pgx.Rows) { err = rows.Scan(want) })
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s into %T: decoded %s; pgx made %s, %v", c, got, shown(got), shown(want), err)
			}
		}
	}
	for _, c := range []string{"'Ada Lovelace'::text into *string", "NULL::text into **string", "'v'::varchar into *string",
		"42::int8 into *int64", "NULL::int8 into **int64", "(-7)::int4 into *int", "true into *bool",
		"'1960-05-01 12:00:00.5+02'::timestamptz into *time.Time", "NULL::timestamptz into **time.Time"} {
		if !decoded[c] {
			t.Errorf("%s is left to pgx", c)
		}
	}
	for _, c := range []string{"'x'::char(3) into *string", "NULL::text into *string", "'infinity'::timestamptz into *time.Time",
		"'2026-12-05 01:02:03'::timestamp into *time.Time", "true into *string", "'Ada Lovelace'::text into *storage.named"} {
		if decoded[c] {
			t.Errorf("%s is decoded, not left to pgx", c)
		}
	}

	// Whole rows, one with a column rawRows leaves to pgx.
	for _, q := range []string{`'a'::text, NULL::text, 7::int8, '2026-12-05 01:02:03+00'::timestamptz`, `'a'::text, 7::int8, '{"a":1}'::jsonb`} {
		scan := func(raw bool) (d []any, err error) {
			row(q, func(rows pgx.Rows) {
				d = []any{new(string), new(*string), new(int64), new(time.Time)}
				if len(rows.RawValues()) == 3 {
					d = []any{new(string), new(int64), new(map[string]any)}
				}
				if raw {
					err = rawRows{rows}.Scan(d...)
				} else {
					err = rows.Scan(d...)
				}
			})
			return d, err
		}
		got, gotErr := scan(true)
		want, wantErr := scan(false)
		if gotErr != nil || wantErr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SELECT %s: rawRows scanned %v, %v; pgx %v, %v", q, got, gotErr, want, wantErr)
		}
	}
}

// shown is what the destination d points to, and what that points to.
func shown(d any) string {
	v := reflect.ValueOf(d).Elem()
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return fmt.Sprintf("%#v", v.Interface())
}
