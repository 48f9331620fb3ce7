package app

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// TestSendNotificationBacksOff checks a failed send is retried on the
// service's policy (a second, doubling), not River's default.
func TestSendNotificationBacksOff(t *testing.T) {
	t.Parallel()
	before := time.Now()
	next := (&sendNotificationWorker{}).NextRetry(&river.Job[sendNotificationArgs]{JobRow: &rivertype.JobRow{Attempt: 3}})
	if d := next.Sub(before); d < 4*time.Second || d > 5*time.Second {
		t.Errorf("third attempt retries in %v, want 4s", d)
	}
}
