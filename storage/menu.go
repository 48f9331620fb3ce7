package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/leafly/lightspeed-orders/domain"
)

type menuItemRow struct {
	ID           string `gorm:"primaryKey"`
	StoreID      string
	Name         string
	SKU          *string `gorm:"column:sku"`
	PosProductID string
	PriceCents   int64
	Active       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (menuItemRow) TableName() string { return "menu_items" }

func (r menuItemRow) domain() domain.MenuItem {
	return domain.MenuItem{ID: r.ID, StoreID: r.StoreID, Name: r.Name, SKU: r.SKU,
		PosProductID: r.PosProductID, PriceCents: r.PriceCents, Active: r.Active}
}

// SaveMenuItems inserts menu items or updates them by (store, POS product).
func (db *DB) SaveMenuItems(ctx context.Context, items []domain.MenuItem) error {
	if len(items) == 0 {
		return nil
	}
	at := db.now()
	rows := make([]menuItemRow, len(items))
	for i, it := range items {
		rows[i] = menuItemRow{ID: it.ID, StoreID: it.StoreID, Name: it.Name, SKU: it.SKU,
			PosProductID: it.PosProductID, PriceCents: it.PriceCents, Active: it.Active, CreatedAt: at, UpdatedAt: at}
	}
	err := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "store_id"}, {Name: "pos_product_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "sku", "price_cents", "active", "updated_at"}),
	}).CreateInBatches(rows, 500).Error
	if err != nil {
		return fmt.Errorf("save menu items: %w", err)
	}
	return nil
}

// MenuItemsByID returns the store's menu items with the given ids, by id:
// every order submitted reads its lines' items, so the statement is written
// and scanned by hand.
func (db *DB) MenuItemsByID(ctx context.Context, storeID string, ids []string) (map[string]domain.MenuItem, error) {
	items := make(map[string]domain.MenuItem, len(ids))
	if len(ids) == 0 {
		return items, nil
	}
	q := "SELECT id, name, sku, pos_product_id, price_cents, active FROM menu_items WHERE store_id = " + textParam +
		" AND id IN (" + textParams(len(ids)) + ")"
	args := make([]any, 0, len(ids)+1)
	args = append(args, storeID)
	for _, id := range ids {
		args = append(args, id)
	}
	err := db.reads(ctx, rebind(db.postgres, q), args, func(rows rowScanner) error {
		for rows.Next() {
			m := domain.MenuItem{StoreID: storeID}
			if err := rows.Scan(&m.ID, &m.Name, &m.SKU, &m.PosProductID, &m.PriceCents, &m.Active); err != nil {
				return err
			}
			items[m.ID] = m
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("menu items of store %s: %w", storeID, err)
	}
	return items, nil
}

// MenuItems returns a page of the store's active menu items, by id.
func (db *DB) MenuItems(ctx context.Context, storeID string, page domain.Page) (domain.MenuItemPage, error) {
	var result domain.MenuItemPage
	total, err := db.MenuItemCount(ctx, storeID)
	if err != nil {
		return result, fmt.Errorf("count menu items: %w", err)
	}
	result.Total = total
	q := db.gorm.WithContext(ctx).Model(&menuItemRow{}).Where("store_id = ? AND active", storeID)
	if page.After != "" {
		_, id, err := decodeCursor(page.After)
		if err != nil {
			return result, err
		}
		q = q.Where("id > ?", id)
	}
	var rows []menuItemRow
	if err := q.Order("id").Limit(page.First + 1).Find(&rows).Error; err != nil {
		return result, fmt.Errorf("list menu items: %w", err)
	}
	result.HasNext = len(rows) > page.First
	for _, r := range rows[:min(len(rows), page.First)] {
		result.Items = append(result.Items, r.domain())
		result.Cursors = append(result.Cursors, encodeCursor(time.Time{}, r.ID))
	}
	return result, nil
}

// MenuItemCount returns how many active items the store's menu has.
func (db *DB) MenuItemCount(ctx context.Context, storeID string) (int, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&menuItemRow{}).Where("store_id = ? AND active", storeID).Count(&n).Error
	return int(n), err
}

// MenuSyncStores returns the ids of the stores whose menu sync is on and
// whose credentials are not known to be invalid: their syncs would only
// fail until they reconnect.
func (db *DB) MenuSyncStores(ctx context.Context) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&storeRow{}).Where("menu_sync_enabled AND integration_health <> ?", domain.HealthCredentialsInvalid).
		Pluck("id", &ids).Error
	return ids, err
}
