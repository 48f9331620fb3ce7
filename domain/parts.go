package domain

// OrderParts is a set of the parts of an order a read fills in; the rest of
// the order is left empty. A page of orders read for a query reads only the
// parts the query selects: a dashboard's list asks a few fields of many
// orders, and every column read costs. ID, StoreID, Status and CreatedAt are
// always read.
type OrderParts uint8

const (
	// PartDetails is LeaflyOrderID, FulfillmentMethod, SubtotalCents,
	// TotalCents, HasGovernmentID, CancelReason and UpdatedAt.
	PartDetails OrderParts = 1 << iota
	// PartCustomer is Customer and DeliveryAddress.
	PartCustomer
	// PartPosSync is PosSync.
	PartPosSync
	// PartLines is Lines.
	PartLines
	// PartHistory is StatusHistory.
	PartHistory

	// AllOrderParts is the whole order.
	AllOrderParts = PartDetails | PartCustomer | PartPosSync | PartLines | PartHistory
)
