// Package events carries a committed change to the GraphQL subscribers of a
// store, on every replica of the service.
//
// The nouns:
//
//   - An event is a domain.Event: an order update (a status change, the
//     order's creation included, or a change of its posSync), an alert, or a
//     change of the store itself, numbered by Seq, its position in the event
//     log.
//   - The event log is the table the persistence layer appends an event to in
//     the same transaction as the change it describes. Loader is this
//     package's read-only view of it.
//   - A broker (Broker) is what the rest of the service publishes to after a
//     transaction commits and what subscription resolvers subscribe to.
//     Publishing before commit would tell subscribers about a change that may
//     still roll back, so never do it.
//   - The hub (Hub) is the in-process broker: per store, a set of subscribers,
//     each with a buffered channel. Publishing never blocks; a subscriber
//     whose buffer is full is dropped (its channel closed) rather than allowed
//     to stall the publisher and every other subscriber.
//   - Postgres is the broker that crosses replicas. It delivers to its own hub
//     at once and announces the event with PostgreSQL NOTIFY, carrying only
//     the event's seq, store and origin replica.
//   - The listener is the one dedicated connection of a Postgres broker that
//     runs LISTEN. On a notification from another replica it reads the event
//     back from the event log and delivers it to the local hub.
//   - Catch-up is what the listener does after it reconnects: NOTIFY is not
//     durable, so notifications sent while it was away are lost; it reads the
//     event log after the highest seq it had heard of, in pages, and delivers
//     what it has not delivered yet. (Not after the highest seq delivered:
//     the replica's own Publish calls go on while its listener is away.)
//     A listener that gets a notification for a store nobody on its replica
//     subscribes to does not read the event at all.
//
// Ordering caveat: sequence numbers are handed out when a transaction inserts
// its event, not when it commits, so seq 11 can commit (and be announced)
// before seq 10. (Not among one store's order updates: the persistence layer
// numbers them under the store's row lock, held to the commit, which
// orderUpdated's replay after a cursor relies on.) Live notifications deliver both in commit order. Catch-up
// starts a little below the highest seq heard of (PostgresOptions.Lookback)
// to pick up such stragglers that committed during a reconnect window; a
// window of the 65,536 most recent seqs (the seen-set) remembers which were
// delivered, so that nothing is delivered twice, whether it comes from the
// replica itself, a notification or a catch-up page. Subscribers may
// therefore see a store's events out of seq order, each at most once (the
// orderUpdated subscription puts a store's updates back in order); an
// event that committed while the listener was away is missed only if its seq
// trails the highest one heard of by more than Lookback.
//
// A Postgres broker's Run must be running for other replicas' events to
// arrive; Publish and Subscribe work without it.
package events
