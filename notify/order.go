package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leafly/lightspeed-orders/domain"
)

// OrderStatusMessage builds the message telling the shopper that order o
// moved to o.Status, from previous (nil when unknown). It is addressed to
// the shopper's email, if they gave one. The wording says where the order
// stands and never when it will move on: Lightspeed's sale states carry no
// reliable timing.
func OrderStatusMessage(store domain.Store, o domain.Order, previous *domain.Status, id string) Message {
	headline, body := statusWording(store.Name, o)
	data := orderData(store, o)
	if previous != nil {
		data["previous_status"] = string(*previous)
	}
	if t := o.CancelReasonText(); t != nil {
		data["cancel_reason_text"] = *t
	}
	var to []string
	if o.Customer.Email != nil && *o.Customer.Email != "" {
		to = []string{*o.Customer.Email}
	}
	return Message{
		ID: id, Kind: KindOrderStatus, To: to, Data: data,
		Subject: oneLine("Your Leafly order from " + store.Name + " " + headline),
		Text: body + "\n\n" +
			"Order: " + orderNumber(o) + "\n" +
			"Dispensary: " + store.Name + "\n" +
			"Fulfillment: " + fulfillment(o.FulfillmentMethod) + "\n",
	}
}

// statusWording returns the end of the subject and the opening paragraph
// for o's status.
func statusWording(store string, o domain.Order) (headline, body string) {
	your := "Your order " + orderNumber(o) + " from " + store
	again := "You can place a new order on Leafly if you still want these items."
	delivery := o.FulfillmentMethod == domain.FulfillmentDelivery
	switch o.Status {
	case domain.StatusPending:
		return "was received", store + " received your order " + orderNumber(o) + ". We will email you again when the dispensary confirms it."
	case domain.StatusConfirmed:
		return "is confirmed", store + " confirmed your order " + orderNumber(o) + ". We will email you again as it moves along."
	case domain.StatusReady:
		if delivery {
			return "is being prepared for delivery", your + " is being prepared for delivery. We will email you again when it is out for delivery."
		}
		return "is ready for pickup", your + " is ready for pickup. Please bring a valid government-issued photo ID."
	case domain.StatusOutForDelivery:
		return "is out for delivery", your + " is out for delivery. Please have a valid government-issued photo ID ready for the driver."
	case domain.StatusArrivedAtCustomer:
		return "has arrived", your + " has arrived at your delivery address. Please meet the driver with a valid government-issued photo ID."
	case domain.StatusPickedUp:
		return "is complete", your + " is complete. Thank you for ordering on Leafly."
	case domain.StatusCanceled:
		if t := o.CancelReasonText(); t != nil && *t != "" {
			return "was canceled", your + " was canceled.\nReason: " + *t + ".\n\n" + again
		}
		return "was canceled", your + " was canceled.\n\n" + again
	case domain.StatusExpired:
		return "has expired", your + " has expired and will not be filled.\n\n" + again
	}
	return "was updated", your + " is now " + strings.ToLower(strings.ReplaceAll(string(o.Status), "_", " ")) + "."
}

// NewOrderMessage builds the message telling the store's staff about a new
// order: its number, pickup or delivery, the lines and the total.
func NewOrderMessage(store domain.Store, o domain.Order, id string) Message {
	method := strings.ToLower(fulfillment(o.FulfillmentMethod))
	var b strings.Builder
	fmt.Fprintf(&b, "%s has a new %s order on Leafly.\n\n", store.Name, method)
	fmt.Fprintf(&b, "Order: %s\n", orderNumber(o))
	fmt.Fprintf(&b, "Customer: %s %s\n", o.Customer.FirstName, o.Customer.LastName)
	fmt.Fprintf(&b, "Fulfillment: %s\n", fulfillment(o.FulfillmentMethod))
	if a := o.DeliveryAddress; o.FulfillmentMethod == domain.FulfillmentDelivery && a != nil {
		fmt.Fprintf(&b, "Deliver to: %s\n", address(*a))
	}
	b.WriteString("\nItems:\n")
	for _, l := range o.Lines {
		b.WriteString(lineText(l))
	}
	if o.SubtotalCents != o.TotalCents {
		fmt.Fprintf(&b, "\nSubtotal before deals: %s", dollars(o.SubtotalCents))
	}
	fmt.Fprintf(&b, "\nTotal: %s\n\nThe order is on the store's Leafly dashboard.\n", dollars(o.TotalCents))
	data := orderData(store, o)
	data["total_cents"] = o.TotalCents
	data["line_count"] = len(o.Lines)
	return Message{
		ID: id, Kind: KindNewOrder, To: slices.Clone(store.Notifications.NewOrderEmails), Data: data,
		Subject: oneLine("New Leafly " + method + " order " + orderNumber(o) + " for " + store.Name),
		Text:    b.String(),
	}
}

// lineText is one order line: quantity, name, line total and any deal.
func lineText(l domain.OrderLine) string {
	unit := l.UnitPriceCents
	if l.DiscountedUnitPriceCents != nil {
		unit = *l.DiscountedUnitPriceCents
	}
	s := fmt.Sprintf("  %d x %s  %s", l.Quantity, l.Name, dollars(unit*int64(l.Quantity)))
	if l.DealTitle != nil && *l.DealTitle != "" {
		s += fmt.Sprintf(" (deal: %s, was %s)", *l.DealTitle, dollars(l.UnitPriceCents*int64(l.Quantity)))
	}
	return s + "\n"
}

// orderData holds the facts every order message carries for machines.
func orderData(store domain.Store, o domain.Order) map[string]any {
	return map[string]any{
		"order_id":           o.ID,
		"leafly_order_id":    o.LeaflyOrderID,
		"store_id":           store.ID,
		"store_name":         store.Name,
		"status":             string(o.Status),
		"fulfillment_method": string(o.FulfillmentMethod),
	}
}

// orderNumber is the number the shopper and the staff know the order by.
func orderNumber(o domain.Order) string {
	if o.LeaflyOrderID != "" {
		return o.LeaflyOrderID
	}
	return o.ID
}

func fulfillment(m domain.FulfillmentMethod) string {
	if m == domain.FulfillmentDelivery {
		return "Delivery"
	}
	return "Pickup"
}

func address(a domain.Address) string {
	parts := []string{a.Line1}
	if a.Line2 != nil && *a.Line2 != "" {
		parts = append(parts, *a.Line2)
	}
	parts = append(parts, a.City, a.State+" "+a.PostalCode, a.Country)
	return strings.Join(parts, ", ")
}

// dollars writes cents as US dollars: 123456 is "$1,234.56".
func dollars(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := fmt.Sprint(cents / 100)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("%s$%s.%02d", sign, whole, cents%100)
}
