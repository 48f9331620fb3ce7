package events

import "testing"

// The seen-set is unexported and its window edges are hard to reach through
// the brokers (65,536 events), so it is tested from inside.

func TestSeenSet(t *testing.T) {
	var s seenSet
	for _, seq := range []int64{1, 3, seenWindow} {
		s.add(seq)
	}
	for seq, want := range map[int64]bool{1: true, 2: false, 3: true, seenWindow: true, seenWindow + 1: false} {
		if got := s.has(seq); got != want {
			t.Errorf("has(%d) = %t, want %t", seq, got, want)
		}
	}

	s.add(seenWindow + 2) // slides 1 and 2 out: too old counts as seen
	for seq, want := range map[int64]bool{1: true, 2: true, 3: true, 4: false, seenWindow + 1: false, seenWindow + 2: true} {
		if got := s.has(seq); got != want {
			t.Errorf("after sliding, has(%d) = %t, want %t", seq, got, want)
		}
	}

	s.raise(10 * seenWindow) // a jump forgets everything in the window
	for seq, want := range map[int64]bool{9*seenWindow + 1: false, 10 * seenWindow: false, 9 * seenWindow: true} {
		if got := s.has(seq); got != want {
			t.Errorf("after the jump, has(%d) = %t, want %t", seq, got, want)
		}
	}
}
