package sandbox

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// webhook is a Webhook subscription.
type webhook struct {
	ID         string `json:"id"`
	RetailerID string `json:"retailer_id"`
	URL        string `json:"url"`
	Active     bool   `json:"active"`
	Type       string `json:"type"`

	// signed: created through an OAuth app. Lightspeed signs webhooks only for
	// OAuth-authorised applications, so personal-token webhooks go unsigned.
	signed    bool
	createdAt time.Time
}

var webhookTypes = []string{"sale.update", "product.update", "customer.update", "inventory.update",
	"register_closure.create", "consignment.send", "consignment.receive"}

// webhookRequest is WebhookRequest: url, active and type are all required.
type webhookRequest struct {
	URL    *string `json:"url"`
	Active *bool   `json:"active"`
	Type   *string `json:"type"`
}

func (in webhookRequest) validate() string {
	switch {
	case in.URL == nil || in.Active == nil || in.Type == nil:
		return "url, active and type are required"
	case !slices.Contains(webhookTypes, *in.Type):
		return "type must be one of the webhook types (sale.update, product.update, …)"
	}
	u, err := url.Parse(*in.URL)
	if len(*in.URL) < 3 || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "url must be an absolute http(s) URL"
	}
	return ""
}

// conflict reports whether another webhook of rt has the same type and URL.
func (rt *retailer) conflict(in webhookRequest, id string) bool {
	for _, w := range rt.webhooks {
		if w.ID != id && w.Type == *in.Type && w.URL == *in.URL {
			return true
		}
	}
	return false
}

// webhookInput reads a webhook's body, answering the error when it is bad or
// names the type and URL of a webhook other than the one with id.
func (c *call) webhookInput(id string) (webhookRequest, bool) {
	var in webhookRequest
	if !c.decode(&in) {
		return in, false
	}
	if msg := in.validate(); msg != "" {
		c.fail(http.StatusBadRequest, msg)
		return in, false
	}
	if c.rt.conflict(in, id) {
		c.fail(http.StatusConflict, "A webhook with this type and URL already exists.")
		return in, false
	}
	return in, true
}

func (s *Sandbox) createWebhook(c *call) {
	in, ok := c.webhookInput("")
	if !ok {
		return
	}
	w := &webhook{ID: newID(), RetailerID: c.rt.info.ID, URL: *in.URL, Active: *in.Active, Type: *in.Type,
		signed: !c.g.personal, createdAt: s.now()}
	c.rt.webhooks[w.ID] = w
	c.json(http.StatusCreated, map[string]any{"data": w})
}

func (s *Sandbox) updateWebhook(c *call) {
	w := c.rt.webhooks[c.r.PathValue("id")]
	if w == nil {
		c.fail(http.StatusNotFound, "webhook not found")
		return
	}
	in, ok := c.webhookInput(w.ID)
	if !ok {
		return
	}
	w.URL, w.Active, w.Type = *in.URL, *in.Active, *in.Type
	c.data(w)
}

func (s *Sandbox) listWebhooks(c *call) {
	out := values(c.rt.webhooks)
	slices.SortFunc(out, func(a, b *webhook) int {
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.ID, b.ID))
	})
	c.data(out)
}

func (s *Sandbox) getWebhook(c *call) { found(c, c.rt.webhooks[c.r.PathValue("id")], "webhook") }

// deleteWebhook answers 200 with an empty body, as the spec declares no content.
func (s *Sandbox) deleteWebhook(c *call) {
	if c.rt.webhooks[c.r.PathValue("id")] == nil {
		c.fail(http.StatusNotFound, "webhook not found")
		return
	}
	delete(c.rt.webhooks, c.r.PathValue("id"))
	c.w.WriteHeader(http.StatusOK)
}

// webhookSettings are the control API's switches for the UNCONFIRMED details.
type webhookSettings struct {
	Encoding   string `json:"signature_encoding"` // hex (default) or base64
	LegacyOnly bool   `json:"legacy_only"`        // omit state and attributes from sale payloads
}

// emit queues a webhook of type typ with payload to every active
// subscription of rt. It never blocks: each delivery runs on its own goroutine.
func (s *Sandbox) emit(rt *retailer, typ string, payload any) {
	if s.closed {
		return
	}
	js, err := json.Marshal(payload)
	if err != nil {
		s.log.Error("sandbox: encode webhook payload", "type", typ, "err", err)
		return
	}
	body := []byte(url.Values{"payload": {string(js)}, "domain_prefix": {rt.prefix},
		"environment": {"sandbox"}}.Encode())
	for _, w := range rt.webhooks {
		if !w.Active || w.Type != typ {
			continue
		}
		sig := ""
		if w.signed && s.opts.ClientSecret != "" {
			sig = "signature=" + s.sign(body) + ",algorithm=HMAC-SHA256"
		}
		d := delivery{prefix: rt.prefix, url: w.URL, body: body, signature: sig}
		s.wg.Go(func() { s.deliver(d) })
	}
}

// sign is HMAC-SHA256(client secret, raw body), hex or base64 per the settings.
func (s *Sandbox) sign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
	mac.Write(body)
	if s.hooks.Encoding == "base64" {
		return base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return hex.EncodeToString(mac.Sum(nil))
}

// delivery is one webhook to send, with its retries.
type delivery struct {
	prefix, url, signature string
	body                   []byte
}

// deliver sends d until a 2xx, up to webhookAttempts times, waiting the retry
// delays between attempts. Close abandons it.
func (s *Sandbox) deliver(d delivery) {
	for attempt := 1; ; attempt++ {
		ok := s.post(d)
		s.record(d.prefix, ok, !ok && attempt == webhookAttempts)
		if ok || attempt == webhookAttempts {
			return
		}
		delays := s.opts.WebhookRetryDelays
		t := time.NewTimer(delays[min(attempt-1, len(delays)-1)])
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
}

// post makes one delivery attempt; true on a 2xx answer.
func (s *Sandbox) post(d delivery) bool {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Lightspeed-Retail-Sandbox-Webhooks/1.0")
	if d.signature != "" {
		req.Header.Set("X-Signature", d.signature)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		s.log.Info("sandbox: webhook attempt failed", "url", d.url, "err", err)
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.log.Info("sandbox: webhook attempt refused", "url", d.url, "status", resp.StatusCode)
	}
	return resp.StatusCode/100 == 2
}

// record counts a delivery attempt in the retailer's stats.
func (s *Sandbox) record(prefix string, ok, gaveUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.retailers[prefix]
	if rt == nil {
		return
	}
	rt.stats.Webhooks.Attempts++
	if ok {
		rt.stats.Webhooks.Delivered++
	}
	if gaveUp {
		rt.stats.Webhooks.Abandoned++
	}
}
