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

// SQL returns the database/sql transaction under tx, for River's InsertTx.
func (t Tx) SQL() (*sql.Tx, error) {
	sqlTx, ok := t.g.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, fmt.Errorf("not in a database/sql transaction (%T)", t.g.Statement.ConnPool)
	}
	return sqlTx, nil
}

// after runs then, when set, in tx with what the write did.
func after[T any](tx *gorm.DB, then func(Tx, T) error, did T) error {
	if then == nil {
		return nil
	}
	return then(Tx{tx}, did)
}
