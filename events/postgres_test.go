package events_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/events"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// The listener of a replica handles notifications in commit order, so these
// tests use a later event as a barrier: once it arrives, any duplicate of an
// earlier one would have arrived before it.

// twoReplicas starts replicas A and B over one event log, with a
// subscription to store-1 on each and one to store-2 on B.
func twoReplicas(t *testing.T) (db *eventLog, a, b *events.Postgres, subA, subB, otherB <-chan domain.Event) {
	t.Helper()
	db = newEventLog(t)
	a = db.replica(t, events.PostgresOptions{ReplicaID: "replica-a"})
	b = db.replica(t, events.PostgresOptions{ReplicaID: "replica-b"})
	return db, a, b, a.Subscribe(t.Context(), "store-1"), b.Subscribe(t.Context(), "store-1"), b.Subscribe(t.Context(), "store-2")
}

func TestPostgresDeliversAcrossReplicas(t *testing.T) {
	db, a, b, subA, subB, otherB := twoReplicas(t)

	e1 := db.insert(t, "store-1", domain.StatusConfirmed)
	mustPublish(t, a, e1)
	e2 := db.insert(t, "store-1", domain.StatusReady)
	mustPublish(t, a, e2)
	gotB := receiveN(t, subB, 2)
	assertSeqs(t, gotB, e1.Seq, e2.Seq)
	if got := gotB[0]; got.StoreID != "store-1" || got.OrderStatus == nil || got.OrderStatus.Status != domain.StatusConfirmed {
		t.Errorf("B got %+v, want the event read back from the log", got)
	}

	e3 := db.insert(t, "store-1", domain.StatusPickedUp)
	mustPublish(t, b, e3)
	assertSeqs(t, receiveN(t, subA, 3), e1.Seq, e2.Seq, e3.Seq) // A: 2 own, 1 from B

	other := db.insert(t, "store-2", domain.StatusConfirmed)
	mustPublish(t, a, other)
	e4 := db.insert(t, "store-1", domain.StatusCanceled)
	mustPublish(t, a, e4)
	assertSeqs(t, receiveN(t, subB, 2), e3.Seq, e4.Seq) // B: 1 own, 1 from A
	assertSeqs(t, receiveN(t, otherB, 1), other.Seq)
	assertEmpty(t, otherB)
	assertSeqs(t, receiveN(t, subA, 1), e4.Seq)
}

// TestPostgresPublishesAChangeTogether checks the events of one change,
// published together (one notification statement), reach another replica
// each once and in order, with events of two stores in one call.
func TestPostgresPublishesAChangeTogether(t *testing.T) {
	db, a, _, subA, subB, otherB := twoReplicas(t)

	e1 := db.insert(t, "store-1", domain.StatusConfirmed)
	e2 := db.insert(t, "store-1", domain.StatusReady)
	other := db.insert(t, "store-2", domain.StatusConfirmed)
	e3 := db.insert(t, "store-1", domain.StatusPickedUp)
	if err := a.Publish(t.Context(), e1, e2, other, e3); err != nil {
		t.Fatal(err)
	}
	assertSeqs(t, receiveN(t, subB, 3), e1.Seq, e2.Seq, e3.Seq)
	assertSeqs(t, receiveN(t, otherB, 1), other.Seq)
	assertSeqs(t, receiveN(t, subA, 3), e1.Seq, e2.Seq, e3.Seq)
	barrier := db.insert(t, "store-1", domain.StatusCanceled)
	mustPublish(t, a, barrier)
	assertSeqs(t, receiveN(t, subB, 1), barrier.Seq)
	assertEmpty(t, otherB)
}

// TestPostgresPublishLeavesAnnouncedEvents publishes an event its own
// transaction announced (Announced) with one it did not: this replica's
// subscribers get both, the channel only the second's notice, and another
// replica each once (the first from its transaction's notice).
func TestPostgresPublishLeavesAnnouncedEvents(t *testing.T) {
	db, a, _, subA, subB, _ := twoReplicas(t)
	channel, err := pgx.Connect(t.Context(), db.url)
	if err != nil {
		t.Fatal(err)
	}
	defer channel.Close(context.Background())
	if _, err := channel.Exec(t.Context(), "LISTEN "+a.Channel()); err != nil {
		t.Fatal(err)
	}

	var seq int64
	err = pgx.BeginFunc(t.Context(), db.conn, func(tx pgx.Tx) error {
		if err := tx.QueryRow(t.Context(), `INSERT INTO test_events (store_id, status) VALUES ('store-1', 'CONFIRMED') RETURNING seq`).Scan(&seq); err != nil {
			return err
		}
		_, err := tx.Exec(t.Context(), `SELECT pg_notify($1, json_build_object('seq', $2::bigint, 'store', 'store-1', 'origin', $3::text)::text)`,
			a.Channel(), seq, a.ReplicaID())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	announced := orderEvent(seq, "store-1", string(domain.StatusConfirmed))
	announced.Announced = true
	plain := db.insert(t, "store-1", domain.StatusReady)
	if err := a.Publish(t.Context(), announced, plain); err != nil {
		t.Fatal(err)
	}
	assertSeqs(t, receiveN(t, subA, 2), announced.Seq, plain.Seq)
	assertSeqs(t, receiveN(t, subB, 2), announced.Seq, plain.Seq)
	for _, want := range []int64{announced.Seq, plain.Seq} {
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		n, err := channel.WaitForNotification(ctx)
		cancel()
		if err != nil {
			t.Fatalf("notice of seq %d: %v", want, err)
		}
		if !strings.Contains(n.Payload, fmt.Sprintf(`"seq" : %d,`, want)) && !strings.Contains(n.Payload, fmt.Sprintf(`"seq":%d,`, want)) {
			t.Fatalf("notice %s, want seq %d's (the announced event's notice again?)", n.Payload, want)
		}
	}
}

func TestPostgresDeliversEachEventOnce(t *testing.T) {
	db := newEventLog(t)
	early := db.insert(t, "store-1", domain.StatusConfirmed) // committed before B starts
	a := db.replica(t, events.PostgresOptions{ReplicaID: "replica-a"})
	b := db.replica(t, events.PostgresOptions{ReplicaID: "replica-b"})
	subA := a.Subscribe(t.Context(), "store-1")
	subB := b.Subscribe(t.Context(), "store-1")

	mustPublish(t, a, early) // announced late: still news
	e1 := db.insert(t, "store-1", domain.StatusReady)
	mustPublish(t, a, e1)
	mustPublish(t, a, e1) // announced twice
	barrier := db.insert(t, "store-1", domain.StatusPickedUp)
	mustPublish(t, a, barrier)

	assertSeqs(t, receiveN(t, subB, 3), early.Seq, e1.Seq, barrier.Seq)
	assertSeqs(t, receiveN(t, subA, 3), early.Seq, e1.Seq, barrier.Seq)
	assertEmpty(t, subA)
}

func TestPostgresCatchesUpAfterListenerLoss(t *testing.T) {
	db := newEventLog(t)
	db.insert(t, "store-1", domain.StatusConfirmed) // history: never delivered
	var reconnects atomic.Int64
	a := db.replica(t, events.PostgresOptions{ReplicaID: "replica-a"})
	b := db.replica(t, events.PostgresOptions{ReplicaID: "replica-b", OnReconnect: func() { reconnects.Add(1) }})
	subB := b.Subscribe(t.Context(), "store-1")
	warmUp := db.insert(t, "store-1", domain.StatusConfirmed)
	mustPublish(t, a, warmUp) // also leaves A a pooled connection for later
	assertSeqs(t, receiveN(t, subB, 1), warmUp.Seq)

	// B must miss the notifications for sure, so nobody may connect to the
	// database until it is allowed again; open connections stay.
	db.allowConnections(t, false)
	db.terminateListener(t, b.ReplicaID())
	var missed []int64
	for range 5 {
		ev := db.insert(t, "store-1", domain.StatusReady)
		mustPublish(t, a, ev)
		missed = append(missed, ev.Seq)
	}
	db.allowConnections(t, true)

	assertSeqs(t, receiveN(t, subB, len(missed)), missed...)
	barrier := db.insert(t, "store-1", domain.StatusPickedUp)
	mustPublish(t, a, barrier)
	assertSeqs(t, receiveN(t, subB, 1), barrier.Seq)
	if got := reconnects.Load(); got != 1 {
		t.Errorf("reconnects = %d, want 1", got)
	}
}

// TestPostgresStartCountsFromBeforeListening: a replica that Starts before
// it takes subscriptions gets, once its listener runs, the events other
// replicas committed in between (their notices went to nobody), each
// once, and none from before Start.
func TestPostgresStartCountsFromBeforeListening(t *testing.T) {
	db := newEventLog(t)
	db.insert(t, "store-1", domain.StatusConfirmed) // history: never delivered
	a := db.replica(t, events.PostgresOptions{ReplicaID: "replica-a"})
	b := db.newReplica(t, events.PostgresOptions{ReplicaID: "replica-b"})
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	subB := b.Subscribe(t.Context(), "store-1")
	early := db.insert(t, "store-1", domain.StatusReady)
	mustPublish(t, a, early)
	run(t, b)
	assertSeqs(t, receiveN(t, subB, 1), early.Seq)
	barrier := db.insert(t, "store-1", domain.StatusPickedUp)
	mustPublish(t, a, barrier)
	assertSeqs(t, receiveN(t, subB, 1), barrier.Seq)
}

// TestPostgresCatchUpReachesBelowOwnEvents: while B's listener is away, B
// publishes more of its own events than the lookback; catch-up must still
// start below them, where A's events are.
func TestPostgresCatchUpReachesBelowOwnEvents(t *testing.T) {
	db := newEventLog(t)
	var reconnects atomic.Int64
	a := db.replica(t, events.PostgresOptions{ReplicaID: "replica-a"})
	b := db.replica(t, events.PostgresOptions{ReplicaID: "replica-b", Lookback: 2, OnReconnect: func() { reconnects.Add(1) }})
	subB := b.Subscribe(t.Context(), "store-1")
	for _, p := range []*events.Postgres{a, b} { // pooled connections for later
		ev := db.insert(t, "store-1", domain.StatusConfirmed)
		mustPublish(t, p, ev)
		assertSeqs(t, receiveN(t, subB, 1), ev.Seq)
	}

	db.allowConnections(t, false)
	db.terminateListener(t, b.ReplicaID())
	fromA := db.insert(t, "store-1", domain.StatusReady)
	mustPublish(t, a, fromA)
	var own []int64
	for range 5 {
		ev := db.insert(t, "store-1", domain.StatusReady)
		mustPublish(t, b, ev)
		own = append(own, ev.Seq)
	}
	assertSeqs(t, receiveN(t, subB, len(own)), own...) // at once, locally
	db.allowConnections(t, true)

	assertSeqs(t, receiveN(t, subB, 1), fromA.Seq)
	barrier := db.insert(t, "store-1", domain.StatusPickedUp)
	mustPublish(t, a, barrier)
	assertSeqs(t, receiveN(t, subB, 1), barrier.Seq)
	if got := reconnects.Load(); got != 1 {
		t.Errorf("reconnects = %d, want 1", got)
	}
}

// TestPostgresListenerSurvivesHealthChecks: an idle listener pings its
// connection and keeps listening on it.
func TestPostgresListenerSurvivesHealthChecks(t *testing.T) {
	db := newEventLog(t)
	var reconnects atomic.Int64
	a := db.replica(t, events.PostgresOptions{ReplicaID: "replica-a"})
	b := db.replica(t, events.PostgresOptions{
		ReplicaID:      "replica-b",
		HealthInterval: 10 * time.Millisecond,
		OnReconnect:    func() { reconnects.Add(1) },
	})
	subB := b.Subscribe(t.Context(), "store-1")

	db.waitListenerPinged(t, b.ReplicaID())
	ev := db.insert(t, "store-1", domain.StatusConfirmed)
	mustPublish(t, a, ev)

	assertSeqs(t, receiveN(t, subB, 1), ev.Seq)
	if got := reconnects.Load(); got != 0 {
		t.Errorf("reconnects = %d, want 0", got)
	}
}

func TestNewPostgresRejectsIncompleteOptions(t *testing.T) {
	hub := events.NewHub(events.HubOptions{})
	loader := &testLoader{}
	const dbURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	for name, opts := range map[string]events.PostgresOptions{
		"NoDatabaseURL": {Hub: hub, Loader: loader},
		"NoHub":         {DatabaseURL: dbURL, Loader: loader},
		"NoLoader":      {DatabaseURL: dbURL, Hub: hub},
		"LongLookback":  {DatabaseURL: dbURL, Hub: hub, Loader: loader, Lookback: 1 << 20},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := events.NewPostgres(opts); err == nil {
				t.Error("NewPostgres succeeded, want an error")
			}
		})
	}
}

func TestPostgresPublishRejectsEventOutsideLog(t *testing.T) {
	hub := events.NewHub(events.HubOptions{})
	p, err := events.NewPostgres(events.PostgresOptions{
		DatabaseURL: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		Hub:         hub,
		Loader:      &testLoader{},
	})
	if err != nil {
		t.Fatalf("NewPostgres: %v", err)
	}
	defer p.Close()
	if err := p.Publish(t.Context(), domain.Event{StoreID: "store-1"}); err == nil {
		t.Error("Publish of an event without a seq succeeded, want an error")
	}
}

// eventLog is a test database with a small event log table.
type eventLog struct {
	url  string
	base string
	conn *pgx.Conn
	pool *pgxpool.Pool
}

func newEventLog(t *testing.T) *eventLog {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(t.Context(), `CREATE TABLE test_events (seq bigserial PRIMARY KEY, store_id text NOT NULL, status text NOT NULL)`)
	if err != nil {
		t.Fatalf("create test_events: %v", err)
	}
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return &eventLog{url: dbURL, base: os.Getenv("TEST_DATABASE_URL"), conn: conn, pool: pool}
}

// replica starts a Postgres broker on the database, stopped when t ends, and
// waits until it listens. opts needs only a ReplicaID.
func (l *eventLog) replica(t *testing.T, opts events.PostgresOptions) *events.Postgres {
	t.Helper()
	p := l.newReplica(t, opts)
	run(t, p)
	return p
}

// newReplica returns a Postgres broker on the database, not yet running.
func (l *eventLog) newReplica(t *testing.T, opts events.PostgresOptions) *events.Postgres {
	t.Helper()
	opts.DatabaseURL = l.url
	opts.Hub = events.NewHub(events.HubOptions{})
	opts.Loader = &testLoader{pool: l.pool}
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	p, err := events.NewPostgres(opts)
	if err != nil {
		t.Fatalf("NewPostgres: %v", err)
	}
	return p
}

// run runs p's listener until t ends and waits until it listens.
func run(t *testing.T, p *events.Postgres) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run of %s: %v", p.ReplicaID(), err)
		}
		p.Close()
	})
	waitReady(t, p)
}

func waitReady(tb testing.TB, p *events.Postgres) {
	tb.Helper()
	select {
	case <-p.Ready():
	case <-time.After(deadline):
		tb.Fatalf("replica %s not listening within %v", p.ReplicaID(), deadline)
	}
}

// insert commits an event to the log.
func (l *eventLog) insert(tb testing.TB, storeID string, status domain.Status) domain.Event {
	tb.Helper()
	var seq int64
	err := l.conn.QueryRow(context.Background(),
		`INSERT INTO test_events (store_id, status) VALUES ($1, $2) RETURNING seq`, storeID, string(status)).Scan(&seq)
	if err != nil {
		tb.Fatalf("insert event: %v", err)
	}
	return orderEvent(seq, storeID, string(status))
}

// terminateListener ends the listener backend of a replica and waits until
// it is gone.
func (l *eventLog) terminateListener(tb testing.TB, replicaID string) {
	tb.Helper()
	var terminated int
	err := l.conn.QueryRow(context.Background(), `
		SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))
		FROM pg_stat_activity
		WHERE application_name = $1`,
		events.ListenerApplicationName(replicaID)).Scan(&terminated)
	if err != nil {
		tb.Fatalf("terminate listener of %s: %v", replicaID, err)
	}
	if terminated != 1 {
		tb.Fatalf("terminated %d listeners of %s, want 1", terminated, replicaID)
	}
}

// waitListenerPinged waits until the listener of a replica ran something
// after its LISTEN: a health check.
func (l *eventLog) waitListenerPinged(tb testing.TB, replicaID string) {
	tb.Helper()
	end := time.Now().Add(deadline)
	for {
		var last string
		err := l.conn.QueryRow(context.Background(),
			`SELECT query FROM pg_stat_activity WHERE application_name = $1`,
			events.ListenerApplicationName(replicaID)).Scan(&last)
		if err != nil {
			tb.Fatalf("read listener query of %s: %v", replicaID, err)
		}
		if !strings.HasPrefix(strings.ToUpper(last), "LISTEN") {
			return
		}
		if time.Now().After(end) {
			tb.Fatalf("listener of %s still last ran %q after %v, want a health check", replicaID, last, deadline)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not synchronisation
	}
}

// allowConnections lets new connections into the test database, or keeps
// them out (existing ones stay). It must run from another database.
func (l *eventLog) allowConnections(tb testing.TB, allow bool) {
	tb.Helper()
	u, err := url.Parse(l.url)
	if err != nil {
		tb.Fatalf("parse database url: %v", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := pgx.Connect(context.Background(), l.base)
	if err != nil {
		tb.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close(context.Background())
	sql := fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", pgx.Identifier{name}.Sanitize(), allow)
	if _, err := admin.Exec(context.Background(), sql); err != nil {
		tb.Fatalf("allow connections %t: %v", allow, err)
	}
}

// testLoader reads the test event log.
type testLoader struct {
	pool *pgxpool.Pool
}

const selectEvents = `SELECT seq, store_id, status FROM test_events `

func (l *testLoader) Event(ctx context.Context, seq int64) (domain.Event, error) {
	evs, err := l.query(ctx, selectEvents+`WHERE seq = $1`, seq)
	if err != nil {
		return domain.Event{}, err
	}
	if len(evs) == 0 {
		return domain.Event{}, fmt.Errorf("event %d: %w", seq, errNotFound)
	}
	return evs[0], nil
}

func (l *testLoader) EventsAfter(ctx context.Context, seq int64, limit int) ([]domain.Event, error) {
	return l.query(ctx, selectEvents+`WHERE seq > $1 ORDER BY seq LIMIT $2`, seq, limit)
}

func (l *testLoader) LatestSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := l.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM test_events`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("latest seq: %w", err)
	}
	return seq, nil
}

func (l *testLoader) query(ctx context.Context, sql string, args ...any) ([]domain.Event, error) {
	rows, err := l.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("query events: %w", err)
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Event, error) {
		var seq int64
		var storeID, status string
		err := row.Scan(&seq, &storeID, &status)
		return orderEvent(seq, storeID, status), err
	})
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return evs, nil
}

var errNotFound = errors.New("not found")

func orderEvent(seq int64, storeID, status string) domain.Event {
	return domain.Event{
		Seq:         seq,
		StoreID:     storeID,
		OrderStatus: &domain.OrderStatusEvent{Status: domain.Status(status)},
	}
}

// receiveN returns the next n events of ch.
func receiveN(tb testing.TB, ch <-chan domain.Event, n int) []domain.Event {
	tb.Helper()
	got := make([]domain.Event, 0, n)
	for range n {
		got = append(got, mustReceive(tb, ch))
	}
	return got
}
