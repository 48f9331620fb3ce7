package storage

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

// importBatch is how many orders ImportOrders writes per transaction. With
// the orders table's 27 columns a batch stays well under PostgreSQL's 65,535
// and SQLite's 32,766 bind parameters per statement.
const importBatch = 500

// importRowBatch bounds the lines and status changes of one INSERT, whatever
// the number of lines per order.
const importRowBatch = 1000

// ImportOrders inserts orders as they are, with their lines and status
// history, for seeding and migrating data in bulk: one transaction per batch
// of orders, a few multi-row INSERTs each. Unlike CreateOrder it neither
// validates nor logs events, so subscribers hear nothing of imported orders,
// and an order whose id or (store, Leafly order id) exists already fails its
// batch. Batches committed before a failure stay committed.
func (db *DB) ImportOrders(ctx context.Context, orders []*domain.Order) error {
	for start := 0; start < len(orders); start += importBatch {
		batch := orders[start:min(start+importBatch, len(orders))]
		if err := db.transaction(ctx, func(tx *gorm.DB) error { return importBatchTx(tx, batch) }); err != nil {
			return fmt.Errorf("import orders %d to %d: %w", start, start+len(batch)-1, err)
		}
	}
	return nil
}

// importBatchTx writes one batch of orders in tx.
func importBatchTx(tx *gorm.DB, orders []*domain.Order) error {
	rows := make([]orderRow, len(orders))
	var lines []lineRow
	var history []statusChangeRow
	perStore := map[string]int{}
	for i, o := range orders {
		perStore[o.StoreID]++
		rows[i] = orderToRow(o)
		lines = append(lines, linesToRows(o)...)
		for _, c := range o.StatusHistory {
			history = append(history, statusChangeRow{OrderID: o.ID, Status: string(c.Status), Source: string(c.Source), OccurredAt: c.OccurredAt})
		}
	}
	for id, n := range perStore {
		if err := countOrders(tx, id, n); err != nil {
			return err
		}
	}
	if err := tx.CreateInBatches(rows, importBatch).Error; err != nil {
		return fmt.Errorf("insert orders: %w", err)
	}
	if len(lines) > 0 {
		if err := tx.CreateInBatches(lines, importRowBatch).Error; err != nil {
			return fmt.Errorf("insert lines: %w", err)
		}
	}
	if len(history) > 0 {
		if err := tx.CreateInBatches(history, importRowBatch).Error; err != nil {
			return fmt.Errorf("insert status history: %w", err)
		}
	}
	return nil
}
