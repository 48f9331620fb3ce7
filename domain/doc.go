// Package domain holds the vocabulary of the order service: stores, menu items,
// orders and their lines, Leafly's forward-only order status machine, cancel
// reasons, alerts, a store's Lightspeed credentials, Relay-style pages of
// orders and menu items, the roles and permission table of the public
// contract, and the small error vocabulary every layer speaks.
//
// It imports nothing of persistence, GraphQL or HTTP: adapters (the storage
// package, the GraphQL resolvers, the Lightspeed sync) translate to and from
// these types.
package domain
