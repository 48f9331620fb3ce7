package main

import (
	"cmp"
	"fmt"
	"log/slog"

	"github.com/leafly/lightspeed-orders/app"
	"github.com/leafly/lightspeed-orders/notify"
)

// newNotifiers picks where notifications go: shoppers through Leafly's
// notification webhook when it is set, else by email when SMTP is set, else
// to the log; store staff by email when SMTP is set, else the webhook, else
// the log.
func newNotifiers(cfg config, log *slog.Logger) (app.Notifiers, error) {
	var n app.Notifiers
	logged := notify.NewLog(log.With("component", "notify"))
	var mail, hook notify.Notifier
	if cfg.SMTPURL != "" {
		s, err := notify.NewSMTP(notify.SMTPConfig{URL: cfg.SMTPURL, From: cfg.NotifyFrom})
		if err != nil {
			return n, fmt.Errorf("config: SMTP_URL: %w", err)
		}
		mail = s
	}
	if cfg.NotifyWebhookURL != "" || cfg.NotifyWebhookSecret != "" {
		w, err := notify.NewWebhook(notify.WebhookConfig{URL: cfg.NotifyWebhookURL, Secret: cfg.NotifyWebhookSecret})
		if err != nil {
			return n, fmt.Errorf("config: NOTIFY_WEBHOOK_URL: %w", err)
		}
		hook = w
	}
	n.Shopper = cmp.Or[notify.Notifier](hook, mail, logged)
	n.Store = cmp.Or[notify.Notifier](mail, hook, logged)
	return n, nil
}
