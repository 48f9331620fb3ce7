package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

// The outage scenario: Lightspeed answers every request with 503 for a
// while, during which a store takes orders, then comes back. It measures
// how soon the store hears of it, how many calls the server makes while
// Lightspeed is down, and how soon after recovery the orders flow.

// outageConfig is what the outage flags set.
type outageConfig struct {
	length time.Duration
	orders int
}

func (c *outageConfig) register(fs *flag.FlagSet) {
	fs.DurationVar(&c.length, "outage-length", 10*time.Minute, "outage: how long Lightspeed answers 503")
	fs.IntVar(&c.orders, "outage-orders", 100, "outage: orders submitted at the start of the outage")
}

func (c outageConfig) check() error {
	if c.length <= 0 || c.orders < 1 {
		return fmt.Errorf("-outage-length must be positive and -outage-orders at least 1")
	}
	return nil
}

const (
	outageAlertsQuery = `query($id: ID!) { alerts(storeId: $id) { kind raisedAt resolvedAt } }`
	outageOrdersQuery = `query($id: ID!, $after: String) { orders(storeId: $id, first: 100, after: $after) {
	edges { node { leaflyOrderId posSync { state } posCalls { at method path status durationMs } } }
	pageInfo { hasNextPage endCursor } } }`
	// outagePoll is how often the program looks at alerts and orders.
	outagePoll = 50 * time.Millisecond
	// recoveryWait bounds the wait for every order to be sent after the
	// outage ends.
	recoveryWait = 5 * time.Minute
)

type outageAlert struct {
	Kind       string
	RaisedAt   time.Time
	ResolvedAt *time.Time
}

type outageOrder struct {
	LeaflyOrderID string
	PosSync       struct{ State string }
	PosCalls      []struct {
		At         time.Time
		Method     string
		Path       string
		Status     int
		DurationMs int
	}
}

// outage runs the scenario on a freshly started server with the default
// ORDER_POS_DEADLINE (5m) and intervals, as a store would meet it.
func (b *bench) outage(ctx context.Context) (result, error) {
	c := b.cfg.outage
	srv, st, err := b.sandboxStore(ctx, "outage", 0)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	sb := srv.sandbox()
	manager := srv.client(b.tokens.Mint(domain.RoleStoreManager, st.ID), 0)
	ids := make([]string, c.orders)
	for i := range ids {
		ids[i] = fmt.Sprintf("OUTAGE-%d-%04d", time.Now().UnixNano(), i)
	}

	before, err := b.snapshot(ctx, srv, time.Now())
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	if _, err := sb.Call(ctx, http.MethodPost, "/control/faults", map[string]any{"status": 503, "duration": "24h"}, nil); err != nil {
		return result{}, err
	}
	fmt.Fprintf(b.out, "  Lightspeed answers 503 from now for %s; submitting %s\n", c.length, plural(c.orders, "order"))
	submit := &submission{}
	b.submitOrders(ctx, srv, st, ids, start, submit)
	if submit.errors > 0 {
		return result{}, fmt.Errorf("%d orders refused during the outage: %w", submit.errors, submit.firstErr)
	}
	alert, seen, err := awaitAlert(ctx, manager, st.ID, start.Add(c.length))
	if err != nil {
		return result{}, err
	}
	fmt.Fprintf(b.out, "  %s alert raised %s after the outage began\n", alert.Kind, alert.RaisedAt.Sub(start).Round(time.Millisecond))
	for time.Since(start) < c.length && ctx.Err() == nil {
		time.Sleep(min(time.Minute, c.length-time.Since(start)))
		if s, err := sb.Stats(ctx); err == nil {
			fmt.Fprintf(b.out, "  %s into the outage: %d Lightspeed requests so far\n", time.Since(start).Round(time.Second), callsSince(s, before.sandbox).Total)
		}
	}
	during, err := b.snapshot(ctx, srv, start)
	if err != nil {
		return result{}, err
	}
	recovered := time.Now()
	if _, err := sb.Call(ctx, http.MethodDelete, "/control/faults", nil, nil); err != nil {
		return result{}, err
	}
	fmt.Fprintln(b.out, "  Lightspeed answers again; waiting for every order to be sent")
	orders, alerts, err := awaitSent(ctx, manager, st.ID, len(ids), recovered.Add(recoveryWait))
	if err != nil {
		return result{}, err
	}
	_, sales, err := sb.Sales(ctx, "")
	if err != nil {
		return result{}, err
	}
	r := outageResult(c, start, recovered, seen, before, during, orders, alerts, ids, sales)
	r.DB = b.cfg.db
	return r, nil
}

// awaitAlert polls the store's alerts until one is raised, and returns it
// with when the program saw it.
func awaitAlert(ctx context.Context, g drive.GraphQL, storeID string, deadline time.Time) (outageAlert, time.Time, error) {
	for {
		var data struct{ Alerts []outageAlert }
		if err := g.Do(ctx, outageAlertsQuery, map[string]any{"id": storeID}, &data); err != nil {
			return outageAlert{}, time.Time{}, err
		}
		if len(data.Alerts) > 0 {
			return data.Alerts[0], time.Now(), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return outageAlert{}, time.Time{}, fmt.Errorf("no alert raised during the outage")
		}
		time.Sleep(outagePoll)
	}
}

// awaitSent polls the store's orders until n are SENT and the alert is
// resolved, and returns them with the store's alerts.
func awaitSent(ctx context.Context, g drive.GraphQL, storeID string, n int, deadline time.Time) ([]outageOrder, []outageAlert, error) {
	for {
		orders, err := storeOrders(ctx, g, storeID)
		if err != nil {
			return nil, nil, err
		}
		var data struct{ Alerts []outageAlert }
		if err := g.Do(ctx, outageAlertsQuery, map[string]any{"id": storeID}, &data); err != nil {
			return nil, nil, err
		}
		sent := 0
		for _, o := range orders {
			if o.PosSync.State == "SENT" {
				sent++
			}
		}
		resolved := len(data.Alerts) > 0 && data.Alerts[0].ResolvedAt != nil
		if sent == n && resolved {
			return orders, data.Alerts, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, nil, fmt.Errorf("%d of %d orders sent and the alert resolved: %t, %s after recovery", sent, n, resolved, recoveryWait)
		}
		time.Sleep(time.Second)
	}
}

// storeOrders reads every order of the store with its calls to Lightspeed.
func storeOrders(ctx context.Context, g drive.GraphQL, storeID string) ([]outageOrder, error) {
	var all []outageOrder
	var after any
	for {
		var data struct {
			Orders struct {
				Edges    []struct{ Node outageOrder }
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		if err := g.Do(ctx, outageOrdersQuery, map[string]any{"id": storeID, "after": after}, &data); err != nil {
			return nil, err
		}
		for _, e := range data.Orders.Edges {
			all = append(all, e.Node)
		}
		if !data.Orders.PageInfo.HasNextPage {
			return all, nil
		}
		after = data.Orders.PageInfo.EndCursor
	}
}

// outageResult reads the figures off the orders' call trails, which the
// server timestamps: the first failed call, and the first and last sale
// made after recovery.
func outageResult(c outageConfig, start, recovered, seen time.Time, before, during burstSnapshot, orders []outageOrder,
	alerts []outageAlert, ids []string, sales map[string]int) result {
	var firstFailure, firstSent, lastSent time.Time
	var failedCalls, orderCalls int
	for _, o := range orders {
		for _, call := range o.PosCalls {
			if call.At.Before(recovered) {
				orderCalls++
			}
			if call.Status >= 500 && (firstFailure.IsZero() || call.At.Before(firstFailure)) {
				firstFailure = call.At
			}
			if call.Status >= 500 {
				failedCalls++
			}
			if call.Method == http.MethodPost && call.Path == "/sales" && call.Status/100 == 2 {
				done := call.At.Add(time.Duration(call.DurationMs) * time.Millisecond)
				if firstSent.IsZero() || done.Before(firstSent) {
					firstSent = done
				}
				if done.After(lastSent) {
					lastSent = done
				}
			}
		}
	}
	oneSale := 0
	for _, id := range ids {
		if sales[id] == 1 {
			oneSale++
		}
	}
	calls := callsSince(during.sandbox, before.sandbox)
	r := result{Scenario: "outage", Load: fmt.Sprintf("%s of 503s, %s pending", c.length, plural(len(ids), "order")),
		Values: map[string]float64{}}
	alert := alerts[0]
	toAlert := alert.RaisedAt.Sub(firstFailure)
	toSeen := seen.Sub(start)
	toFirst := firstSent.Sub(recovered)
	toLast := lastSent.Sub(recovered)
	toResolved := alert.ResolvedAt.Sub(recovered)
	perMinute := float64(calls.Total) / c.length.Minutes()
	r.Values = map[string]float64{
		"firstFailureToAlertMs": ms(toAlert), "outageStartToAlertSeenMs": ms(toSeen),
		"recoveryToFirstSentMs": ms(toFirst), "recoveryToLastSentMs": ms(toLast), "recoveryToResolvedMs": ms(toResolved),
		"callsDuringOutage": float64(calls.Total), "orderCallsDuringOutage": float64(orderCalls), "alerts": float64(len(alerts)),
	}
	r.detail("first failed call → alert raised %s (the program saw it %s after the outage began)",
		toAlert.Round(time.Millisecond), toSeen.Round(time.Millisecond))
	r.detail("%d Lightspeed requests during the %s outage (%.1f a minute): %s; %d of them for orders (%d failed order calls in all)",
		calls.Total, c.length, perMinute, routes(calls.Requests), orderCalls, failedCalls)
	r.detail("recovery → first order sent %s, → alert resolved %s, → last of %d orders sent %s",
		toFirst.Round(time.Millisecond), toResolved.Round(time.Millisecond), len(ids), toLast.Round(time.Millisecond))
	r.detail("server-side Lightspeed calls during the outage: %.0f", lightspeedCalls(during.metrics, "")-lightspeedCalls(before.metrics, ""))
	kinds := make([]string, len(alerts))
	for i, a := range alerts {
		kinds[i] = a.Kind
	}
	r.detail("alerts: %s", strings.Join(kinds, ", "))
	r.goal("one alert for the incident", len(alerts) == 1 && alert.Kind == "PARTNER_OUTAGE")
	r.goal("one sale per order", oneSale == len(ids))
	return r
}
