package storage

import (
	"context"
	"errors"

	"gorm.io/gorm/clause"
)

type keyCheckRow struct {
	ID     int `gorm:"primaryKey"`
	Sealed string
}

func (keyCheckRow) TableName() string { return "key_check" }

// ErrOtherKey is returned by CheckKey when the database's secrets were
// sealed with another key.
var ErrOtherKey = errors.New("not the key this database's Lightspeed tokens were sealed with")

// CheckKey makes sure the key behind open and seal is the one the database
// was first used with. The first start keeps a value sealed with its key
// (having checked that it opens a token already kept, for a database older
// than the check); every later start, on any replica, must open that value.
func (db *DB) CheckKey(ctx context.Context, open func(sealed string) error, seal func() string) error {
	sealed, err := db.keyCheck(ctx)
	if err != nil {
		return err
	}
	if sealed == "" {
		var tokens []string
		if err := db.gorm.WithContext(ctx).Model(&connectionRow{}).Limit(1).Pluck("access_token", &tokens).Error; err != nil {
			return err
		}
		if len(tokens) > 0 && open(tokens[0]) != nil {
			return ErrOtherKey
		}
		// Another replica may keep its value first: the one kept is checked.
		if err := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&keyCheckRow{ID: 1, Sealed: seal()}).Error; err != nil {
			return err
		}
		if sealed, err = db.keyCheck(ctx); err != nil {
			return err
		}
	}
	if open(sealed) != nil {
		return ErrOtherKey
	}
	return nil
}

// keyCheck returns the value sealed by the first start, "" before it.
func (db *DB) keyCheck(ctx context.Context) (string, error) {
	var sealed []string
	err := db.gorm.WithContext(ctx).Model(&keyCheckRow{}).Limit(1).Pluck("sealed", &sealed).Error
	if err != nil || len(sealed) == 0 {
		return "", err
	}
	return sealed[0], nil
}
