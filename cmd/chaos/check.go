package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/leafly/lightspeed-orders/internal/drive"
)

// The end-of-run checks, over what the run observed: they are a pure
// function of it (evaluate), so tests can feed them a made-up run.

// orderView is what the program reads of an order over GraphQL.
type orderView struct {
	ID            string
	LeaflyOrderID string
	Status        string
	PosSync       struct {
		State     string
		SaleID    *string
		ErrorCode *string
	}
	StatusHistory []struct{ Status string }
}

const ordersQuery = `query($s: ID!, $after: String) { orders(storeId: $s, first: 100, after: $after) {
	pageInfo { hasNextPage endCursor }
	edges { node { id leaflyOrderId status posSync { state saleId errorCode } statusHistory { status } } } } }`

// readOrders reads every order of the store, page by page.
func readOrders(ctx context.Context, gql drive.GraphQL, storeID string) ([]orderView, error) {
	var out []orderView
	var after any
	for {
		var data struct {
			Orders struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node orderView }
			}
		}
		if err := gql.Do(ctx, ordersQuery, map[string]any{"s": storeID, "after": after}, &data); err != nil {
			return nil, fmt.Errorf("orders: %w", err)
		}
		for _, e := range data.Orders.Edges {
			out = append(out, e.Node)
		}
		if !data.Orders.PageInfo.HasNextPage {
			return out, nil
		}
		after = data.Orders.PageInfo.EndCursor
	}
}

// observations are what the run saw at its end.
type observations struct {
	leaflyIDs []string          // every order the run meant to submit
	accepted  map[string]string // Leafly order id → order id submitOrder answered
	mismatch  []string          // repeated submissions answered another order
	orders    []orderView       // the store's orders, over GraphQL
	sales     []drive.Sale      // every sale of the sandbox (nil: not read)
	expected  map[string]string // Leafly order id → status of staff's last change
	notes     []notification    // every notification delivery received
	refused   int               // notification requests refused (bad signature)
	pending   int               // delivery jobs left in the victim's queue (-1: unknown)
	// strictNotify counts a redelivered notification (same id and
	// Idempotency-Key) as a failure; otherwise it is reported only.
	strictNotify bool
}

// check is one line of the summary table. An info line is reported but
// fails nothing.
type check struct {
	name      string
	want, got int
	examples  []string
	info      bool
}

func (c check) ok() bool { return c.info || c.want == c.got }

// example appends up to five examples of a failure.
func (c *check) example(format string, args ...any) {
	if len(c.examples) < 5 {
		c.examples = append(c.examples, fmt.Sprintf(format, args...))
	}
}

// noteKey identifies a notification by what it tells: kind, order, status.
func noteKey(kind, orderID, status string) string { return kind + " " + orderID + " " + status }

// evaluate runs every check over obs.
func evaluate(obs observations) []check {
	n := len(obs.leaflyIDs)
	byLeafly := map[string][]orderView{}
	for _, o := range obs.orders {
		byLeafly[o.LeaflyOrderID] = append(byLeafly[o.LeaflyOrderID], o)
	}

	accepted := check{name: "orders accepted by submitOrder (retried until accepted)", want: n}
	one := check{name: "exactly one service order per Leafly order id, the one submitOrder answered", want: n}
	for _, id := range obs.leaflyIDs {
		orderID, ok := obs.accepted[id]
		if ok {
			accepted.got++
		} else {
			accepted.example("%s never accepted", id)
		}
		switch os := byLeafly[id]; {
		case len(os) != 1:
			one.example("%s: %d orders", id, len(os))
		case ok && os[0].ID != orderID:
			one.example("%s: submitOrder answered %s, the store has %s", id, orderID, os[0].ID)
		default:
			one.got++
		}
	}
	for _, m := range obs.mismatch {
		one.got--
		one.example("repeated submission %s", m)
	}
	known := map[string]bool{}
	for _, id := range obs.leaflyIDs {
		known[id] = true
	}
	for id, os := range byLeafly {
		if !known[id] {
			one.got -= len(os)
			one.example("order(s) of an unknown Leafly id %q: %d", id, len(os))
		}
	}
	checks := []check{accepted, one}

	if obs.sales != nil {
		salesBySource := map[string][]drive.Sale{}
		for _, s := range obs.sales {
			if s.Source.ID != nil {
				salesBySource[*s.Source.ID] = append(salesBySource[*s.Source.ID], s)
			}
		}
		oneSale := check{name: "exactly one Lightspeed sale per order (sales by source id)", want: n}
		linked := check{name: "order in the POS (posSync SENT) with that sale's id", want: n}
		for _, id := range obs.leaflyIDs {
			ss := salesBySource[id]
			if len(ss) == 1 {
				oneSale.got++
			} else {
				oneSale.example("%s: %d sales", id, len(ss))
			}
			os := byLeafly[id]
			switch {
			case len(os) != 1 || len(ss) != 1:
				linked.example("%s: %d orders, %d sales", id, len(os), len(ss))
			case os[0].PosSync.State != "SENT" || os[0].PosSync.SaleID == nil || *os[0].PosSync.SaleID != ss[0].ID:
				linked.example("%s: posSync %s (error %s), sale %s, Lightspeed's %s", id, os[0].PosSync.State,
					deref(os[0].PosSync.ErrorCode), deref(os[0].PosSync.SaleID), ss[0].ID)
			default:
				linked.got++
			}
		}
		foreign := check{name: "sales of no order of the run", want: 0}
		for src, ss := range salesBySource {
			if !known[src] {
				foreign.got += len(ss)
				foreign.example("source id %s: %d sales", src, len(ss))
			}
		}
		checks = append(checks, oneSale, linked, foreign)
	}

	changed := check{name: "staff changes in Lightspeed that reached the order", want: len(obs.expected)}
	alone := check{name: "orders staff left alone that are CONFIRMED", want: n - len(obs.expected)}
	for _, id := range obs.leaflyIDs {
		status := "(no order)"
		if os := byLeafly[id]; len(os) == 1 {
			status = os[0].Status
		}
		if want, ok := obs.expected[id]; ok {
			if status == want {
				changed.got++
			} else {
				changed.example("%s: %s, staff made it %s", id, status, want)
			}
		} else if status == "CONFIRMED" {
			alone.got++
		} else {
			alone.example("%s: %s", id, status)
		}
	}
	checks = append(checks, changed, alone)
	return append(checks, notificationChecks(obs, byLeafly)...)
}

// notificationChecks: one notification per change, delivered once. The
// store hears of each new order (new_order), the shopper of each status
// change after it (order_status): the orders' histories say which are due.
// Two notifications (two ids) for one change fail. One notification
// delivered again with the same id and Idempotency-Key is a redelivery:
// the webhook's contract (notify/webhook.go) is at least once, and the
// receiver drops a repeated key, so it is reported on a line of its own
// that fails only with strictNotify.
func notificationChecks(obs observations, byLeafly map[string][]orderView) []check {
	deliveries := map[string][]notification{}
	for _, d := range obs.notes {
		if d.Kind != "new_order" && d.Kind != "order_status" {
			continue
		}
		status := d.Status
		if d.Kind == "new_order" {
			status = ""
		}
		k := noteKey(d.Kind, d.OrderID, status)
		deliveries[k] = append(deliveries[k], d)
	}
	due := map[string]bool{}
	newOrder := check{name: "new-order notifications to the store: one per order"}
	shopper := check{name: "shopper notifications: one per status change"}
	redelivered := check{name: "redeliveries of a delivered notification (same Idempotency-Key, which receivers drop)", info: !obs.strictNotify}
	for _, id := range obs.leaflyIDs {
		os := byLeafly[id]
		if len(os) != 1 {
			continue
		}
		o := os[0]
		keys := []struct {
			c   *check
			key string
		}{{&newOrder, noteKey("new_order", o.ID, "")}}
		for j, h := range o.StatusHistory {
			if j > 0 {
				keys = append(keys, struct {
					c   *check
					key string
				}{&shopper, noteKey("order_status", o.ID, h.Status)})
			}
		}
		for _, k := range keys {
			due[k.key] = true
			k.c.want++
			ds := deliveries[k.key]
			ids := map[string]bool{}
			for _, d := range ds {
				ids[d.ID] = true
			}
			switch len(ids) {
			case 1:
				k.c.got++
			case 0:
				k.c.example("%s (%s): never delivered", k.key, id)
			default:
				k.c.example("%s (%s): %d notifications (ids %v)", k.key, id, len(ids), sortedSet(ids))
			}
			if len(ds) > len(ids) {
				redelivered.got += len(ds) - len(ids)
				var at []string
				for _, d := range ds {
					at = append(at, d.At.Format("15:04:05.000"))
				}
				redelivered.example("%s (%s): delivered %d times, at %v", k.key, id, len(ds), at)
			}
		}
	}
	unexpected := check{name: "notifications of no status change (or refused: bad signature)", want: 0, got: obs.refused}
	if obs.refused > 0 {
		unexpected.example("%d requests with a bad signature or body", obs.refused)
	}
	for k, ds := range deliveries {
		if !due[k] {
			unexpected.got += len(ds)
			unexpected.example("%s: %d deliveries", k, len(ds))
		}
	}
	settled := check{name: "delivery jobs left in the service's queue at the end", want: 0, got: obs.pending}
	return []check{newOrder, shopper, redelivered, unexpected, settled}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// printChecks prints the summary table and the examples of failures.
func printChecks(w io.Writer, checks []check) {
	fmt.Fprintln(w, "| check | want | got | result |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, c := range checks {
		result := "ok"
		switch {
		case c.info && c.got != c.want:
			result = "info"
		case !c.ok():
			result = "FAIL"
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s |\n", c.name, c.want, c.got, result)
	}
	for _, c := range checks {
		if c.want == c.got || len(c.examples) == 0 {
			continue
		}
		label := "FAIL"
		if c.info {
			label = "INFO"
		}
		fmt.Fprintf(w, "\n%s %s, e.g.:\n", label, c.name)
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}
