package pos

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// nextRetry is when w would retry a job of args after its attempt-th run.
func nextRetry[T river.JobArgs](w river.Worker[T], args T, attempt int) time.Time {
	return w.NextRetry(&river.Job[T]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: args})
}

// TestWorkersBackOff checks the workers that call out retry after a second,
// doubling up to a minute, and not by River's default policy.
func TestWorkersBackOff(t *testing.T) {
	t.Parallel()
	workers := map[string]func(attempt int) time.Time{
		"send_order": func(n int) time.Time { return nextRetry(&sendOrderWorker{}, SendOrderArgs{}, n) },
		"void_sale":  func(n int) time.Time { return nextRetry(&voidSaleWorker{}, VoidSaleArgs{}, n) },
		"apply_sale": func(n int) time.Time { return nextRetry(&applySaleWorker{}, applySaleArgs{}, n) },
	}
	for name, next := range workers {
		for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 6: 32 * time.Second, 7: time.Minute, 25: time.Minute} {
			before := time.Now()
			got := next(attempt)
			if got.Before(before.Add(want)) || got.After(time.Now().Add(want)) {
				t.Errorf("%s after attempt %d retries in %v, want %v", name, attempt, got.Sub(before), want)
			}
		}
	}
}
