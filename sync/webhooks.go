package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
)

// Webhook types (enum WebhookType). There is no sale.create: sale.update
// fires on creation too.
const (
	WebhookSaleUpdate         = "sale.update"
	WebhookProductUpdate      = "product.update"
	WebhookCustomerUpdate     = "customer.update"
	WebhookInventoryUpdate    = "inventory.update"
	WebhookRegisterClosure    = "register_closure.create"
	WebhookConsignmentSend    = "consignment.send"
	WebhookConsignmentReceive = "consignment.receive"
)

// Webhook is a webhook subscription.
type Webhook struct {
	ID         string `json:"id"`
	RetailerID string `json:"retailer_id"`
	URL        string `json:"url"`
	Active     bool   `json:"active"`
	Type       string `json:"type"`
}

// WebhookRequest creates a webhook (POST /webhooks); all three fields are
// required, Active included, so it is always sent.
type WebhookRequest struct {
	URL    string `json:"url"`
	Active bool   `json:"active"`
	Type   string `json:"type"`
}

// webhookList reads {"data":[…]} and, defensively, the legacy bare array.
type webhookList []Webhook

// UnmarshalJSON accepts both shapes.
func (l *webhookList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, (*[]Webhook)(l))
	}
	var env struct {
		Data []Webhook `json:"data"`
	}
	err := json.Unmarshal(b, &env)
	*l = env.Data
	return err
}

// Webhooks returns the app's webhooks for the retailer.
func (c *Client) Webhooks(ctx context.Context, t Target) ([]Webhook, error) {
	var l webhookList
	err := c.do(ctx, t, apiRequest{op: "list webhooks", method: http.MethodGet, path: "/webhooks"}, &l)
	return l, err
}

// CreateWebhook subscribes to a webhook. When the same type and URL already
// exist Lightspeed answers 409: the error is KindRejected with Status 409
// (IsConflict), and callers list the webhooks to find the existing one.
func (c *Client) CreateWebhook(ctx context.Context, t Target, r WebhookRequest) (Webhook, error) {
	return getData[Webhook](ctx, c, t, apiRequest{op: "create webhook " + r.Type, method: http.MethodPost, path: "/webhooks", body: r})
}

// DeleteWebhook removes the webhook.
func (c *Client) DeleteWebhook(ctx context.Context, t Target, id string) error {
	return c.do(ctx, t, apiRequest{op: "delete webhook " + id, method: http.MethodDelete,
		path: "/webhooks/{webhookId}", args: []string{id}}, nil)
}
