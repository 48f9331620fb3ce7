// Package sync is the order service's client of Lightspeed Retail
// (X-Series): typed calls for what the service reads and writes there
// (retailer, outlets, registers, users, payment types, taxes, products,
// customers, sales, fulfillments, webhooks), OAuth, error classification
// and the per-retailer rate budget. It holds no state of the service's own:
// package app decides what to call and when (menu sync, sending orders as
// sales, reading their changes back) and stores the results.
//
// The nouns:
//
//   - Client calls the X-Series REST API (date version 2026-07 by default),
//     one typed method per call, plus the OAuth token endpoint
//     (AuthorizeURL, ExchangeCode, Refresh). It never retries by itself,
//     except with a renewed token after a 401 (Target.Renew).
//   - Target is the retailer a call goes to (its domain prefix) and the
//     access token to use; the caller owns token storage and refresh, and
//     can offer a renewal through Renew.
//   - Error classifies every failure by ErrorKind: credential (reconnect),
//     outage (retry later), rate limited (retry after RetryAfter), rejected
//     (Lightspeed refused the request; Message says why), not found. A
//     canceled caller context is returned as the context's error, unclassified.
//   - Limiter paces requests per retailer within Lightspeed's budget of
//     300 × registers + 50 requests per 5 minutes, pauses a retailer after
//     a 429 or when X-RateLimit-Remaining runs out, and can share pauses
//     across replicas through a SharedGate. Calls made for a waiting person
//     (Interactive) fail at once rather than queue behind background work.
//   - Call is what the client reports to Config.OnCall for every HTTP
//     request, for the support trail and metrics.
//   - Number is a decimal amount or quantity read from a JSON number or a
//     numeric string, sent as a JSON number.
//
// The name collides with the standard library's sync: importers that need
// both alias this one as lssync everywhere.
package sync
