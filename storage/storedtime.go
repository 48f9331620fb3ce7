package storage

import (
	"fmt"
	"slices"
	"time"
)

// SQLite keeps times as text, in the layout the driver writes
// (storedLayout: "2026-12-05 17:04:05.123456+00:00"). Read from a column
// declared DATETIME, the driver parses that text itself, first as a
// time.String() (which fails, and allocates its error) and then in its
// layouts: on a page of orders, a twentieth of the server's CPU. The reads
// of a page (windowRows, loadHistory) therefore read SQLite's times as
// expressions (timesAsText), which the driver hands over as text, and scan
// them with storedTime.

// storedLayout is the layout the driver writes times in (_time_format=sqlite).
const storedLayout = "2006-01-02 15:04:05.999999999-07:00"

// storedLayouts are the layouts the driver reads besides storedLayout, in
// its order: a time without a zone is UTC.
var storedLayouts = []string{storedLayout, "2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

// timesAsText returns columns and their scan destinations with each time
// column (its destination a *time.Time) read as an expression of the same
// value, so that SQLite reports no declared type and the driver returns its
// text as it is, and scanned by storedTime.
func timesAsText(columns []string, dest []any) ([]string, []any) {
	columns, dest = slices.Clone(columns), slices.Clone(dest)
	for i, d := range dest {
		if t, ok := d.(*time.Time); ok {
			columns[i], dest[i] = "+"+columns[i]+" AS "+columns[i], storedTime{t}
		}
	}
	return columns, dest
}

// storedTime scans a time into t: a time kept as text by parseStoredTime,
// a time.Time (what a read in a transaction, on gorm's connection, gets) as
// it is.
type storedTime struct{ t *time.Time }

func (s storedTime) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case time.Time:
		*s.t = v
	case string:
		*s.t, err = parseStoredTime(v)
	case []byte:
		*s.t, err = parseStoredTime(string(v))
	default:
		err = fmt.Errorf("scan %T into a time", src)
	}
	return err
}

// parseStoredTime parses a time SQLite keeps as text, in UTC: storedLayout
// (a fraction of 0 to 9 digits, the zone an offset or Z) without time.Parse,
// anything else as the driver would (storedLayouts; a Z suffix is UTC).
func parseStoredTime(s string) (time.Time, error) {
	if t, ok := parseStoredLayout(s); ok {
		return t, nil
	}
	trimmed := s
	if n := len(s); n > 0 && s[n-1] == 'Z' {
		trimmed = s[:n-1]
	}
	for _, layout := range storedLayouts {
		if t, err := time.Parse(layout, trimmed); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("stored time %q: not in a layout SQLite's driver writes", s)
}

// parseStoredLayout parses "YYYY-MM-DD HH:MM:SS[.F{1,9}](Z|±HH:MM)";
// false for anything else, time.Parse's ranges included (a month 1 to 12, a
// day within its month, an hour below 24, minutes and seconds below 60).
func parseStoredLayout(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02 15:04:05Z") || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest, nsec := s[19:], 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && n <= 9 && rest[n] >= '0' && rest[n] <= '9' {
			nsec = nsec*10 + int(rest[n]-'0')
			n++
		}
		if n == 1 || (n < len(rest) && rest[n] >= '0' && rest[n] <= '9') {
			return time.Time{}, false
		}
		for range 10 - n {
			nsec *= 10
		}
		rest = rest[n:]
	}
	offset := 0
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 24 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// digits is the decimal number s spells, false when s holds anything else.
func digits(s string) (int, bool) {
	n := 0
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn is the number of days of month in year.
func daysIn(month time.Month, year int) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
