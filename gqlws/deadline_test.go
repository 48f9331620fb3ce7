package gqlws

import (
	"net"
	"strings"
	"testing"
	"time"
)

// deadlineRecorder records the write deadlines set on it.
type deadlineRecorder struct {
	net.Conn
	set []time.Time
}

func (r *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	r.set = append(r.set, t)
	return nil
}

// SetDeadline sets the write deadline too.
func (r *deadlineRecorder) SetDeadline(t time.Time) error { return r.SetWriteDeadline(t) }

// TestDeadlineConn: a later write deadline is set only once it moves the
// one in force by the slack or more; an earlier one and none always are,
// and so is every deadline set with SetDeadline, which the next write
// deadline is measured from.
func TestDeadlineConn(t *testing.T) {
	t.Parallel()
	rec := &deadlineRecorder{}
	c := &deadlineConn{Conn: rec, slack: time.Second}
	base := time.Unix(1_000_000, 0)
	steps := []struct {
		what string
		at   time.Time
		set  bool
	}{
		{"the first", base, true},
		{"less than the slack later", base.Add(999 * time.Millisecond), false},
		{"the same", base, false},
		{"the slack later", base.Add(time.Second), true},
		{"earlier (a close frame's)", base.Add(100 * time.Millisecond), true},
		{"none", time.Time{}, true},
		{"none again", time.Time{}, true},
		{"one after none", base.Add(200 * time.Millisecond), true},
		{"both, later by less than the slack", base.Add(300 * time.Millisecond), true},
		{"less than the slack past both", base.Add(1200 * time.Millisecond), false},
	}
	for _, s := range steps {
		before := len(rec.set)
		setter := c.SetWriteDeadline
		if strings.HasPrefix(s.what, "both") {
			setter = c.SetDeadline
		}
		if err := setter(s.at); err != nil {
			t.Fatal(err)
		}
		if set := len(rec.set) > before; set != s.set {
			t.Errorf("%s: set %v, want %v", s.what, set, s.set)
		} else if set && !rec.set[len(rec.set)-1].Equal(s.at) {
			t.Errorf("%s: set %v, want %v", s.what, rec.set[len(rec.set)-1], s.at)
		}
	}
}
