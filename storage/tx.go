package storage

import (
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// Tx is an open transaction, handed to the callers of the writes that take
// a then function (CreateOrder, UpdateOrder, RaiseAlert, ResolveAlerts,
// SaveWebhook): what they write in it (outbox rows, River jobs) commits or
// rolls back with the change.
type Tx struct{ g *gorm.DB }

// SQL returns the database/sql transaction under tx, for River's InsertTx,
// with the writes held before it sent (see pipeTx).
func (t Tx) SQL() (*sql.Tx, error) {
	switch pool := t.g.Statement.ConnPool.(type) {
	case *pipeTx:
		return pool.sqlTx(t.g.Statement.Context)
	case *sql.Tx:
		return pool, nil
	}
	return nil, fmt.Errorf("not in a database/sql transaction (%T)", t.g.Statement.ConnPool)
}

// after runs then, when set, in tx with what the write did.
func after[T any](tx *gorm.DB, then func(Tx, T) error, did T) error {
	if then == nil {
		return nil
	}
	return then(Tx{tx}, did)
}
