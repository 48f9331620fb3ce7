package wait

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSleepWaitsTheDuration(t *testing.T) {
	t.Parallel()
	start := time.Now()
	if !Sleep(context.Background(), 20*time.Millisecond) {
		t.Fatal("Sleep with a live context reported the context ended")
	}
	if took := time.Since(start); took < 20*time.Millisecond {
		t.Fatalf("Sleep(20ms) returned after %s", took)
	}
}

func TestSleepGivesWayToTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep with an ended context reported the duration passed")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Sleep with an ended context took %s", took)
	}
}

func TestSleepEndsWhenTheContextEndsDuringIt(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep reported an hour passed")
	}
	if ctx.Err() == nil {
		t.Fatal("Sleep returned before the context ended")
	}
}

func TestGroupWaitsForTheGoroutines(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	var done atomic.Bool
	release := make(chan struct{})
	wg.Go(func() { <-release; done.Store(true) })
	close(release)
	if err := Group(context.Background(), &wg); err != nil || !done.Load() {
		t.Fatalf("Group returned %v with the goroutine done %v, want nil after it", err, done.Load())
	}
}

func TestGroupGivesWayToTheContext(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	release := make(chan struct{})
	defer close(release)
	wg.Go(func() { <-release })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := Group(ctx, &wg); err != context.DeadlineExceeded {
		t.Fatalf("Group with a goroutine still running returned %v, want the context's deadline", err)
	}
}
