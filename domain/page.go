package domain

// Page asks for the First items after the opaque cursor After ("" = start)
// or, when Last is set, for the Last items before the cursor Before ("" =
// the end), as Relay's first/after and last/before do. Both cursors may be
// set: the page is then taken between them.
type Page struct {
	First  int
	After  string
	Last   *int
	Before string
}

// OrderPage is one page of a store's orders, newest first, with Relay's
// hasPreviousPage (newer orders exist) and hasNextPage (older ones exist).
// Cursors[i] is the opaque cursor of Orders[i].
type OrderPage struct {
	Orders      []*Order
	Cursors     []string
	HasPrevious bool
	HasNext     bool
	Total       int
}

// MenuItemPage is one page of a menu; Cursors[i] is the opaque cursor of
// Items[i].
type MenuItemPage struct {
	Items   []MenuItem
	Cursors []string
	HasNext bool
	Total   int
}
