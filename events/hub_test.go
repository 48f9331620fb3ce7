package events_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/events"
)

// deadline bounds every wait of these tests.
const deadline = 5 * time.Second

func TestHubFansOutToManySubscribers(t *testing.T) {
	hub := events.NewHub(events.HubOptions{})
	ctx := t.Context()
	subs := make([]<-chan domain.Event, 10_000)
	for i := range subs {
		subs[i] = hub.Subscribe(ctx, "store-1")
	}
	other := hub.Subscribe(ctx, "store-2")
	if got, want := hub.Subscribers(), 10_001; got != want {
		t.Fatalf("Subscribers() = %d, want %d", got, want)
	}

	mustPublish(t, hub, event(1, "store-1"))

	for i, ch := range subs {
		if got := mustReceive(t, ch); got.Seq != 1 {
			t.Fatalf("subscriber %d got seq %d, want 1", i, got.Seq)
		}
	}
	assertEmpty(t, other)
}

func TestHubDropsSlowSubscriber(t *testing.T) {
	var drops atomic.Int64
	hub := events.NewHub(events.HubOptions{Buffer: 2, OnDrop: func() { drops.Add(1) }})
	slow := hub.Subscribe(t.Context(), "store-1")
	fast := hub.Subscribe(t.Context(), "store-1")

	for seq := int64(1); seq <= 5; seq++ {
		publishWithin(t, hub, event(seq, "store-1"))
		if got := mustReceive(t, fast); got.Seq != seq {
			t.Fatalf("fast subscriber got seq %d, want %d", got.Seq, seq)
		}
	}

	if got := drops.Load(); got != 1 {
		t.Errorf("drops = %d, want 1", got)
	}
	if got := hub.Subscribers(); got != 1 {
		t.Errorf("Subscribers() = %d, want 1", got)
	}
	assertSeqs(t, drain(t, slow), 1, 2) // what it buffered, then closed
}

func TestHubUnsubscribesOnCancel(t *testing.T) {
	hub := events.NewHub(events.HubOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	ch := hub.Subscribe(ctx, "store-1")
	stays := hub.Subscribe(t.Context(), "store-1")
	if got := hub.Subscribers(); got != 2 {
		t.Fatalf("Subscribers() = %d, want 2", got)
	}

	cancel()

	assertSeqs(t, drain(t, ch))
	if got := hub.Subscribers(); got != 1 {
		t.Errorf("Subscribers() after cancel = %d, want 1", got)
	}
	mustPublish(t, hub, event(1, "store-1"))
	if got := mustReceive(t, stays); got.Seq != 1 {
		t.Errorf("remaining subscriber got seq %d, want 1", got.Seq)
	}
}

func TestHubSubscribeWithEndedContext(t *testing.T) {
	hub := events.NewHub(events.HubOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assertSeqs(t, drain(t, hub.Subscribe(ctx, "store-1")))
	if got := hub.Subscribers(); got != 0 {
		t.Errorf("Subscribers() = %d, want 0", got)
	}
}

func TestHubClose(t *testing.T) {
	hub := events.NewHub(events.HubOptions{})
	a := hub.Subscribe(t.Context(), "store-1")
	b := hub.Subscribe(t.Context(), "store-2")
	mustPublish(t, hub, event(1, "store-1"))

	hub.Close()

	assertSeqs(t, drain(t, a), 1)
	assertSeqs(t, drain(t, b))
	if got := hub.Subscribers(); got != 0 {
		t.Errorf("Subscribers() = %d, want 0", got)
	}
	assertSeqs(t, drain(t, hub.Subscribe(t.Context(), "store-1")))
	mustPublish(t, hub, event(2, "store-1"))
	hub.Close() // twice is harmless
}

// TestHubConcurrentUse is for -race: subscribers come and go while others
// publish and drain.
func TestHubConcurrentUse(t *testing.T) {
	hub := events.NewHub(events.HubOptions{Buffer: 4})
	stores := []string{"store-1", "store-2", "store-3"}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { churn(hub, stores[w%len(stores)], 200) })
	}
	for p := range 4 {
		wg.Go(func() {
			for seq := range int64(500) {
				_ = hub.Publish(context.Background(), event(seq+1, stores[(p+int(seq))%len(stores)]))
			}
		})
	}
	wg.Wait()
	if got := hub.Subscribers(); got != 0 {
		t.Errorf("Subscribers() after every subscriber left = %d, want 0", got)
	}
}

// churn subscribes n times, reading a few events and then cancelling.
func churn(hub *events.Hub, storeID string, n int) {
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		ch := hub.Subscribe(ctx, storeID)
		for range i % 3 {
			select {
			case <-ch:
			default:
			}
		}
		cancel()
		for range ch { // until the hub closed it
		}
	}
}

func BenchmarkHubFanout1000(b *testing.B)  { benchmarkFanout(b, 1_000) }
func BenchmarkHubFanout10000(b *testing.B) { benchmarkFanout(b, 10_000) }

// benchmarkFanout publishes b.N events to n subscribers, each drained by a
// goroutine. Every window publishes it waits until every subscriber caught up,
// so nobody is dropped and ns/op is a complete fan-out, delivery included;
// publish-ns/op is the time spent inside Publish alone.
func benchmarkFanout(b *testing.B, n int) {
	const window = 32
	var drops atomic.Int64
	hub := events.NewHub(events.HubOptions{Buffer: 2 * window, OnDrop: func() { drops.Add(1) }})
	ctx, cancel := context.WithCancel(context.Background())
	progress := make([]paddedSeq, n)
	var wg sync.WaitGroup
	for i := range progress {
		ch := hub.Subscribe(ctx, "store-1")
		wg.Go(func() {
			for ev := range ch {
				progress[i].seq.Store(ev.Seq)
			}
		})
	}
	ev := event(0, "store-1")
	var publishing time.Duration // inside Publish, excluding delivery
	b.ReportAllocs()
	b.ResetTimer()
	for seq := int64(1); seq <= int64(b.N); seq++ {
		ev.Seq = seq
		start := time.Now()
		_ = hub.Publish(ctx, ev)
		publishing += time.Since(start)
		if seq%window == 0 {
			waitProgress(progress, seq)
		}
	}
	waitProgress(progress, int64(b.N))
	b.StopTimer()
	cancel()
	wg.Wait()
	if drops.Load() != 0 {
		b.Fatalf("%d subscribers dropped", drops.Load())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
	b.ReportMetric(float64(publishing.Nanoseconds())/float64(b.N), "publish-ns/op")
}

// paddedSeq keeps each drainer's progress on its own cache line.
type paddedSeq struct {
	seq atomic.Int64
	_   [56]byte
}

// waitProgress spins until every subscriber received seq: a benchmark that
// parks here would measure the scheduler.
func waitProgress(progress []paddedSeq, seq int64) {
	for i := range progress {
		for progress[i].seq.Load() < seq {
			runtime.Gosched()
		}
	}
}

func event(seq int64, storeID string) domain.Event {
	return domain.Event{
		Seq:         seq,
		StoreID:     storeID,
		OrderStatus: &domain.OrderStatusEvent{Status: domain.StatusConfirmed},
	}
}

func mustPublish(tb testing.TB, b events.Broker, ev domain.Event) {
	tb.Helper()
	if err := b.Publish(context.Background(), ev); err != nil {
		tb.Fatalf("publish seq %d: %v", ev.Seq, err)
	}
}

// mustReceive returns the next event of ch, failing if none comes in time or
// ch is closed.
func mustReceive(tb testing.TB, ch <-chan domain.Event) domain.Event {
	tb.Helper()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	select {
	case ev, ok := <-ch:
		if !ok {
			tb.Fatal("subscription closed, want an event")
		}
		return ev
	case <-timer.C:
		tb.Fatalf("no event within %v", deadline)
		return domain.Event{}
	}
}

// drain returns what ch still holds once it is closed, failing if it is not
// closed in time.
func drain(tb testing.TB, ch <-chan domain.Event) []domain.Event {
	tb.Helper()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	var got []domain.Event
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-timer.C:
			tb.Fatalf("subscription not closed within %v (received %d events)", deadline, len(got))
		}
	}
}

func assertEmpty(tb testing.TB, ch <-chan domain.Event) {
	tb.Helper()
	select {
	case ev := <-ch:
		tb.Errorf("got seq %d of store %s, want nothing", ev.Seq, ev.StoreID)
	default:
	}
}

func assertSeqs(tb testing.TB, got []domain.Event, want ...int64) {
	tb.Helper()
	seqs := make([]int64, len(got))
	for i, ev := range got {
		seqs[i] = ev.Seq
	}
	if !slices.Equal(seqs, want) {
		tb.Fatalf("got seqs %v, want %v", seqs, want)
	}
}

// publishWithin publishes ev and fails if Publish blocks.
func publishWithin(tb testing.TB, b events.Broker, ev domain.Event) {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- b.Publish(context.Background(), ev) }()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			tb.Fatalf("publish seq %d: %v", ev.Seq, err)
		}
	case <-timer.C:
		tb.Fatalf("publish seq %d blocked for %v", ev.Seq, deadline)
	}
}
