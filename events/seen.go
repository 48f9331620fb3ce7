package events

// seenWindow is how many of the most recent seqs the seen-set remembers, in
// 8 KiB. A notification for a seq that far below the highest one seen is
// ignored.
const seenWindow = 1 << 16

// seenSet remembers which seqs of the window (highest-seenWindow, highest]
// were delivered, one bit each, and treats every older seq as delivered. It
// never allocates after it is made; the caller synchronises access.
type seenSet struct {
	bits    [seenWindow / 64]uint64
	highest int64
}

// has reports whether seq was delivered (or is too old to deliver).
func (s *seenSet) has(seq int64) bool {
	switch {
	case seq > s.highest:
		return false
	case seq <= s.highest-seenWindow:
		return true
	}
	i := uint64(seq) % seenWindow
	return s.bits[i/64]&(1<<(i%64)) != 0
}

// add records seq as delivered, sliding the window up when seq is the new
// highest.
func (s *seenSet) add(seq int64) {
	s.raise(seq)
	if seq <= s.highest-seenWindow {
		return
	}
	i := uint64(seq) % seenWindow
	s.bits[i/64] |= 1 << (i % 64)
}

// raise makes seq the highest seq of the window, if it is higher, forgetting
// the seqs that slide out.
func (s *seenSet) raise(seq int64) {
	if seq <= s.highest {
		return
	}
	if seq-s.highest >= seenWindow {
		s.bits = [seenWindow / 64]uint64{}
		s.highest = seq
		return
	}
	for s.highest < seq {
		s.highest++
		i := uint64(s.highest) % seenWindow
		s.bits[i/64] &^= 1 << (i % 64)
	}
}
