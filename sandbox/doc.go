// Package sandbox is the project's own Lightspeed Retail X-Series: an
// in-memory http.Handler that behaves like the real API as Lightspeed's
// documentation (https://x-series-api.lightspeedhq.com/docs) and its 2026-07
// OpenAPI document (sync/testdata/x-series-openapi.json) describe it.
// `go run ./server` mounts it at /sandbox when no real Lightspeed app is
// configured, so a newcomer can play the Lightspeed side; tests drive it
// over real HTTP (httptest.Server).
//
// # Nouns
//
//   - Retailer: one store account, named by its domain prefix. Paths are
//     /{domain_prefix}/api/{version}/… instead of the real
//     https://{domain_prefix}.retail.lightspeed.app/api/{version}/…, so a
//     client configured with API URL "<base>/{domain_prefix}" needs nothing
//     else. A retailer owns outlets, registers, users, payment types, taxes
//     (reference data), products, customers and their addresses, sales,
//     fulfillments and webhook subscriptions. AddRetailer makes a bare one,
//     SeedDemo the demo dispensary "demo" (personal token "lsxs_pt_demo").
//     Seeded ids are derived from names, so they survive a restart; sales,
//     customers and tokens do not (there is no database).
//   - Grant: what a bearer token proves. OAuth access tokens come from
//     /connect (auto-approved consent) and POST /{prefix}/api/1.0/token;
//     refreshing rotates the refresh token. Personal tokens (Options or
//     SeedDemo) grant every scope of one retailer and never expire. OAuth
//     tokens are limited to the scopes granted; a missing scope answers 403
//     {"error":"permission denied"}, using the scope names of the spec
//     (taxes:read for /taxes; none for GET /fulfillments, as the spec lists none).
//   - Version: one global counter, starting above the int32 range, bumped by
//     every change of any object. Version-cursor lists (after, before,
//     page_size, deleted) return {"data": […], "version": {"min", "max"}};
//     GET /sales is the change feed.
//   - Sale: stored in the 2026-07 response shape; version appears both at the
//     top level and in _metadata. A pending sale with pickup or delivery gets
//     a fulfillment (PICKUP or DISPATCH, state OPEN) that pick/pack/fulfill
//     or the staff actions move on.
//   - Webhook: a subscription; every sale change (API or staff, except the
//     silent edit) POSTs the legacy 1.0 register_sale payload, form-encoded
//     (payload=…&domain_prefix=…&environment=sandbox), signed, retried.
//   - Staff actions (/{prefix}/staff/…): what store staff do in the POS:
//     pack, close, void, delete, silently edit a sale; add, change and delete
//     products. No authentication: it is a sandbox.
//   - Control (/control/…): faults (status, latency, hang, token
//     revocation), token lifetimes, rate-limit overrides, webhook switches, request stats.
//     No authentication either.
//
// # How what Lightspeed leaves undocumented is modelled
//
//   - POST /sales with an id that exists: 409 {"error":"sale already exists"}
//     (never an update, never a duplicate), so a client that retries with its
//     own id learns the first attempt succeeded. Deleted sales count.
//   - Money and quantities: numbers and numeric strings are both accepted.
//     Unit price is tax-exclusive; tax.amount is per unit; totals are
//     price × quantity.
//   - PUT /sales/{id}: partial bodies; only the fields sent change. A body
//     that changes nothing returns the sale without a new version. Closed
//     sales can only be voided; voided and deleted sales cannot change.
//   - Posting to a closed register is allowed (registers are always open).
//   - Token endpoint errors: RFC 6749 bodies, {"error":"invalid_grant",
//     "error_description":…} with 400 for a bad, used, expired or rotated
//     code or refresh token; 401 invalid_client for wrong client credentials.
//     Access tokens live Options.AccessTokenTTL (24 h by default); a refresh
//     returns a new access token and leaves the old one valid until it expires.
//     POST /control/tokens shortens lifetimes (access_ttl_ms), makes tokens
//     stop working before the expiry they announce (access_works_ms) or
//     revokes access tokens at once, keeping refresh tokens (revoke_access);
//     stats count refreshes and refresh_replays (a rotated refresh token
//     presented again).
//     Authorization codes: single use, 10 minutes. The callback carries code,
//     domain_prefix, state and scope.
//   - Webhook signature: X-Signature: signature=<v>,algorithm=HMAC-SHA256,
//     HMAC-SHA256(client secret, raw body), lowercase hex by default, base64
//     after POST /control/webhooks {"signature_encoding":"base64"}. Only
//     webhooks created with an OAuth token are signed (personal-token ones
//     are not, as inferred from Lightspeed's docs).
//   - Sale webhook payload: includes state and attributes beside the legacy
//     status; POST /control/webhooks {"legacy_only":true} omits them.
//   - Webhook retries: 20 attempts, Options.WebhookRetryDelays apart (about
//     two days by default); no automatic deactivation.
//   - Page sizes: version-cursor lists default to 1000 and cap at 10000;
//     /search defaults to 100 and caps at 1000; /fulfillments 10 and 100.
//   - /search: results are immediately searchable (no index lag); customer
//     filters compare case-insensitively and exactly; product SKUs must be
//     sent lowercased, as documented.
//   - GET /sales includes deleted sales (with deleted_at): the spec gives it
//     no deleted parameter and a change feed must show deletions. GET
//     /sales/{id} and /products/{id} answer deleted objects with deleted_at.
//   - Rate limit: one fixed 5-minute window per retailer, 300 × registers + 50,
//     counted after authentication; the token endpoint has its own bucket of
//     100 per window with X-RateLimit-Reset. 429 carries Retry-After as an
//     HTTP-date rounded up to the second.
//   - Customer emails are not unique: deduplicating shoppers is the client's job.
//   - Date versions: any YYYY-MM (no end-of-life), plus 2.0, 2.1 and 3.0.
//
// The Go surface is small on purpose: New, ServeHTTP, Close, SeedDemo,
// AddRetailer, Retailer (a snapshot of ids) and AddProducts. Everything else
// is HTTP, so what tests exercise is what a client sees.
package sandbox
