// Package sync is the order service's link to Lightspeed Retail (X-Series):
// the API client, OAuth, the menu sync, sending orders as sales, and reading
// status changes back. It fills in with the Lightspeed issues.
//
// The nouns so far:
//
//   - Client calls the X-Series REST API (date version 2026-07 by default),
//     one typed method per call, plus the OAuth token endpoint
//     (AuthorizeURL, ExchangeCode, Refresh). It never retries by itself.
//   - Target is the retailer a call goes to (its domain prefix) and the
//     access token to use; the caller owns token storage and refresh.
//   - Error classifies every failure by ErrorKind: credential (reconnect),
//     outage (retry later), rate limited (retry after RetryAfter), rejected
//     (Lightspeed refused the request; Message says why), not found. A
//     canceled caller context is returned as the context's error, unclassified.
//   - Limiter paces requests per retailer within Lightspeed's budget of
//     300 × registers + 50 requests per 5 minutes, pauses a retailer after
//     a 429 or when X-RateLimit-Remaining runs out, and can share pauses
//     across replicas through a SharedGate.
//   - Call is what the client reports to Config.OnCall for every HTTP
//     request, for the support trail and metrics.
//   - Number is a decimal amount or quantity read from a JSON number or a
//     numeric string, sent as a JSON number.
//
// The name collides with the standard library's sync: importers that need
// both alias this one as lssync everywhere.
package sync
