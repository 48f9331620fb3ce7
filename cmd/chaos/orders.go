package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/internal/drive"
)

const submitOrderMutation = `mutation($input: SubmitOrderInput!) { submitOrder(input: $input) { id leaflyOrderId status } }`

// repeatEvery: one accepted order in repeatEvery is submitted once more.
const repeatEvery = 20

// shoppers is how many distinct shoppers the orders cycle through: each
// one's first order creates a Lightspeed customer, later ones find it.
const shoppers = 25

// submissions is what the submitting clients did, by order index.
type submissions struct {
	mu       sync.Mutex
	orderID  []string    // what submitOrder answered; "" until accepted
	attempts []int       // submitOrder calls made for the order
	failed   []int       // of which failed (and were retried)
	accepted []time.Time // when it was accepted
	failures map[string]int
	examples []string
	mismatch []string // a repeated submission answered another order
	repeats  int      // accepted orders submitted once more on purpose
	done     time.Duration
}

func newSubmissions(n int) *submissions {
	return &submissions{orderID: make([]string, n), attempts: make([]int, n), failed: make([]int, n), accepted: make([]time.Time, n),
		failures: map[string]int{}}
}

// submitAll submits every order from clients clients, paced to rate per
// second from t0: a pacer hands out the next order when its time comes
// and a client is free, so while the server is down the orders wait and
// go out as soon as it is back. Each order is retried, with the same
// Leafly order id, until it is accepted or ctx ends. onAccept runs once
// per order, when it is first accepted.
func submitAll(ctx context.Context, gql drive.GraphQL, st drive.Store, ids []string, clients int, rate float64, t0 time.Time,
	s *submissions, onAccept func(i int)) {
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range ids {
			wait := time.Until(t0.Add(time.Duration(float64(i) / rate * float64(time.Second))))
			if wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return
				}
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				if !s.submit(ctx, gql, st, ids[i], i) {
					continue
				}
				onAccept(i)
				if i%repeatEvery == repeatEvery/2 {
					// Leafly sending the order again: the same order must answer.
					s.mu.Lock()
					s.repeats++
					s.mu.Unlock()
					s.submit(ctx, gql, st, ids[i], i)
				}
			}
		})
	}
	wg.Wait()
	s.done = time.Since(t0)
}

// submit submits order i until it is accepted; false if ctx ended first.
func (s *submissions) submit(ctx context.Context, gql drive.GraphQL, st drive.Store, leaflyID string, i int) bool {
	in := orderInput(st, leaflyID, i)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		var data struct {
			SubmitOrder struct{ ID, LeaflyOrderID, Status string }
		}
		err := gql.Do(ctx, submitOrderMutation, map[string]any{"input": in}, &data)
		if err == nil && data.SubmitOrder.LeaflyOrderID != leaflyID {
			err = fmt.Errorf("submitOrder %s answered order %s of Leafly id %q", leaflyID, data.SubmitOrder.ID, data.SubmitOrder.LeaflyOrderID)
		}
		s.mu.Lock()
		s.attempts[i]++
		if err == nil {
			if prev := s.orderID[i]; prev != "" && prev != data.SubmitOrder.ID {
				s.mismatch = append(s.mismatch, fmt.Sprintf("%s: %s then %s", leaflyID, prev, data.SubmitOrder.ID))
			}
			s.orderID[i], s.accepted[i] = data.SubmitOrder.ID, time.Now()
			s.mu.Unlock()
			return true
		}
		s.failed[i]++
		class := failureClass(err)
		s.failures[class]++
		if s.failures[class] == 1 {
			s.examples = append(s.examples, fmt.Sprintf("%s: %s", class, truncate(err.Error(), 160)))
		}
		s.mu.Unlock()
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, time.Second)
	}
	return false
}

// failureClass names a failed submission's kind, for the report.
func failureClass(err error) string {
	var g *drive.Error
	switch {
	case errors.As(err, &g):
		return "GraphQL " + g.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "connection"
}

// orderInput is the i-th order: a pickup of two menu items by one of a
// few returning shoppers, the first line at a Leafly deal price.
func orderInput(st drive.Store, leaflyID string, i int) map[string]any {
	shopper := i % shoppers
	a, b := st.Menu[i%len(st.Menu)], st.Menu[(i+1)%len(st.Menu)]
	return map[string]any{
		"storeId": st.ID, "leaflyOrderId": leaflyID, "fulfillmentMethod": "PICKUP", "hasGovernmentId": i%2 == 0,
		"customer": map[string]any{"firstName": "Chaos", "lastName": fmt.Sprintf("Shopper %d", shopper),
			"email": fmt.Sprintf("chaos.shopper%d@example.com", shopper), "phone": "+15035550123", "dateOfBirth": "1990-12-09"},
		"lines": []any{
			map[string]any{"menuItemId": a.ID, "quantity": 1, "unitPriceCents": a.PriceCents,
				"discountedUnitPriceCents": a.PriceCents / 2, "dealTitle": "Half off"},
			map[string]any{"menuItemId": b.ID, "quantity": 2, "unitPriceCents": b.PriceCents},
		},
	}
}

// summary describes the submissions for the report: retried counts the
// orders whose submission failed at least once.
func (s *submissions) summary() (accepted, retried, calls int, failures string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, id := range s.orderID {
		if id != "" {
			accepted++
		}
		if s.failed[i] > 0 {
			retried++
		}
		calls += s.attempts[i]
	}
	var classes []string
	for c, n := range s.failures {
		classes = append(classes, fmt.Sprintf("%s ×%d", c, n))
	}
	sort.Strings(classes)
	if len(classes) == 0 {
		return accepted, retried, calls, "none"
	}
	return accepted, retried, calls, fmt.Sprint(classes)
}
