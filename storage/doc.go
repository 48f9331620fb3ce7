// Package storage keeps the order service's data with gorm: PostgreSQL when
// a database URL is given, otherwise an embedded SQLite file (pure Go, no
// cgo). Every exported method of DB is one transaction; unexported helpers
// take the transaction they run in. *gorm.DB never leaves this package.
//
// Nouns: migrations (versioned SQL files under migrations/, one set per
// database, applied at start), rows (the tables' Go shapes, converted to and
// from domain types), the event log (one row per change subscribers hear of,
// read back by replicas that missed a notification), and cursors (opaque
// positions in a keyset-paginated list).
package storage
