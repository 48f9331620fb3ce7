package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/domain"
)

// The subscriptions subscribers open. Both name the order by its
// leaflyOrderId and the status it moved to (orderUpdated in order.status),
// which is what a listener matches their events by.
const (
	statusSubscription = `subscription($s: ID!) { orderStatusChanged(storeId: $s) {
	previousStatus status source occurredAt order { id leaflyOrderId status totalCents } } }`
	updatesSubscription = `subscription($s: ID!, $after: String) { orderUpdated(storeId: $s, after: $after) {
	cursor kind occurredAt order { id leaflyOrderId status totalCents } } }`
)

// dialParallelism is how many subscribers connect at the same time.
const dialParallelism = 64

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// inbound is a message from the server, decoded in one pass.
type inbound struct {
	Type    string `json:"type"`
	Payload struct {
		Data struct {
			OrderStatusChanged struct {
				Status string     `json:"status"`
				Order  eventOrder `json:"order"`
			} `json:"orderStatusChanged"`
			OrderUpdated *orderUpdate `json:"orderUpdated"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	} `json:"payload"`
}

// eventOrder is what the subscribers read of an event's order.
type eventOrder struct {
	LeaflyOrderID string `json:"leaflyOrderId"`
	Status        string `json:"status"`
}

// orderUpdate is what the subscribers read of an orderUpdated event.
type orderUpdate struct {
	Cursor string     `json:"cursor"`
	Kind   string     `json:"kind"`
	Order  eventOrder `json:"order"`
}

// key names a next message's event the way listener.steps does:
// "leaflyOrderId/status".
func (m *inbound) key() string {
	if u := m.Payload.Data.OrderUpdated; u != nil {
		return u.Order.LeaflyOrderID + "/" + u.Order.Status
	}
	ev := m.Payload.Data.OrderStatusChanged
	return ev.Order.LeaflyOrderID + "/" + ev.Status
}

var pong = []byte(`{"type":"pong"}`)

// delivery is the receipt of planned event step, at a time since the
// fanout's base time.
type delivery struct {
	step int
	at   time.Duration
}

// subscriber is one websocket carrying one subscription, read by a
// goroutine of its own. Until done is closed only that goroutine
// touches got, unexpected and err.
type subscriber struct {
	conn       *websocket.Conn
	done       chan struct{}
	closing    atomic.Bool
	got        []delivery
	unexpected int
	err        error
}

// listener is what the subscribers' goroutines listen for: the planned
// events by "leaflyOrderId/status" (none for idle subscribers), timed from
// base, counted in delivered.
type listener struct {
	steps     map[string]int
	base      time.Time
	delivered atomic.Int64
}

// await waits until n events were delivered, or for at most timeout.
func (l *listener) await(n int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for l.delivered.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// read handles the server's messages until the connection ends: it records
// events, answers pings and remembers why it stopped if it was not closed.
// Each message is read into the same buffer, and an event is recognised by
// nextKey without decoding it; anything else is decoded in full.
func (s *subscriber) read(l *listener) {
	defer close(s.done)
	var buf bytes.Buffer
	var key []byte
	for {
		_, r, err := s.conn.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		at := time.Since(l.base)
		if err != nil {
			if !s.closing.Load() {
				s.err = err
			}
			return
		}
		data := buf.Bytes()
		var ok bool
		if key, ok = nextKey(key[:0], data); ok {
			s.record(l, key, at)
			continue
		}
		var m inbound
		if err := json.Unmarshal(data, &m); err != nil {
			s.err = fmt.Errorf("undecodable message %s: %w", data, err)
			continue
		}
		switch m.Type {
		case "next":
			if len(m.Payload.Errors) == 0 {
				s.record(l, []byte(m.key()), at)
			} else {
				s.unexpected++
			}
		case "ping":
			if err := s.conn.WriteMessage(websocket.TextMessage, pong); err != nil && !s.closing.Load() {
				s.err = err
			}
		case "pong", "ka":
		default:
			s.err = fmt.Errorf("unexpected %s message: %s", m.Type, data)
		}
	}
}

// record counts the event of key ("leaflyOrderId/status") if it is one of
// the planned ones, received at at.
func (s *subscriber) record(l *listener, key []byte, at time.Duration) {
	if step, ok := l.steps[string(key)]; ok {
		s.got = append(s.got, delivery{step, at})
		l.delivered.Add(1)
		return
	}
	s.unexpected++
}

// nextKey appends to dst the key inbound.key gives for m, found without
// decoding m, when m is a next message without errors in the server's
// layout: {"type":"next","id":…,"payload":{"data":{FIELD:{… "order":{…}}}}},
// the event's status before "order" for orderStatusChanged, the order's
// after it for orderUpdated. Otherwise it returns false, and m is decoded.
func nextKey(dst, m []byte) ([]byte, bool) {
	_, event, ok := bytes.Cut(m, []byte(`,"payload":{"data":{"`))
	if !ok || !bytes.HasPrefix(m, []byte(`{"type":"next",`)) || bytes.Contains(event, []byte(`"errors":`)) {
		return dst, false
	}
	before, order, ok := bytes.Cut(event, []byte(`"order":{`))
	if !ok {
		return dst, false
	}
	id, ok := quoted(order, `"leaflyOrderId":"`)
	if !ok {
		return dst, false
	}
	statusIn := before
	if bytes.HasPrefix(event, []byte(`orderUpdated"`)) {
		statusIn = order
	} else if !bytes.HasPrefix(event, []byte(`orderStatusChanged"`)) {
		return dst, false
	}
	status, ok := quoted(statusIn, `"status":"`)
	if !ok {
		return dst, false
	}
	return append(append(append(dst, id...), '/'), status...), true
}

// quoted returns the string after the first prefix in b, up to its closing
// quote; false when it is missing or holds an escape.
func quoted(b []byte, prefix string) ([]byte, bool) {
	_, rest, ok := bytes.Cut(b, []byte(prefix))
	if !ok {
		return nil, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return nil, false
	}
	return rest[:end], true
}

// dialSubscriber connects, initialises the connection with token and
// subscribes to query (statusSubscription or updatesSubscription) of the
// store.
func dialSubscriber(ctx context.Context, d *websocket.Dialer, url, token, storeID, query string) (*subscriber, error) {
	s, err := dialConnection(ctx, d, url, token)
	if err != nil {
		return nil, err
	}
	if err := s.subscribe(query, map[string]any{"s": storeID}); err != nil {
		s.conn.Close()
		return nil, err
	}
	return s, nil
}

// dialConnection connects and initialises the connection with token.
func dialConnection(ctx context.Context, d *websocket.Dialer, url, token string) (*subscriber, error) {
	conn, resp, err := d.DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, err
	}
	s := &subscriber{conn: conn, done: make(chan struct{})}
	if err := s.init(token); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func (s *subscriber) init(token string) error {
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := s.conn.WriteJSON(wsMessage{Type: "connection_init", Payload: init}); err != nil {
		return fmt.Errorf("connection_init: %w", err)
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var m wsMessage
		if err := s.conn.ReadJSON(&m); err != nil {
			return fmt.Errorf("wait for connection_ack: %w", err)
		}
		if m.Type == "connection_ack" {
			break
		}
		if m.Type != "ping" && m.Type != "pong" {
			return fmt.Errorf("got %s %s, want connection_ack", m.Type, m.Payload)
		}
	}
	_ = s.conn.SetReadDeadline(time.Time{})
	return nil
}

// subscribe starts subscription "1", query with variables.
func (s *subscriber) subscribe(query string, variables map[string]any) error {
	sub, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err := s.conn.WriteJSON(wsMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	return nil
}

// subscribe connects n subscribers of the store to query, dialParallelism
// at a time, starts their readers and waits until the server's
// leafly_subscriptions gauge counts them all.
func (b *bench) subscribe(ctx context.Context, srv *serverProcess, f fixture, query string, n int, l *listener) ([]*subscriber, error) {
	start := time.Now()
	d := subscriberDialer()
	url := "ws" + strings.TrimPrefix(srv.url, "http") + "/query"
	subs := make([]*subscriber, n)
	err := forEach(ctx, n, dialParallelism, func(i int) error {
		token := b.tokens.As(fmt.Sprintf("subscriber-%d", i)).Mint(domain.RoleStoreStaff, f.StoreID)
		s, err := dialSubscriber(ctx, d, url, token, f.StoreID, query)
		if err != nil {
			return fmt.Errorf("subscriber %d: %w", i, err)
		}
		subs[i] = s
		go s.read(l)
		return nil
	})
	if err != nil {
		disconnect(compact(subs), time.Second)
		return nil, err
	}
	fmt.Fprintf(b.out, "  %s connected in %s\n", plural(n, "subscriber"), time.Since(start).Round(10*time.Millisecond))
	if _, err := srv.waitMetric(ctx, "leafly_subscriptions", 60*time.Second, func(v float64) bool { return int(v) == n }); err != nil {
		disconnect(subs, time.Second)
		return nil, err
	}
	fmt.Fprintf(b.out, "  the server counts %s subscriptions after %s\n", count(n), time.Since(start).Round(10*time.Millisecond))
	return subs, nil
}

// subscriberDialer is the dialer of the many subscribers: small buffers,
// the write buffer pooled.
func subscriberDialer() *websocket.Dialer {
	return &websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 15 * time.Second,
		ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{}}
}

// forEach calls do(i) for each i below n, from workers goroutines at a
// time, and stops at the first error, which it returns (or ctx's).
func forEach(ctx context.Context, n, workers int, do func(i int) error) error {
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil || ctx.Err() != nil {
					return
				}
				if err := do(i); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(ctx.Err(), deref(failed.Load()))
}

// awaitSubscriptions waits until the servers count n subscriptions
// together (leafly_subscriptions), for at most timeout.
func awaitSubscriptions(ctx context.Context, srvs []*serverProcess, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		total := 0.0
		for _, srv := range srvs {
			v, _ := srv.metric(ctx, "leafly_subscriptions")
			total += v
		}
		if int(total) == n {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the servers count %.0f of %d subscriptions after %s", total, n, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// disconnect closes every subscriber with a normal close frame and waits up
// to timeout for the server's answer before closing the sockets.
func disconnect(subs []*subscriber, timeout time.Duration) {
	frame := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done")
	for _, s := range subs {
		s.closing.Store(true)
		_ = s.conn.WriteControl(websocket.CloseMessage, frame, time.Now().Add(time.Second))
	}
	deadline := time.After(timeout)
	for _, s := range subs {
		select {
		case <-s.done:
		case <-deadline:
		}
	}
	for _, s := range subs {
		s.conn.Close()
		<-s.done
	}
}

// failures counts the subscribers whose reader stopped on an error, and
// returns the first error.
func failures(subs []*subscriber) (int, error) {
	n := 0
	var first error
	for _, s := range subs {
		if s.err != nil {
			n++
			if first == nil {
				first = s.err
			}
		}
	}
	return n, first
}

func compact(subs []*subscriber) []*subscriber {
	var live []*subscriber
	for _, s := range subs {
		if s != nil {
			live = append(live, s)
		}
	}
	return live
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
