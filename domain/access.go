package domain

import (
	"slices"
	"time"
)

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
	// Expires is when the caller's token stops being accepted (zero for a
	// caller the service makes up itself): long-lived connections end then.
	Expires time.Time
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
	// OpReadShopperSide reads what the ordering system wrote and follows of
	// an order: never the store behind it nor the POS side.
	OpReadShopperSide Operation = "readShopperSide"
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
	OpReadShopperSide:  {RoleAdmin, RoleStoreManager, RoleStoreStaff, RoleMarketplace},
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

// fieldRule says which operation reading some fields of one GraphQL type
// needs.
type fieldRule struct {
	op     Operation
	typ    string
	fields []string
}

// fieldRules is the permission table for every field of every object type of
// the GraphQL schema, roots included: a field may be selected only by the
// roles its operation allows, wherever it is reached from. A field reached
// through another (Order.store) is held by its own entry, not by the
// operation that returned its parent; which store a STORE_* caller may see
// is checked where an operation names the store or order, and every object
// reachable from there belongs to that store. A schema field without an
// entry is refused to everyone (graph's TestFieldAccessTable fails first).
// The ordering system (MARKETPLACE) reads the shopper's side of the orders it
// submits and cancels, not the store's configuration nor the POS side.
var fieldRules = []fieldRule{
	{OpRead, "Query", []string{"store", "orders", "order", "menuItems", "alerts"}},
	{OpConfigure, "Query", []string{"lightspeedSetupOptions"}},
	{OpCreateStore, "Mutation", []string{"createStore"}},
	{OpUpdateStore, "Mutation", []string{"updateStore"}},
	{OpConfigure, "Mutation", []string{"connectLightspeedPersonalToken", "startLightspeedOAuth", "syncMenu",
		"configureOrderIntegration", "enableOrderIntegration", "disableOrderIntegration", "updateNotificationSettings"}},
	{OpSubmitOrder, "Mutation", []string{"submitOrder"}},
	// cancelOrder's reason further decides who may (CancelOperation).
	{OpCancelAsCustomer, "Mutation", []string{"cancelOrder"}},
	{OpDashboard, "Mutation", []string{"setOrderStatus", "retryOrderSync"}},
	{OpRead, "Subscription", []string{"orderStatusChanged", "alertRaised", "orderUpdated", "storeUpdated"}},

	{OpRead, "Store", []string{"id", "name", "timeZone", "pickupEnabled", "deliveryEnabled", "advertisingSubscriptionActive",
		"orderIntegration", "notificationSettings"}},
	{OpRead, "OrderIntegration", []string{"enabled", "dashboardReadOnly", "health", "connection", "menuSync", "settings", "requirements"}},
	{OpRead, "LightspeedConnection", []string{"authMethod", "domainPrefix", "connectedAt"}},
	{OpRead, "MenuSync", []string{"enabled", "lastSyncedAt", "itemCount", "lastError"}},
	{OpRead, "OrderIntegrationSettings", []string{"outletId", "registerId", "userId", "paymentTypeId"}},
	{OpRead, "Requirement", []string{"code", "met", "message"}},
	{OpRead, "NotificationSettings", []string{"alertEmails", "newOrderEmails"}},
	{OpConfigure, "LightspeedSetupOptions", []string{"outlets", "registers", "users", "paymentTypes"}},
	{OpConfigure, "SetupOption", []string{"id", "name"}},
	{OpConfigure, "RegisterOption", []string{"id", "name", "outletId"}},
	{OpConfigure, "OAuthStart", []string{"authorizeUrl"}},
	{OpRead, "MenuItem", []string{"id", "name", "sku", "posProductId", "priceCents"}},
	{OpRead, "MenuItemEdge", []string{"cursor", "node"}},
	{OpRead, "MenuItemConnection", []string{"edges", "pageInfo", "totalCount"}},
	{OpRead, "PageInfo", []string{"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}},
	{OpRead, "OrderConnection", []string{"edges", "pageInfo", "totalCount", "updatesCursor"}},
	{OpRead, "OrderEdge", []string{"cursor", "node"}},
	{OpRead, "OrderStatusEvent", []string{"order", "previousStatus", "status", "source", "occurredAt"}},
	{OpRead, "OrderUpdate", []string{"cursor", "kind", "order", "occurredAt"}},
	{OpRead, "Alert", []string{"id", "storeId", "kind", "message", "raisedAt", "resolvedAt"}},

	{OpReadShopperSide, "Order", []string{"id", "leaflyOrderId", "status", "fulfillmentMethod", "customer", "deliveryAddress",
		"hasGovernmentId", "lines", "subtotalCents", "totalCents", "cancelReason", "cancelReasonText", "statusHistory",
		"createdAt", "updatedAt"}},
	{OpRead, "Order", []string{"store", "posSync", "actionable"}},
	{OpConfigure, "Order", []string{"posCalls"}},
	{OpReadShopperSide, "OrderCustomer", []string{"firstName", "lastName", "email", "phone"}},
	{OpReadShopperSide, "Address", []string{"line1", "line2", "city", "state", "postalCode", "country"}},
	{OpReadShopperSide, "OrderLine", []string{"menuItemId", "name", "quantity", "unitPriceCents", "discountedUnitPriceCents", "dealTitle"}},
	{OpReadShopperSide, "OrderStatusChange", []string{"status", "source", "occurredAt"}},
	{OpRead, "PosSync", []string{"state", "saleId", "customerId", "attempts", "lastError", "errorCode", "warning"}},
	{OpConfigure, "PosCall", []string{"at", "method", "path", "status", "durationMs", "error"}},
}

// fieldKey names a field of a GraphQL type.
type fieldKey struct{ typ, field string }

// fieldAccess is a field's entry: its operation and the roles that
// operation allows, resolved once, since every operation of every request
// looks up each field it selects.
type fieldAccess struct {
	op    Operation
	roles []Role
}

// fieldOps indexes fieldRules.
var fieldOps = func() map[fieldKey]fieldAccess {
	m := make(map[fieldKey]fieldAccess)
	for _, r := range fieldRules {
		for _, f := range r.fields {
			m[fieldKey{r.typ, f}] = fieldAccess{r.op, permissions[r.op]}
		}
	}
	return m
}()

// FieldOperation returns the operation reading the field of the GraphQL
// type needs, and false when the table has no entry for it.
func FieldOperation(typ, field string) (Operation, bool) {
	a, ok := fieldOps[fieldKey{typ, field}]
	return a.op, ok
}

// AuthorizeField says whether p may select the field of the GraphQL type at
// all; a field without an entry is refused.
func AuthorizeField(p Principal, typ, field string) *Error {
	if !slices.Contains(fieldOps[fieldKey{typ, field}].roles, p.Role) {
		return Errorf(CodeForbidden, "Your role %s may not read %s.%s.", p.Role, typ, field)
	}
	return nil
}
