// Package sync is the order service's link to Lightspeed Retail (X-Series):
// the API client, OAuth, the menu sync, sending orders as sales, and reading
// status changes back. It fills in with the Lightspeed issues.
//
// The name collides with the standard library's sync: importers that need
// both alias this one as lssync everywhere.
package sync
