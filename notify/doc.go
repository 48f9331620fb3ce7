// Package notify is how the service tells people things: shoppers about
// their order's status changes, dispensary staff about new orders, and store
// managers about integration alerts.
//
// The nouns:
//
//   - A Message is one notification: who it is for (To), what kind it is
//     (Kind), the words a person reads (Subject, Text) and the same facts as
//     structured Data for machine receivers. Its ID is the idempotency key,
//     the id of the outbox row the message was built from: a retried send
//     carries the same ID, so receivers may drop duplicates.
//   - A Notifier sends a Message. There are three: Log writes it to the
//     service's log (the embedded default, for development), SMTP mails it,
//     and Webhook posts it, signed, to Leafly's notification endpoint.
//   - The templates, OrderStatusMessage, NewOrderMessage and AlertMessage,
//     build Messages from domain values, so the wording lives in one place
//     and every Notifier says the same thing.
//
// A Notifier's error is retryable unless it wraps ErrRejected: the receiver
// refused the message for good (a bad address, a 4xx from the endpoint), and
// sending it again would be refused again.
//
// Shopper messages never promise timing ("ready in 20 minutes"): Lightspeed's
// sale states say where an order is, not when it will move on.
package notify
