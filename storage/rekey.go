package storage

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Resealed is what Reseal did.
type Resealed struct {
	// Values is how many sealed values were rewritten.
	Values int
	// Unreadable lists the stores whose tokens no key opens: they stay as
	// they are, and the store must reconnect.
	Unreadable []string
}

// ErrUnreadable is what reseal returns for a value no key opens.
var ErrUnreadable = errors.New("sealed value cannot be opened")

// Reseal rewrites every stored Lightspeed token, then the key check value,
// with what reseal returns (the value itself when it needs nothing), while
// replicas keep running: each connection is rewritten in one short
// statement, and only if it still holds what was read, so a token refresh
// saved meanwhile wins and is looked at again. The key check value goes
// last: until every token is re-sealed, a start without the previous key
// is still refused.
func (db *DB) Reseal(ctx context.Context, reseal func(sealed string) (string, error)) (Resealed, error) {
	var out Resealed
	var ids []string
	if err := db.gorm.WithContext(ctx).Model(&connectionRow{}).Order("store_id").Pluck("store_id", &ids).Error; err != nil {
		return out, err
	}
	for _, id := range ids {
		n, err := db.resealConnection(ctx, id, reseal)
		switch {
		case errors.Is(err, ErrUnreadable):
			out.Unreadable = append(out.Unreadable, id)
		case err != nil:
			return out, fmt.Errorf("reseal tokens of store %s: %w", id, err)
		}
		out.Values += n
	}
	n, err := db.resealKeyCheck(ctx, reseal)
	out.Values += n
	return out, err
}

// resealConnection re-seals one store's tokens, reading them again when a
// refresh changed them between the read and the write.
func (db *DB) resealConnection(ctx context.Context, storeID string, reseal func(string) (string, error)) (int, error) {
	for {
		var c connectionRow
		err := db.gorm.WithContext(ctx).Take(&c, "store_id = ?", storeID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return 0, nil // disconnected meanwhile
		}
		if err != nil {
			return 0, err
		}
		access, refresh, n, err := resealTokens(c, reseal)
		if err != nil || n == 0 {
			return 0, err
		}
		q := db.gorm.WithContext(ctx).Model(&connectionRow{}).Where("store_id = ? AND access_token = ?", storeID, c.AccessToken)
		if c.RefreshToken == nil {
			q = q.Where("refresh_token IS NULL")
		} else {
			q = q.Where("refresh_token = ?", *c.RefreshToken)
		}
		res := q.UpdateColumns(map[string]any{"access_token": access, "refresh_token": refresh})
		if res.Error != nil {
			return 0, res.Error
		}
		if res.RowsAffected == 1 {
			return n, nil
		}
	}
}

// resealTokens returns c's tokens re-sealed and how many of them changed.
func resealTokens(c connectionRow, reseal func(string) (string, error)) (access string, refresh *string, n int, err error) {
	if access, err = reseal(c.AccessToken); err != nil {
		return "", nil, 0, err
	}
	if access != c.AccessToken {
		n++
	}
	if c.RefreshToken != nil {
		r, err := reseal(*c.RefreshToken)
		if err != nil {
			return "", nil, 0, err
		}
		if r != *c.RefreshToken {
			n++
		}
		refresh = &r
	}
	return access, refresh, n, nil
}

// resealKeyCheck re-seals the value kept by the first start.
func (db *DB) resealKeyCheck(ctx context.Context, reseal func(string) (string, error)) (int, error) {
	for {
		sealed, err := db.keyCheck(ctx)
		if err != nil || sealed == "" {
			return 0, err
		}
		fresh, err := reseal(sealed)
		if err != nil {
			return 0, fmt.Errorf("reseal key check: %w", err)
		}
		if fresh == sealed {
			return 0, nil
		}
		res := db.gorm.WithContext(ctx).Model(&keyCheckRow{}).Where("id = 1 AND sealed = ?", sealed).UpdateColumn("sealed", fresh)
		if res.Error != nil || res.RowsAffected == 1 {
			return 1, res.Error
		}
	}
}
