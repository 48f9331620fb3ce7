package domain

import "slices"

// Role is what a caller is, as its token says.
type Role string

// The roles of the contract.
const (
	RoleAdmin        Role = "ADMIN"
	RoleStoreManager Role = "STORE_MANAGER"
	RoleStoreStaff   Role = "STORE_STAFF"
	RoleMarketplace  Role = "MARKETPLACE"
)

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleStoreManager, RoleStoreStaff, RoleMarketplace:
		return true
	}
	return false
}

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	Role    Role
	// Stores lists the stores a STORE_MANAGER or STORE_STAFF works for.
	Stores []string
}

// Operation names something a caller may be allowed to do.
type Operation string

// The operations of the contract's permission table.
const (
	OpCreateStore      Operation = "createStore"
	OpUpdateStore      Operation = "updateStore"
	OpRead             Operation = "read"
	OpConfigure        Operation = "configure"
	OpDashboard        Operation = "dashboard"
	OpCancelAsCustomer Operation = "cancelOrder(CUSTOMER)"
	OpSubmitOrder      Operation = "submitOrder"
)

// permissions is the contract's table: who may do what. Store-scoped roles
// are further limited to the stores their token lists.
var permissions = map[Operation][]Role{
	OpCreateStore:      {RoleAdmin},
	OpUpdateStore:      {RoleAdmin, RoleStoreManager},
	OpRead:             {RoleAdmin, RoleStoreManager, RoleStoreStaff},
	OpConfigure:        {RoleAdmin, RoleStoreManager},
	OpDashboard:        {RoleAdmin, RoleStoreManager, RoleStoreStaff},
	OpCancelAsCustomer: {RoleAdmin, RoleStoreManager, RoleStoreStaff, RoleMarketplace},
	OpSubmitOrder:      {RoleAdmin, RoleMarketplace},
}

// CancelOperation is the operation a cancel with the given reason needs:
// the ordering system may cancel on the shopper's behalf only.
func CancelOperation(reason CancelReason) Operation {
	if reason == CancelCustomer {
		return OpCancelAsCustomer
	}
	return OpDashboard
}

// Authorize says whether p may perform op on the store with the given id
// ("" for operations on no store). A store a store-scoped caller does not
// work for reads as not found, so nothing of it leaks.
func Authorize(p Principal, op Operation, storeID string) error {
	if !slices.Contains(permissions[op], p.Role) {
		return Errorf(CodeForbidden, "Your role %s may not do this.", p.Role)
	}
	if storeID != "" && !p.CanSee(storeID) {
		return ErrStoreNotFound(storeID)
	}
	return nil
}

// CanSee reports whether p may see anything of the store with the given id.
func (p Principal) CanSee(storeID string) bool {
	switch p.Role {
	case RoleAdmin, RoleMarketplace:
		return true
	}
	return slices.Contains(p.Stores, storeID)
}

// ErrStoreNotFound is the error for a store that does not exist or that the
// caller may not see.
func ErrStoreNotFound(id string) *Error {
	return Errorf(CodeNotFound, "Store %s not found.", id)
}

// ErrOrderNotFound is the error for an order that does not exist or that the
// caller may not see.
func ErrOrderNotFound(id string) *Error {
	return Errorf(CodeNotFound, "Order %s not found.", id)
}
