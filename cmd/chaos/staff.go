package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/internal/drive"
	"github.com/leafly/lightspeed-orders/internal/wait"
)

// The store's staff, working the sales in Lightspeed (the host's sandbox)
// as orders come in: each staff action changes the sale and makes the
// sandbox send a signed sale.update webhook to the service.

// actionStatus is the order status each staff action stands for
// (domain/possale.go): a packed fulfilment is READY, a closed sale
// PICKED_UP, a voided one CANCELED.
var actionStatus = map[string]string{"pack": "READY", "close": "PICKED_UP", "void": "CANCELED"}

// plans are what staff do with an order's sale, with their weights: about
// a third of the sales are left alone (their orders stay CONFIRMED).
var plans = []struct {
	weight  int
	actions []string
}{
	{35, nil},
	{20, []string{"pack"}},
	{15, []string{"pack", "close"}},
	{10, []string{"close"}},
	{12, []string{"void"}},
	{8, []string{"pack", "void"}},
}

// planFor picks order i's plan from the run's seed.
func planFor(seed int64, i int) []string {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(i)<<1|1))
	total := 0
	for _, p := range plans {
		total += p.weight
	}
	n := r.IntN(total)
	for _, p := range plans {
		if n < p.weight {
			return p.actions
		}
		n -= p.weight
	}
	return nil
}

// staff carries out the plans and remembers the last change made to each
// sale.
type staff struct {
	sb   drive.Sandbox
	seed int64
	sem  chan struct{} // staff members: actions made at once
	wg   sync.WaitGroup

	mu       sync.Mutex
	planned  int               // orders with a plan
	expected map[string]string // Leafly order id → status of the last change made
	made     map[string]int    // actions made, by action
	refused  []string          // actions the sandbox refused, sales never found
	waits    int               // lookups that found no sale yet
}

func newStaff(sb drive.Sandbox, seed int64) *staff {
	return &staff{sb: sb, seed: seed, sem: make(chan struct{}, 4), expected: map[string]string{}, made: map[string]int{}}
}

// take starts working order i, just accepted, if its plan has actions.
func (s *staff) take(ctx context.Context, i int, leaflyID string) {
	actions := planFor(s.seed, i)
	if len(actions) == 0 {
		return
	}
	s.mu.Lock()
	s.planned++
	s.mu.Unlock()
	r := rand.New(rand.NewPCG(uint64(s.seed), uint64(i)<<1))
	s.wg.Go(func() { s.work(ctx, r, leaflyID, actions) })
}

// work makes the actions on the order's sale: the first soon after the
// order came in (before the service may have recorded the sale), the next
// ones a few seconds apart.
func (s *staff) work(ctx context.Context, r *rand.Rand, leaflyID string, actions []string) {
	delay := time.Duration(200+r.IntN(3000)) * time.Millisecond
	for _, action := range actions {
		if !wait.Sleep(ctx, delay) {
			return
		}
		saleID, ok := s.findSale(ctx, leaflyID)
		if !ok {
			return
		}
		if !s.act(ctx, leaflyID, saleID, action) {
			return
		}
		delay = time.Duration(500+r.IntN(5000)) * time.Millisecond
	}
}

// findSale waits until the order's sale exists and returns its id. It
// gives up after saleWait (the checks report the missing sale).
func (s *staff) findSale(ctx context.Context, leaflyID string) (string, bool) {
	deadline := time.Now().Add(saleWait)
	for time.Now().Before(deadline) {
		s.sem <- struct{}{}
		sales, _, err := s.sb.Sales(ctx, leaflyID)
		<-s.sem
		if err == nil && len(sales) > 0 {
			return sales[0].ID, true
		}
		s.mu.Lock()
		s.waits++
		s.mu.Unlock()
		if !wait.Sleep(ctx, time.Second) {
			return "", false
		}
	}
	s.mu.Lock()
	s.refused = append(s.refused, fmt.Sprintf("%s: no sale after %s", leaflyID, saleWait))
	s.mu.Unlock()
	return "", false
}

// saleWait is how long staff wait for an order's sale to appear.
const saleWait = 3 * time.Minute

// act makes one action, retrying while the sandbox cannot be reached, and
// records the status it stands for.
func (s *staff) act(ctx context.Context, leaflyID, saleID, action string) bool {
	for {
		s.sem <- struct{}{}
		code, err := s.sb.StaffAction(ctx, saleID, action)
		<-s.sem
		if err == nil {
			s.mu.Lock()
			s.expected[leaflyID] = actionStatus[action]
			s.made[action]++
			s.mu.Unlock()
			return true
		}
		if code != 0 {
			s.mu.Lock()
			s.refused = append(s.refused, fmt.Sprintf("%s %s: %v", action, leaflyID, err))
			s.mu.Unlock()
			return false
		}
		if !wait.Sleep(ctx, time.Second) {
			return false
		}
	}
}

// wait waits until every plan is carried out, or ctx ends.
func (s *staff) wait() { s.wg.Wait() }

// summary describes what staff did.
func (s *staff) summary() (planned int, made string, waits int, refused []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for a, n := range s.made {
		parts = append(parts, fmt.Sprintf("%s ×%d", a, n))
	}
	sort.Strings(parts)
	return s.planned, fmt.Sprint(parts), s.waits, append([]string(nil), s.refused...)
}

// expectations returns the status each order should end in by staff.
func (s *staff) expectations() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.expected))
	for k, v := range s.expected {
		out[k] = v
	}
	return out
}
