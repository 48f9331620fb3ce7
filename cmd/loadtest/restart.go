package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/drive"
)

// The rolling-restart scenario: a deploy restarts the replicas one at a
// time while dashboards watch a store's orders and orders flow to the POS.
//
// Three servers run: Lightspeed (a server on an embedded database of its
// own, whose sandbox stands in for Lightspeed and is never restarted) and
// replicas A and B on the run's PostgreSQL database, each on a port of its
// own that it keeps across restarts, with LIGHTSPEED_API_URL and
// LIGHTSPEED_CONNECT_URL pointing at that sandbox and PUBLIC_URL at a
// balancer in this program (what a deploy's load balancer is: it passes
// each request to A or B in turn, and to the other when a connection is
// refused), which is where the sandbox's webhooks and the OAuth redirect go.
//
// -restart-clients dashboards subscribe to the store's orderUpdated after
// the order list's updatesCursor, client i on replica A when i is even, on
// B when odd. When its connection ends, a client dials the replica it was
// on again, then the other, in turn (100 ms, then up to 1 s apart), and
// subscribes after the last cursor it received. Orders are submitted at
// -restart-rate a second, alternately to A and B (to the other when a
// request fails without an answer or with a 5xx); staff pack each sale once
// its order is CONFIRMED and close it once READY (sandbox staff actions,
// whose webhooks move the order on). After -restart-baseline without
// restarts, A is stopped with SIGTERM and started again, then, once it is
// ready (/readyz 200, listening for events) and -restart-settle has passed,
// B; orders go on for -restart-settle after that.

// restartConfig is what the rolling-restart flags set.
type restartConfig struct {
	clients  int
	rate     float64
	baseline time.Duration
	settle   time.Duration
}

func (c *restartConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.clients, "restart-clients", 1000, "rolling-restart: orderUpdated dashboards, half on each replica")
	fs.Float64Var(&c.rate, "restart-rate", 2, "rolling-restart: orders submitted a second")
	fs.DurationVar(&c.baseline, "restart-baseline", 20*time.Second, "rolling-restart: orders flowing before the first restart (the baseline latency)")
	fs.DurationVar(&c.settle, "restart-settle", 5*time.Second, "rolling-restart: wait after a restarted replica is ready, before the next restart and after the last")
}

func (c restartConfig) check() error {
	if c.clients < 1 || c.rate <= 0 || c.baseline <= 0 || c.settle < 0 {
		return fmt.Errorf("-restart-clients must be at least 1, -restart-rate and -restart-baseline positive, -restart-settle not negative")
	}
	return nil
}

// restartSlack is how much longer than the slowest order of the baseline an
// order submitted during the restarts may take to be CONFIRMED.
const restartSlack = 5 * time.Second

// replica is one of the two replicas: its fixed address, its phase and,
// while it runs, its process.
type replica struct {
	name  string
	addr  string
	env   []string
	srv   *serverProcess
	phase atomic.Value // phaseStarting, phaseRunning or phaseDraining
}

// A replica's phases. A starting replica listens before it is ready and
// answers 503 until it is (see README: it waits for its database): that is
// no answer of a draining replica, and its /readyz keeps a load balancer away.
const (
	phaseStarting = "starting"
	phaseRunning  = "running"
	phaseDraining = "draining"
)

// restartRun is one run of the scenario.
type restartRun struct {
	b        *bench
	st       drive.Store
	replicas [2]*replica
	statuses statusCounts
	orders   orderTracker
	dials    chan struct{} // limits concurrent dials
	base     time.Time
}

// rollingRestart runs the scenario. It needs PostgreSQL: on SQLite there is
// one process and nothing to roll.
func (b *bench) rollingRestart(ctx context.Context) ([]result, error) {
	if b.db.url == "" {
		fmt.Fprintf(b.out, "  skipped: replicas share a database only on PostgreSQL; run with -db postgres\n")
		return nil, nil
	}
	c := b.cfg.restart
	lightspeed, err := b.startLightspeed(ctx, "lightspeed")
	if err != nil {
		return nil, err
	}
	defer lightspeed.stop()
	if err := lightspeed.sandbox().SetRateLimit(ctx, webhookLimit, limitWindow); err != nil {
		return nil, err
	}
	rr := &restartRun{b: b, dials: make(chan struct{}, dialParallelism), orders: orderTracker{byID: map[string]*trackedOrder{}, staff: make(chan staffTask, staffQueue)}}
	lb, err := rr.balance()
	if err != nil {
		return nil, err
	}
	defer lb.Close()
	if err := b.retireDemo(ctx); err != nil {
		return nil, err
	}
	// Read before the replicas start: their leader may run its start-up
	// menu sync before they are both listening.
	lastJob, err := b.lastJob(ctx)
	if err != nil {
		return nil, err
	}
	for i, name := range []string{"A", "B"} {
		r := &replica{name: name, addr: lb.backends[i]}
		r.phase.Store(phaseRunning)
		r.env = append(slices.Concat(b.env, lightspeedEnv(lightspeed)), "HTTP_ADDR="+r.addr, "PUBLIC_URL=http://"+lb.addr, "SANDBOX_DEMO=false")
		if r.srv, err = b.startServerEnv(ctx, r.env); err != nil {
			return nil, fmt.Errorf("start replica %s: %w", name, err)
		}
		defer func() { r.srv.stop() }()
		rr.replicas[i] = r
	}
	if err := b.awaitListeners(ctx, 2); err != nil {
		return nil, err
	}
	admin := rr.replicas[0].srv.client(b.tokens.Mint(domain.RoleAdmin), 0)
	if rr.st, err = drive.ConnectStore(ctx, admin, b.tokens, "Load test rolling restart"); err != nil {
		return nil, err
	}
	if err := b.awaitStartupJobs(ctx, lastJob); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "  store connected by OAuth through the balancer, menu synced (%d items), integration enabled\n", len(rr.st.Menu))
	var list struct {
		Orders struct{ UpdatesCursor string }
	}
	if err := admin.Do(ctx, `query($s: ID!) { orders(storeId: $s, first: 1) { updatesCursor } }`, map[string]any{"s": rr.st.ID}, &list); err != nil {
		return nil, err
	}
	start := list.Orders.UpdatesCursor

	clientCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	rr.base = time.Now()
	dashboards := make([]*dashboard, c.clients)
	var wg sync.WaitGroup
	for i := range dashboards {
		d := &dashboard{on: i % 2, after: start, token: b.tokens.As(fmt.Sprintf("dashboard-%d", i)).Mint(domain.RoleStoreStaff, rr.st.ID)}
		dashboards[i] = d
		wg.Go(func() { d.run(clientCtx, rr) })
	}
	defer func() { stopClients(); wg.Wait() }()
	if err := awaitSubscriptions(ctx, []*serverProcess{rr.replicas[0].srv, rr.replicas[1].srv}, c.clients, 2*time.Minute); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "  %s subscribed, %d on A and %d on B, in %s\n", plural(c.clients, "dashboard"), (c.clients+1)/2, c.clients/2,
		time.Since(rr.base).Round(10*time.Millisecond))

	orderCtx, stopOrders := context.WithCancel(ctx)
	staffCtx, stopStaff := context.WithCancel(ctx)
	var submitting, drivers sync.WaitGroup
	submitting.Go(func() { rr.submit(orderCtx, c.rate) })
	drivers.Go(func() { rr.staff(staffCtx, lightspeed.sandbox()) })
	defer func() { stopOrders(); stopStaff(); submitting.Wait(); drivers.Wait() }()
	cpuBefore := sampleCPU(rr.replicas[0].srv, rr.replicas[1].srv)
	time.Sleep(c.baseline)
	cpu := sampleCPU(rr.replicas[0].srv, rr.replicas[1].srv).since(cpuBefore)
	restartsFrom := time.Since(rr.base)
	var restartErr error
	for _, r := range rr.replicas {
		took, err := rr.restart(ctx, r)
		if err != nil {
			restartErr = err
			break
		}
		fmt.Fprintf(b.out, "  replica %s stopped with SIGTERM and ready again after %s\n", r.name, took.Round(10*time.Millisecond))
		time.Sleep(c.settle)
	}
	restartsTo := time.Since(rr.base)
	if restartErr != nil {
		return nil, restartErr
	}
	stopOrders()
	// A submission under way when the submitter stopped is tracked before
	// the wait for every order to be picked up, or it would go unwaited.
	submitting.Wait()
	fmt.Fprintf(b.out, "  %s submitted; waiting for every order to be picked up and every dashboard to catch up\n", plural(rr.orders.count(), "order"))
	rr.orders.awaitPickedUp(time.Minute)
	stopStaff()
	drivers.Wait()
	if err := b.awaitIdleQueue(ctx); err != nil {
		return nil, err
	}
	want, err := rr.expectedUpdates(ctx, start)
	if err != nil {
		return nil, err
	}
	confirmed, err := rr.confirmations(ctx)
	if err != nil {
		return nil, err
	}
	awaitCaughtUp(dashboards, want, time.Minute)
	stopClients()
	wg.Wait()
	return []result{rr.result(dashboards, want, confirmed, restartsFrom, restartsTo, cpu)}, nil
}

// restart stops r with SIGTERM, starts it again on the same address and
// waits until it is ready and listening for events; it returns how long
// that took.
func (rr *restartRun) restart(ctx context.Context, r *replica) (time.Duration, error) {
	t := time.Now()
	r.phase.Store(phaseDraining)
	if err := r.srv.stop(); err != nil {
		return 0, fmt.Errorf("stop replica %s: %w", r.name, err)
	}
	r.phase.Store(phaseStarting)
	srv, err := rr.b.startServerEnv(ctx, r.env)
	if err != nil {
		return 0, fmt.Errorf("start replica %s again: %w", r.name, err)
	}
	r.srv = srv
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.url+"/readyz", nil)
		resp, err := srv.http.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return 0, fmt.Errorf("replica %s not ready a minute after its start", r.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.phase.Store(phaseRunning)
	return time.Since(t), rr.b.awaitListeners(ctx, 2)
}

// expectedUpdates lists the store's order updates after the cursor start,
// from the event log: what every dashboard must have received.
func (rr *restartRun) expectedUpdates(ctx context.Context, start string) ([]int64, error) {
	after, err := domain.ParseOrderUpdateCursor(start)
	if err != nil {
		return nil, err
	}
	rows, err := rr.b.store.SQL().QueryContext(ctx, `SELECT seq FROM events WHERE store_id = $1 AND order_id IS NOT NULL
		AND store_seq IS NOT NULL AND seq > $2 ORDER BY seq`, rr.st.ID, after)
	if err != nil {
		return nil, fmt.Errorf("read the event log: %w", err)
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		seqs = append(seqs, s)
	}
	return seqs, rows.Err()
}

// confirmations reads when each order of the store became CONFIRMED, from
// the event log, as a time since the run's base.
func (rr *restartRun) confirmations(ctx context.Context) (map[string]time.Duration, error) {
	rows, err := rr.b.store.SQL().QueryContext(ctx, `SELECT o.leafly_order_id, e.occurred_at FROM events e JOIN orders o ON o.id = e.order_id
		WHERE e.store_id = $1 AND e.status = $2`, rr.st.ID, string(domain.StatusConfirmed))
	if err != nil {
		return nil, fmt.Errorf("read the confirmations: %w", err)
	}
	defer rows.Close()
	at := map[string]time.Duration{}
	for rows.Next() {
		var id string
		var t time.Time
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		at[id] = t.Sub(rr.base)
	}
	return at, rows.Err()
}

// statusCounts counts what the replicas answered this program and the
// sandbox's webhooks: HTTP statuses, refused connections and requests that
// ended without an answer, by kind of request and the replica's phase.
type statusCounts struct {
	mu sync.Mutex
	n  map[string]int
	// serverErrors counts the 5xx answers of running and draining replicas.
	serverErrors int
}

// addResponse counts the answer r gave to a request of kind, or why none
// came.
func (s *statusCounts) addResponse(kind string, r *replica, resp *http.Response, err error) {
	phase := r.phase.Load().(string)
	outcome := "no answer"
	switch {
	case resp != nil:
		outcome = fmt.Sprint(resp.StatusCode)
	case isRefused(err):
		outcome = "refused"
	case err == nil:
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]int{}
	}
	s.n[fmt.Sprintf("%s %s (%s)", kind, outcome, phase)]++
	if resp != nil && resp.StatusCode >= 500 && phase != phaseStarting {
		s.serverErrors++
	}
}

func (s *statusCounts) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.n))
	for k := range s.n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, s.n[k])
	}
	return strings.Join(parts, ", ")
}

// isRefused reports whether err is a failure to connect (a refused
// connection, as from a replica that has stopped listening): nothing was
// sent, so the request may go to the other replica.
func isRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// balancer is the deploy's load balancer: it passes each request to the
// next replica in turn that is not starting (a starting replica is not
// ready; a draining one still gets requests, as it may from a balancer that
// has not yet seen it go), and to the other when a connection is refused.
type balancer struct {
	addr     string
	backends []string
	server   *http.Server
}

// balance starts the balancer in front of two free addresses, the
// replicas'.
func (rr *restartRun) balance() (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	lb := &balancer{addr: ln.Addr().String()}
	for range 2 {
		a, err := freeAddr()
		if err != nil {
			ln.Close()
			return nil, err
		}
		lb.backends = append(lb.backends, a)
	}
	var next atomic.Uint64
	transport := roundTripper(func(req *http.Request) (*http.Response, error) {
		// The body is read once and given to each attempt: a transport
		// closes the body of a request it fails.
		var body []byte
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			req.Body.Close()
			if err != nil {
				return nil, err
			}
			body = b
		}
		first := int(next.Add(1))
		var resp *http.Response
		err := errors.New("no replica is ready")
		for i := range rr.replicas {
			r := rr.replicas[(first+i)%len(rr.replicas)]
			if r.phase.Load() == phaseStarting {
				continue // not ready: its /readyz answers 503
			}
			out := req.Clone(req.Context())
			out.URL.Host = r.addr
			if body != nil {
				out.Body = io.NopCloser(bytes.NewReader(body))
			}
			resp, err = http.DefaultTransport.RoundTrip(out)
			rr.statuses.addResponse("webhook/oauth", r, resp, err)
			if !isRefused(err) {
				break
			}
		}
		return resp, err
	})
	proxy := &httputil.ReverseProxy{Transport: transport, Rewrite: func(p *httputil.ProxyRequest) {
		p.Out.URL.Scheme, p.Out.URL.Host = "http", lb.backends[0]
		p.SetXForwarded()
	}}
	lb.server = &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go lb.server.Serve(ln)
	return lb, nil
}

func (lb *balancer) Close() error { return lb.server.Close() }

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// trackedOrder is what the run knows of one order: when it was first
// submitted, and when a dashboard first saw it at each status.
type trackedOrder struct {
	submitted time.Duration
	seen      map[string]time.Duration
	saleID    string
}

// orderTracker follows the run's orders; staff hears of each first
// CONFIRMED and READY.
type orderTracker struct {
	mu    sync.Mutex
	byID  map[string]*trackedOrder
	ids   []string
	staff chan staffTask
}

type staffTask struct{ leaflyID, status string }

// staffQueue is how many staff tasks may wait: more than a run makes.
const staffQueue = 1 << 16

func (t *orderTracker) submitted(id string, at time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byID[id] = &trackedOrder{submitted: at, seen: map[string]time.Duration{}}
	t.ids = append(t.ids, id)
}

func (t *orderTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ids)
}

// saw records that a dashboard received the order at status.
func (t *orderTracker) saw(id, status string, at time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.byID[id]
	if o == nil {
		return
	}
	if _, ok := o.seen[status]; ok {
		return
	}
	o.seen[status] = at
	if status == string(domain.StatusConfirmed) || status == string(domain.StatusReady) {
		t.staff <- staffTask{id, status}
	}
}

// awaitPickedUp waits until a dashboard saw every order PICKED_UP, or for
// at most timeout.
func (t *orderTracker) awaitPickedUp(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		t.mu.Lock()
		done := true
		for _, o := range t.byID {
			if _, ok := o.seen[string(domain.StatusPickedUp)]; !ok {
				done = false
				break
			}
		}
		t.mu.Unlock()
		if done {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// submit submits orders at rate a second until ctx ends.
func (rr *restartRun) submit(ctx context.Context, rate float64) {
	token := rr.b.tokens.Mint(domain.RoleMarketplace)
	clients := make([]drive.GraphQL, len(rr.replicas))
	for i, r := range rr.replicas {
		clients[i] = drive.GraphQL{URL: "http://" + r.addr + "/query", Token: token, HTTP: &http.Client{Timeout: 30 * time.Second,
			Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
				resp, err := http.DefaultTransport.RoundTrip(req)
				rr.statuses.addResponse("submitOrder", r, resp, err)
				return resp, err
			})}}
	}
	prefix := fmt.Sprintf("ROLL-%d", time.Now().UnixNano())
	start := time.Now()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(at)):
		}
		id := fmt.Sprintf("%s-%d", prefix, i)
		rr.orders.submitted(id, time.Since(rr.base))
		wg.Go(func() {
			input := map[string]any{"input": burstOrder(rr.st, id, i, 5)}
			for attempt := 0; attempt < 10; attempt++ {
				if clients[(i+attempt)%len(clients)].Do(context.WithoutCancel(ctx), submitOrderMutation, input, nil) == nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// staff packs each sale once its order is CONFIRMED and closes it once
// READY, on the sandbox, until ctx ends.
func (rr *restartRun) staff(ctx context.Context, sb drive.Sandbox) {
	for {
		var task staffTask
		select {
		case task = <-rr.orders.staff:
		case <-ctx.Done():
			return
		}
		rr.orders.mu.Lock()
		o := rr.orders.byID[task.leaflyID]
		rr.orders.mu.Unlock()
		action := "close"
		if task.status == string(domain.StatusConfirmed) {
			action = "pack"
			sales, _, err := sb.Sales(context.WithoutCancel(ctx), task.leaflyID)
			if err != nil || len(sales) != 1 {
				fmt.Fprintf(rr.b.out, "  order %s: %d sales (%v)\n", task.leaflyID, len(sales), err)
				continue
			}
			o.saleID = sales[0].ID
		}
		if _, err := sb.StaffAction(context.WithoutCancel(ctx), o.saleID, action); err != nil {
			fmt.Fprintf(rr.b.out, "  staff %s of order %s: %v\n", action, task.leaflyID, err)
		}
	}
}

// dashboard is one client of orderUpdated: the replica it is on, the cursor
// of the last update it received, and every update's position, in the order
// received.
type dashboard struct {
	on         int
	after      string
	token      string
	seqs       []int64
	last       atomic.Int64
	gaveUp     atomic.Bool
	reconnects int
	err        error
}

// run keeps the dashboard subscribed until ctx ends, reconnecting and
// resuming after its cursor whenever its connection ends.
func (d *dashboard) run(ctx context.Context, rr *restartRun) {
	dialer := subscriberDialer()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			d.reconnects++
			time.Sleep(min(time.Duration(attempt)*100*time.Millisecond, time.Second))
			if attempt%2 == 0 {
				d.on = 1 - d.on
			}
		}
		s, err := d.dial(ctx, rr, dialer)
		if err != nil {
			continue
		}
		stop := context.AfterFunc(ctx, func() { s.conn.Close() })
		err = d.follow(s, rr)
		stop()
		s.conn.Close()
		if err != nil {
			d.err = err
			d.gaveUp.Store(true)
			return
		}
		attempt = 0
	}
}

// dial connects to the replica the dashboard is on and subscribes after its
// cursor.
func (d *dashboard) dial(ctx context.Context, rr *restartRun, dialer *websocket.Dialer) (*subscriber, error) {
	select {
	case rr.dials <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-rr.dials }()
	r := rr.replicas[d.on]
	conn, resp, err := dialer.DialContext(ctx, "ws://"+r.addr+"/query", nil)
	rr.statuses.addResponse("websocket", r, resp, err)
	if err != nil {
		return nil, err
	}
	s := &subscriber{conn: conn, done: make(chan struct{})}
	if err := s.init(d.token); err != nil {
		conn.Close()
		return nil, err
	}
	if err := s.subscribe(updatesSubscription, map[string]any{"s": rr.st.ID, "after": d.after}); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// follow reads updates until the connection ends (nil: reconnect) or the
// server refuses the subscription (an error: the dashboard gives up).
func (d *dashboard) follow(s *subscriber, rr *restartRun) error {
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			return nil
		}
		var m inbound
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("undecodable message %s: %w", data, err)
		}
		switch m.Type {
		case "next":
			u := m.Payload.Data.OrderUpdated
			if u == nil || len(m.Payload.Errors) > 0 {
				return fmt.Errorf("unexpected %s", data)
			}
			seq, err := domain.ParseOrderUpdateCursor(u.Cursor)
			if err != nil {
				return fmt.Errorf("cursor %q: %w", u.Cursor, err)
			}
			d.seqs = append(d.seqs, seq)
			d.after = u.Cursor
			d.last.Store(seq)
			rr.orders.saw(u.Order.LeaflyOrderID, u.Order.Status, time.Since(rr.base))
		case "ping":
			if err := s.conn.WriteMessage(websocket.TextMessage, pong); err != nil {
				return nil
			}
		case "complete":
			return nil
		case "pong", "ka":
		default:
			return fmt.Errorf("unexpected %s", data)
		}
	}
}

// awaitCaughtUp waits until every dashboard received the last update of
// want, or for at most timeout.
func awaitCaughtUp(dashboards []*dashboard, want []int64, timeout time.Duration) {
	if len(want) == 0 {
		return
	}
	last := want[len(want)-1]
	deadline := time.Now().Add(timeout)
	for _, d := range dashboards {
		for d.last.Load() < last && !d.gaveUp.Load() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// result checks every dashboard's updates against the event log and the
// orders' latency during the restarts against the baseline's.
func (rr *restartRun) result(dashboards []*dashboard, want []int64, confirmed map[string]time.Duration, from, to time.Duration, cpu cpuShare) result {
	c := rr.b.cfg.restart
	exact, missing, duplicates, disordered, failed, reconnects := 0, 0, 0, 0, 0, 0
	var firstErr error
	for i, d := range dashboards {
		reconnects += d.reconnects
		if d.err != nil {
			failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("dashboard %d: %w", i, d.err)
			}
		}
		got := map[int64]int{}
		for j, s := range d.seqs {
			got[s]++
			if j > 0 && s <= d.seqs[j-1] {
				disordered++
			}
		}
		dups, miss := 0, 0
		for _, n := range got {
			dups += n - 1
		}
		for _, s := range want {
			if got[s] == 0 {
				miss++
			}
		}
		if dups == 0 && miss == 0 && len(d.seqs) == len(want) && d.err == nil && slices.IsSorted(d.seqs) {
			exact++
		}
		duplicates += dups
		missing += miss
		if (dups > 0 || miss > 0) && firstErr == nil {
			firstErr = fmt.Errorf("dashboard %d: %d of %d updates missing, %d twice", i, miss, len(want), dups)
		}
	}
	var baseline, during, seenBaseline, seenDuring latencies
	unconfirmed := 0
	rr.orders.mu.Lock()
	for _, id := range rr.orders.ids {
		o := rr.orders.byID[id]
		at, ok := confirmed[id]
		seen, wasSeen := o.seen[string(domain.StatusConfirmed)]
		if !ok || !wasSeen {
			unconfirmed++
			continue
		}
		if o.submitted < from {
			baseline, seenBaseline = append(baseline, at-o.submitted), append(seenBaseline, seen-o.submitted)
		} else {
			during, seenDuring = append(during, at-o.submitted), append(seenDuring, seen-o.submitted)
		}
	}
	orders := len(rr.orders.ids)
	rr.orders.mu.Unlock()
	rr.statuses.mu.Lock()
	serverErrors := rr.statuses.serverErrors
	rr.statuses.mu.Unlock()
	load := fmt.Sprintf("%s on orderUpdated over 2 replicas, %.3g orders/s, A then B restarted", plural(c.clients, "dashboard"), c.rate)
	errs := failed + missing + duplicates + disordered + unconfirmed + serverErrors
	if firstErr == nil && unconfirmed > 0 {
		firstErr = fmt.Errorf("%d of %d orders never seen CONFIRMED", unconfirmed, orders)
	}
	r := newResult("rolling-restart", rr.b.cfg.db, load, window{lat: during, errors: errs, firstErr: firstErr})
	r.Throughput = 0
	r.CPU = cpu
	bs, ds := baseline.summary(), during.summary()
	sb, sd := seenBaseline.summary(), seenDuring.summary()
	r.detail("submit → CONFIRMED (committed): baseline (%s, %s) p50 %.0f ms, p99 %.0f ms, max %.0f ms; during the restarts (%s, %s to %s) p50 %.0f ms, p99 %.0f ms, max %.0f ms",
		plural(len(baseline), "order"), c.baseline, ms(bs.P50), ms(bs.P99), ms(bs.Max), plural(len(during), "order"),
		from.Round(time.Second), to.Round(time.Second), ms(ds.P50), ms(ds.P99), ms(ds.Max))
	r.detail("submit → the first dashboard to see it CONFIRMED: baseline p50 %.0f ms, max %.0f ms; during the restarts p50 %.0f ms, max %.0f ms (dashboards reconnecting)",
		ms(sb.P50), ms(sb.Max), ms(sd.P50), ms(sd.Max))
	r.detail("%s/%s dashboards got all %s updates exactly once, in order; %d missing, %d duplicate, %d out of order; %d connection attempts after a drop",
		count(exact), count(c.clients), count(len(want)), missing, duplicates, disordered, reconnects)
	r.detail("answers the replicas gave: %s", &rr.statuses)
	if cpu.Seconds > 0 && len(baseline) > 0 {
		r.detail("baseline %s", cpu.perOp(len(baseline), "order"))
	}
	r.Values = map[string]float64{"dashboards": float64(c.clients), "exact": float64(exact), "updates": float64(len(want)),
		"missing": float64(missing), "duplicates": float64(duplicates), "disordered": float64(disordered), "reconnects": float64(reconnects),
		"orders": float64(orders), "unconfirmed": float64(unconfirmed), "serverErrors": float64(serverErrors),
		"baselineP50Ms": ms(bs.P50), "baselineP99Ms": ms(bs.P99), "baselineMaxMs": ms(bs.Max), "seenBaselineMaxMs": ms(sb.Max), "seenDuringMaxMs": ms(sd.Max)}
	r.goal("every dashboard every update once, in order", exact == c.clients && len(want) > 0)
	r.goal(fmt.Sprintf("no order > %s longer than the baseline's slowest", restartSlack), unconfirmed == 0 && len(during) > 0 && ds.Max <= bs.Max+restartSlack)
	r.goal("no 5xx", serverErrors == 0)
	return r
}
